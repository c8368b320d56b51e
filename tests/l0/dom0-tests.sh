#!/bin/sh
# Runs in the L0 harness's dom0 as /l0/tests.sh: starts each test domain
# with xl as a PVH domain with a PV shim (pvshim = 1, pvshim_path = the
# shim under test) and reports one line per test on the console:
#   L0: RESULT SHIM TEST PASS|FAIL|DOM0-FAILURE detail
#   L0: MEASURE SHIM TEST key=value ...
# A dom0 process killed by a signal (xl, xenstored, xenconsoled, busybox)
# makes the test DOM0-FAILURE, never PASS: that is the emulation's fault or
# dom0's, not the shim's, and it is said as such.
# /l0/config (from run-l0.sh) sets SHIMS, TESTS, DOMAIN_TIMEOUT, MEMORY,
# PVSHIM_CMDLINE and XENSHIM_CMDLINE (empty: xl's default command line).
. /l0/config
PATH=/bin:/sbin:/usr/bin:/usr/sbin:/usr/lib/xen-4.17/bin
CONLOG=/var/log/xen/console
dom0_err=

# Shell builtins where it can: every process dom0 starts is one more chance
# for the emulation's occasional dom0 process crash.
now() { read -r up _ < /proc/uptime; echo "$up"; }
now_s() { read -r up _ < /proc/uptime; echo "${up%.*}"; }
elapsed() { awk "BEGIN { printf \"%.1f\", $(now) - $1 }"; }
fatal_count() { dmesg | grep -cE 'segfault at|potentially unexpected fatal signal|general protection'; }
daemons_alive() {
    for p in /run/xenstored.pid /run/xenconsoled.pid; do
        kill -0 "$(cat "$p" 2>/dev/null)" 2>/dev/null || { echo "${p#/run/}"; return 1; }
    done
}

# wait_pid PID SECONDS: its exit status, or 124 after killing it at the limit.
wait_pid() {
    i=0
    while kill -0 "$1" 2>/dev/null && [ $i -lt $(( $2 * 2 )) ]; do sleep 0.5; i=$((i + 1)); done
    if kill -0 "$1" 2>/dev/null; then kill "$1" 2>/dev/null; wait "$1" 2>/dev/null; return 124; fi
    wait "$1"
}
shim_path() {
    case $1 in
    pvshim) echo /l0/pvshim-pvh ;;
    xen-shim) echo /usr/lib/xen-4.17/boot/xen-shim ;;
    esac
}
shim_cmdline() {
    case $1 in
    pvshim) echo "$PVSHIM_CMDLINE" ;;
    xen-shim) echo "$XENSHIM_CMDLINE" ;;
    esac
}

# write_cfg NAME SHIM KERNEL RAMDISK CMDLINE
write_cfg() {
    {
        echo "name = \"$1\""
        echo 'type = "pvh"'
        echo 'pvshim = 1'
        echo "pvshim_path = \"$(shim_path "$2")\""
        c=$(shim_cmdline "$2")
        [ -n "$c" ] && echo "pvshim_cmdline = \"$c\""
        echo "kernel = \"$3\""
        [ -n "$4" ] && echo "ramdisk = \"$4\""
        echo "cmdline = \"$5\""
        echo "memory = $MEMORY"
        echo "vcpus = ${VCPUS:-1}"
        # Xen under TCG cannot emulate a PVH guest's RDTSCP otherwise.
        echo 'tsc_mode = "native"'
        echo 'on_poweroff = "destroy"'
        echo 'on_reboot = "destroy"'
        echo 'on_crash = "destroy"'
        [ -n "${EXTRA_CFG:-}" ] && echo "$EXTRA_CFG"
    } > "/tmp/$1.cfg"
}

# run_domain NAME SHIM MARKER [xl-action-at-marker]: creates the domain in
# the foreground (xl create -F), waits for it to end (or DOMAIN_TIMEOUT);
# sets reason (xl's shutdown reason code, "none" when it never ended),
# t_marker (seconds from create to MARKER in the console log, "" if never),
# xl_status, fatal (dom0 fatal signals during the run).
run_domain() {
    name=$1 shim=$2 marker=$3 action=${4:-}
    dom0_err=     # set by an action when a dom0 tool, not the shim, failed
    rm -f "$CONLOG/guest-$name.log"
    f0=$(fatal_count)
    t0=$(now)
    xl create -F "/tmp/$name.cfg" > "/tmp/$name.xl" 2>&1 &
    xlpid=$!
    conspid=
    if [ -n "${WITH_CONSOLE:-}" ]; then
        # `xl console` attached as soon as the domain exists, until it ends.
        i=0
        while ! xl domid "$name" > /dev/null 2>&1 && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
        { sleep "$DOMAIN_TIMEOUT"; } | xl console "$name" > "/tmp/$name.console" 2>&1 &
        conspid=$!
    fi
    t_marker=
    acted=
    end=$(( $(now_s) + DOMAIN_TIMEOUT ))
    beat=$(( $(now_s) + 60 ))
    while kill -0 "$xlpid" 2>/dev/null; do
        if [ -z "$t_marker" ] && grep -qE "$marker" "$CONLOG/guest-$name.log" 2>/dev/null; then
            t_marker=$(elapsed "$t0")
        fi
        if [ -n "$t_marker" ] && [ -n "$action" ] && [ -z "$acted" ]; then
            acted=1
            $action "$name"
        fi
        [ "$(now_s)" -ge "$end" ] && break
        # Every 60 s a sign of life: dom0's shell runs, and how far the
        # guest's console got (a stop with these lines going on is the
        # guest's or the shim's; without them, dom0's).
        if [ "$(now_s)" -ge "$beat" ]; then
            beat=$(( $(now_s) + 60 ))
            echo "L0: wait| $name $(elapsed "$t0")s, console $(wc -l < "$CONLOG/guest-$name.log" 2>/dev/null || echo 0) lines"
        fi
        sleep 0.5
    done
    if kill -0 "$xlpid" 2>/dev/null; then
        xl destroy "$name" > /dev/null 2>&1 &
        wait_pid $! 120 || [ $? != 124 ] || dom0_err="xl destroy $name did not return in 120 s"
        sleep 1
        kill "$xlpid" 2>/dev/null
    fi
    wait "$xlpid"
    xl_status=$?
    [ -n "$conspid" ] && kill "$conspid" 2>/dev/null
    t_total=$(elapsed "$t0")
    [ -z "$t_marker" ] && grep -qE "$marker" "$CONLOG/guest-$name.log" 2>/dev/null && t_marker=$t_total
    reason=$(sed -n 's/.*has shut down, reason code \([0-9]*\).*/\1/p' "/tmp/$name.xl" | tail -n 1)
    [ -n "$reason" ] || reason=none
    fatal=$(( $(fatal_count) - f0 ))
    echo "L0: --- xl create -F $name (status $xl_status, ${t_total}s):"
    awk '{ print "L0: xl| " $0 }' "/tmp/$name.xl" | tail -n 15
    echo "L0: --- failures and skips on the console of $name:"
    tr -d '\r' < "$CONLOG/guest-$name.log" 2>/dev/null | grep -E '^(FAIL|SKIP) ' | awk '{ print "L0: fail| " $0 }'
    echo "L0: --- the shim's L0 lines on the console of $name:"
    tr -d '\r' < "$CONLOG/guest-$name.log" 2>/dev/null | grep -E 'l0: |services: |smp: |\(pvshim\) memory: ' | head -n 40 | awk '{ print "L0: shim| " $0 }'
    echo "L0: --- console of $name (last 40 lines):"
    tr -d '\r' < "$CONLOG/guest-$name.log" 2>/dev/null | tail -n 40 | awk '{ print "L0: con| " $0 }'
}

# result SHIM TEST VERDICT DETAIL: the verdict, unless dom0 itself failed.
result() {
    [ "$fatal" -gt 0 ] && dmesg | grep -E 'segfault at|potentially unexpected fatal signal|general protection' |
        tail -n "$fatal" | sed 's/^/L0: DOM0-FAILURE kernel: /'
    if [ "$fatal" -gt 0 ] || [ "$xl_status" -ge 128 ] || [ -n "$dom0_err" ] ||
       ! dead=$(daemons_alive); then
        echo "L0: RESULT $1 $2 DOM0-FAILURE fatal-signals=$fatal xl-status=$xl_status ${dead:+dead=$dead} ${dom0_err:+dom0: $dom0_err} (the shim's verdict would have been: $3 $4)"
    else
        echo "L0: RESULT $1 $2 $3 $4"
    fi
}

reasons() { case $1 in 0) echo poweroff ;; 1) echo reboot ;; 2) echo suspend ;; 3) echo crash ;; 4) echo watchdog ;; *) echo "$1" ;; esac; }

# pvtest64 as the shim's guest: its final line with 0 failed.
t_pvtest64() {
    write_cfg "pvtest-$1" "$1" /l0/pvtest64 /l0/pvtest64.mod "pvtest64-cmdline-token"
    run_domain "pvtest-$1" "$1" 'pvtest64: [0-9]+ passed, [0-9]+ failed'
    line=$(tr -d '\r' < "$CONLOG/guest-pvtest-$1.log" 2>/dev/null | grep -oE 'pvtest64: [0-9]+ passed, [0-9]+ failed' | tail -n 1)
    case $line in
    *', 0 failed') result "$1" pvtest64 PASS "$line reason=$(reasons "$reason")" ;;
    '') result "$1" pvtest64 FAIL "no final line; reason=$(reasons "$reason")" ;;
    *) result "$1" pvtest64 FAIL "$line" ;;
    esac
}

# xl save / xl restore of a running Linux guest (issue 14, deliverable 5):
# passes when the save ends with the domain saved and gone, xl restore
# brings it back, the guest's workload (pvshim.test=balloon: a line every
# 2 s) goes on printing, and `xl shutdown -w` then powers the restored
# guest off (its xenstore watch and event channels work in the new domain).
do_save() {
    xl save "$1" "/tmp/$1.save" > "/tmp/$1.savelog" 2>&1 &
    wait_pid $! 180
    save_rc=$?
    save_alive=no
    xl domid "$1" > /dev/null 2>&1 && save_alive=yes
    restore_rc=not-run
    lines0=$(tr -d '\r' < "$CONLOG/guest-$1.log" 2>/dev/null | grep -cE '^balloon: ')
    if [ "$save_rc" = 0 ] && [ "$save_alive" = no ] && [ -s "/tmp/$1.save" ]; then
        xl restore "/tmp/$1.save" > "/tmp/$1.restorelog" 2>&1 &
        wait_pid $! 180
        restore_rc=$?
        sleep 20
    else
        sleep 10
    fi
    rm -f "/tmp/$1.save"
    lines1=$(tr -d '\r' < "$CONLOG/guest-$1.log" 2>/dev/null | grep -cE '^balloon: ')
    if [ "$restore_rc" = 0 ]; then
        xl shutdown -w "$1" > "/tmp/$1.shutdownlog" 2>&1 &
        wait_pid $! 180
        shutdown_rc=$?
    fi
    xl destroy "$1" > /dev/null 2>&1
}
# save_test SHIM TEST NAME: the Linux save test as TEST, domain NAME.
save_test() {
    save_rc=not-run restore_rc=not-run save_alive=? lines0=0 lines1=0 shutdown_rc=not-run
    write_cfg "$3" "$1" /l0/vmlinuz /l0/initramfs.cpio.gz "console=hvc0 pvshim.test=balloon"
    run_domain "$3" "$1" 'PVSHIM-TEST: balloon start' do_save
    xlout=$(tail -n 4 "/tmp/$3.savelog" 2>/dev/null | tr '\n' '|')
    echo "L0: MEASURE $1 $2 save_rc=$save_rc domain_after_save=$save_alive restore_rc=$restore_rc workload_lines=$lines0->$lines1 shutdown_after_restore_rc=$shutdown_rc"
    awk '{ print "L0: save| " $0 }' "/tmp/$3.savelog" "/tmp/$3.restorelog" \
        "/tmp/$3.shutdownlog" 2>/dev/null | grep -v 'progress: ' | tail -n 20
    # What the guest and pvshim said about it.
    tr -d '\r' < "$CONLOG/guest-$3.log" 2>/dev/null |
        grep -iE 'suspend|freez|restarting tasks|resum|PM: |xen:|\(pvshim\) (guest|warn|l0)' |
        grep -v 'balloon: ' | tail -n 30 | awk '{ print "L0: save| guest: " $0 }'
    if [ "$save_rc" = 0 ] && [ "$restore_rc" = 0 ] && [ "$lines1" -gt $((lines0 + 2)) ] &&
       [ "$shutdown_rc" = 0 ]; then
        result "$1" "$2" PASS "saved, restored, the workload went on ($lines0 -> $lines1 lines), xl shutdown -w ended it"
    else
        result "$1" "$2" FAIL "xl save: $save_rc (${xlout:-no output}), domain still there: $save_alive, xl restore: $restore_rc, workload lines $lines0 -> $lines1, xl shutdown -w: $shutdown_rc"
    fi
}
t_save() {
    save_test "$1" save "save-$1"
}
# The same with two vCPUs (Linux suspends from CPU 0 inside stop_machine,
# CPU 1 spinning; after the restore it downs, re-registers and ups CPU 1).
t_save_smp() {
    VCPUS=2
    save_test "$1" save-smp "savesmp-$1"
    VCPUS=1
}

# xl save -c (checkpoint: the domain is saved and goes on running, its
# suspend "cancelled"): passes when xl save -c succeeds, the same domain
# (same domid) is still there, the guest's workload goes on, and `xl
# shutdown -w` then powers it off.
do_save_c() {
    domid0=$(xl domid "$1" 2>/dev/null)
    lines0=$(tr -d '\r' < "$CONLOG/guest-$1.log" 2>/dev/null | grep -cE '^balloon: ')
    xl save -c "$1" "/tmp/$1.save" > "/tmp/$1.savelog" 2>&1 &
    wait_pid $! 180
    save_rc=$?
    rm -f "/tmp/$1.save"
    domid1=$(xl domid "$1" 2>/dev/null)
    sleep 20
    lines1=$(tr -d '\r' < "$CONLOG/guest-$1.log" 2>/dev/null | grep -cE '^balloon: ')
    xl shutdown -w "$1" > "/tmp/$1.shutdownlog" 2>&1 &
    wait_pid $! 180
    shutdown_rc=$?
}
t_save_cancel() {
    save_rc=not-run domid0= domid1= lines0=0 lines1=0 shutdown_rc=not-run
    write_cfg "savec-$1" "$1" /l0/vmlinuz /l0/initramfs.cpio.gz "console=hvc0 pvshim.test=balloon"
    run_domain "savec-$1" "$1" 'PVSHIM-TEST: balloon start' do_save_c
    echo "L0: MEASURE $1 save-cancel save_rc=$save_rc domid=$domid0->$domid1 workload_lines=$lines0->$lines1 shutdown_rc=$shutdown_rc"
    awk '{ print "L0: save| " $0 }' "/tmp/savec-$1.savelog" "/tmp/savec-$1.shutdownlog" 2>/dev/null |
        grep -v 'progress: ' | tail -n 20
    tr -d '\r' < "$CONLOG/guest-savec-$1.log" 2>/dev/null |
        grep -iE 'suspend|freez|restarting tasks|resum|l0: ' | grep -v 'balloon: ' | tail -n 20 |
        awk '{ print "L0: save| guest: " $0 }'
    if [ "$save_rc" = 0 ] && [ -n "$domid0" ] && [ "$domid0" = "$domid1" ] &&
       [ "$lines1" -gt $((lines0 + 2)) ] && [ "$shutdown_rc" = 0 ]; then
        result "$1" save-cancel PASS "xl save -c, the same domain $domid1 went on ($lines0 -> $lines1 lines), then xl shutdown -w ended it"
    else
        result "$1" save-cancel FAIL "xl save -c: $save_rc, domid $domid0 -> ${domid1:-gone}, workload lines $lines0 -> $lines1, xl shutdown -w: $shutdown_rc"
    fi
}

# xl save / xl restore of pvtest64's migrate workload (pvtest64-migrate:
# a counter and a buffer in its memory, a line per step, polling
# control/shutdown itself). Passes when xl save ends with the domain saved
# and gone, xl restore brings it back, the guest's suspend returned 0
# ("resumed in a new domain"), and its migrate checks after the resume
# (counter and memory intact, clocks forward, start_info, ports masked,
# xenstore answering on the new port) end with 0 failed.
do_save64() {
    xl save "$1" "/tmp/$1.save" > "/tmp/$1.savelog" 2>&1 &
    wait_pid $! 300
    save_rc=$?
    save_alive=no
    xl domid "$1" > /dev/null 2>&1 && save_alive=yes
    save_size=$(wc -c < "/tmp/$1.save" 2>/dev/null || echo 0)
    restore_rc=not-run
    if [ "$save_rc" = 0 ] && [ "$save_alive" = no ] && [ -s "/tmp/$1.save" ]; then
        t_restore=$(now)
        xl restore "/tmp/$1.save" > "/tmp/$1.restorelog" 2>&1 &
        wait_pid $! 300
        restore_rc=$?
        # The restored guest runs its checks and powers itself off.
        end64=$(( $(now_s) + DOMAIN_TIMEOUT ))
        while ! tr -d '\r' < "$CONLOG/guest-$1.log" 2>/dev/null | grep -qE 'pvtest64: [0-9]+ passed'; do
            [ "$(now_s)" -ge "$end64" ] && break
            sleep 1
        done
        t_restore=$(elapsed "$t_restore")
    fi
    xl destroy "$1" > /dev/null 2>&1
    rm -f "/tmp/$1.save"
}
t_pvtest64_save() {
    save_rc=not-run restore_rc=not-run save_alive=? save_size=0 t_restore=
    # 128 MiB: the save file lives in dom0's memory (its /tmp).
    mem=$MEMORY MEMORY=128
    write_cfg "save64-$1" "$1" /l0/pvtest64 /l0/pvtest64.mod "pvtest64-migrate"
    MEMORY=$mem
    run_domain "save64-$1" "$1" 'MIGRATE: step 2 ' do_save64
    log=$CONLOG/guest-save64-$1.log
    line=$(tr -d '\r' < "$log" 2>/dev/null | grep -oE 'pvtest64: [0-9]+ passed, [0-9]+ failed' | tail -n 1)
    ret=$(tr -d '\r' < "$log" 2>/dev/null | grep -oE 'MIGRATE: suspend returned -?[0-9]+' | tail -n 1)
    echo "L0: MEASURE $1 pvtest64-save save_rc=$save_rc domain_after_save=$save_alive save_bytes=$save_size restore_rc=$restore_rc restore_to_end_s=$t_restore"
    awk '{ print "L0: save| " $0 }' "/tmp/save64-$1.savelog" "/tmp/save64-$1.restorelog" 2>/dev/null |
        grep -v 'progress: ' | tail -n 20
    tr -d '\r' < "$log" 2>/dev/null | grep -E 'MIGRATE: (suspend|system time)|l0: |save: |resume: ' |
        tail -n 20 | awk '{ print "L0: save| guest: " $0 }'
    case "$save_rc $restore_rc $ret $line" in
    "0 0 MIGRATE: suspend returned 0 "*", 0 failed")
        result "$1" pvtest64-save PASS "saved ($save_size bytes), restored, $line" ;;
    *)
        result "$1" pvtest64-save FAIL "xl save: $save_rc, domain still there: $save_alive, xl restore: $restore_rc, ${ret:-no suspend return seen}, ${line:-no final line}" ;;
    esac
}

# pvtest64 with vcpus = 2: pvshim starts the PVH domain's second vCPU and
# the guest gets both; its smp checks run (none skipped) and pass.
t_smp() {
    VCPUS=2
    write_cfg "smp-$1" "$1" /l0/pvtest64 /l0/pvtest64.mod "pvtest64-cmdline-token"
    VCPUS=1
    run_domain "smp-$1" "$1" 'pvtest64: [0-9]+ passed, [0-9]+ failed'
    log=$CONLOG/guest-smp-$1.log
    line=$(tr -d '\r' < "$log" 2>/dev/null | grep -oE 'pvtest64: [0-9]+ passed, [0-9]+ failed' | tail -n 1)
    smp_pass=$(tr -d '\r' < "$log" 2>/dev/null | grep -cE '^PASS smp\.')
    smp_skip=$(tr -d '\r' < "$log" 2>/dev/null | grep -cE '^SKIP smp\.')
    detail="$line; smp checks: $smp_pass passed, $smp_skip skipped; reason=$(reasons "$reason")"
    case $line in
    *', 0 failed') if [ "$smp_skip" = 0 ] && [ "$smp_pass" -ge 5 ]; then
                       result "$1" smp PASS "$detail"
                   else
                       result "$1" smp FAIL "$detail"
                   fi ;;
    *) result "$1" smp FAIL "${line:-no final line}; $detail" ;;
    esac
}

# Debian's 6.1 kernel with vcpus = 2 (pvshim.test=smp): both CPUs online
# in the guest, a busy process on each, threads, fork/exec, CPU 1 off and
# on again; poweroff.
t_linux_smp() {
    VCPUS=2
    write_cfg "lsmp-$1" "$1" /l0/vmlinuz /l0/initramfs.cpio.gz "console=hvc0 pvshim.test=smp"
    VCPUS=1
    run_domain "lsmp-$1" "$1" 'PVSHIM-TEST: done [0-9]+ passed'
    log=$CONLOG/guest-lsmp-$1.log
    done_line=$(tr -d '\r' < "$log" 2>/dev/null | grep -oE 'PVSHIM-TEST: done [0-9]+ passed [0-9]+ failed' | tail -n 1)
    cpus=$(tr -d '\r' < "$log" 2>/dev/null | grep -oE 'init: cpus [0-9]+ online [0-9-]+' | head -n 1)
    case "$done_line|$cpus|$reason" in
    *' 0 failed|init: cpus 2 online 0-1|0') result "$1" linux-smp PASS "$cpus; ${done_line#PVSHIM-TEST: }; poweroff" ;;
    *) result "$1" linux-smp FAIL "${cpus:-no cpu count}; ${done_line:-no final line}; reason=$(reasons "$reason")" ;;
    esac
}

# Debian's 6.1 kernel to userspace (the test initramfs, pvshim.test=poweroff):
# the userspace marker, MemTotal, poweroff as the reason.
t_linux() {
    write_cfg "linux-$1" "$1" /l0/vmlinuz /l0/initramfs.cpio.gz \
        "console=hvc0 pvshim.test=poweroff"
    run_domain "linux-$1" "$1" 'PVSHIM-TEST: userspace up'
    mem=$(tr -d '\r' < "$CONLOG/guest-linux-$1.log" 2>/dev/null | sed -n 's/.*MemTotal: *\([0-9]*\) kB.*/\1/p' | tail -n 1)
    # The kernel's own count, in case userspace is never reached.
    kmem=$(tr -d '\r' < "$CONLOG/guest-linux-$1.log" 2>/dev/null | grep -oE 'Memory: [0-9]+K/[0-9]+K available' | head -n 1 | tr ' ' '_')
    echo "L0: MEASURE $1 linux userspace_s=${t_marker:-none} memtotal_kb=${mem:-none} kernel=${kmem:-none} total_s=$t_total reason=$(reasons "$reason")"
    if [ -n "$t_marker" ] && [ "$reason" = 0 ]; then
        result "$1" linux PASS "userspace after ${t_marker}s, MemTotal ${mem:-?} kB, poweroff"
    else
        result "$1" linux FAIL "userspace=${t_marker:-never} reason=$(reasons "$reason")"
    fi
}

# xl shutdown of a running Linux guest (pvshim.test=idle: its /init powers
# off when the kernel's shutdown watch runs /sbin/poweroff) ends it with
# reason poweroff. Needs the guest's xenstore to be dom0's.
do_xl_shutdown() { sleep 2; xl shutdown "$1" > "/tmp/$1.shutdown" 2>&1; }
t_shutdown() {
    write_cfg "shut-$1" "$1" /l0/vmlinuz /l0/initramfs.cpio.gz "console=hvc0 pvshim.test=idle"
    run_domain "shut-$1" "$1" 'PVSHIM-TEST: idle' do_xl_shutdown
    if [ -n "$t_marker" ] && [ "$reason" = 0 ] &&
       grep -q 'PVSHIM-TEST: shutdown requested' "$CONLOG/guest-shut-$1.log"; then
        result "$1" xl-shutdown PASS "reason=poweroff, after the guest's own shutdown"
    else
        result "$1" xl-shutdown FAIL "userspace=${t_marker:-never} reason=$(reasons "$reason") $(cat "/tmp/shut-$1.shutdown" 2>/dev/null)"
    fi
}

# A disk from dom0's blkback (a loop device over a file in dom0's tmpfs, 4
# MiB, its first MiB "PVSHIM-VBD-READ" lines): the guest's xen-blkfront sees
# xvda, reads the known MiB, writes 1 MiB of "PVSHIM-VBD-WRITTEN" lines at 2
# MiB (pvshim.vbd=rw); dom0 finds them in the file after power-off. The
# guest's grant entries are in L0's grant frames and its event channel is
# L0's port, or blkback could not map or bind them.
pattern_md5() { yes "$1" | head -c 1048576 | md5sum | cut -d' ' -f1; }
t_disk() {
    img=/tmp/disk-$1.img
    { yes PVSHIM-VBD-READ | head -c 1048576; head -c 3145728 /dev/zero; } > "$img"
    loop=$(losetup -f)
    losetup "$loop" "$img" || { result "$1" disk FAIL "losetup $loop failed (dom0)"; return; }
    EXTRA_CFG="disk = [ 'format=raw, vdev=xvda, access=rw, script=/l0/hotplug-disk, target=$loop' ]" \
        write_cfg "disk-$1" "$1" /l0/vmlinuz /l0/initramfs.cpio.gz \
        "console=hvc0 pvshim.test=vbd pvshim.vbd=rw"
    run_domain "disk-$1" "$1" 'PVSHIM-TEST: env' do_device_dump
    losetup -d "$loop"
    written=$(dd if="$img" bs=65536 skip=32 count=16 2>/dev/null | md5sum | cut -d' ' -f1)
    rm -f "$img"
    log=$CONLOG/guest-disk-$1.log
    if grep -q 'PVSHIM-TEST: PASS vbd' "$log" && [ "$reason" = 0 ] &&
       [ "$written" = "$(pattern_md5 PVSHIM-VBD-WRITTEN)" ]; then
        result "$1" disk PASS "xvda read and written through dom0's blkback, data in dom0's file, poweroff"
        rm -f /tmp/device-dump
    else
        device_dump_report
        result "$1" disk FAIL "guest=$(grep -oE 'PVSHIM-TEST: (PASS|FAIL) vbd' "$log" | tail -n 1 | tr ' ' _) written-data=$([ "$written" = "$(pattern_md5 PVSHIM-VBD-WRITTEN)" ] && echo ok || echo missing) reason=$(reasons "$reason") $(tr -d '\r' < "$log" | grep -E 'vbd:|blkfront' | tail -n 3 | tr '\n' '|')"
    fi
}

# A NIC from dom0's netback: the guest's xen-netfront gets eth0, takes
# 10.99.0.2/24 and pings dom0's end of the link (10.99.0.1 on vifN.0, set
# by /l0/hotplug-vif).
t_net() {
    EXTRA_CFG="vif = [ 'mac=00:16:3e:4c:30:01, script=/l0/hotplug-vif' ]" \
        write_cfg "net-$1" "$1" /l0/vmlinuz /l0/initramfs.cpio.gz \
        "console=hvc0 pvshim.test=ping pvshim.addr=10.99.0.2/24 pvshim.peer=10.99.0.1"
    run_domain "net-$1" "$1" 'PVSHIM-TEST: env' do_device_dump
    log=$CONLOG/guest-net-$1.log
    if grep -q 'PVSHIM-TEST: PASS ping' "$log" && [ "$reason" = 0 ]; then
        result "$1" net PASS "eth0 up, $(tr -d '\r' < "$log" | grep -oE '[0-9]+ packets received' | tail -n 1) from dom0, poweroff"
        rm -f /tmp/device-dump
    else
        device_dump_report
        result "$1" net FAIL "reason=$(reasons "$reason") $(tr -d '\r' < "$log" | grep -E 'net:|packets|netfront' | tail -n 3 | tr '\n' '|')"
    fi
}

# What the device handshake left in xenstore 30 s into the guest's
# userspace (if it still runs), and dom0's kernel messages about it
# (reported when the test fails).
do_device_dump() {
    sleep 30
    d=$(xl domid "$1" 2>/dev/null) || return
    { xenstore-ls -f "/local/domain/$d/device"; xenstore-ls -f "/local/domain/0/backend"
      dmesg | grep -iE 'blkback|netback|vif|xen|loop' | tail -n 15; } > /tmp/device-dump 2>&1
}
device_dump_report() {
    grep -vE '/(feature-[a-z-]*|multi-queue-[a-z-]*|discard-[a-z-]*|protocol|sectors|info|sector-size|mode|params|frontend-id|online|script|handle|type|device-type|bootable|virtual-device|backend-id|removable) = ' /tmp/device-dump 2>/dev/null |
        head -n 40 | awk '{ print "L0: dev| " $0 }'
    rm -f /tmp/device-dump
}

# The guest's balloon: its target agrees with what it has from the start
# (no driver chasing memory that is not there), and after `xl mem-set` to
# 3/4 of the domain it gives memory back until it meets the new target,
# and L0 counts the domain that much smaller (xl list): pvshim gave the
# frames on to L0. The guest prints its balloon figures every 2 s
# (pvshim.test=balloon).
xl_mem() { xl list "$1" 2>/dev/null | awk 'NR == 2 { print $3 }'; }
do_mem_set() {
    xl_mem "$1" > /tmp/mem-before
    xl mem-set "$1" "$((MEMORY * 3 / 4))m" > /tmp/mem-set.out 2>&1
    sleep 40
    xl_mem "$1" > /tmp/mem-after
}
t_balloon() {
    rm -f /tmp/mem-before /tmp/mem-after
    write_cfg "balloon-$1" "$1" /l0/vmlinuz /l0/initramfs.cpio.gz "console=hvc0 pvshim.test=balloon"
    run_domain "balloon-$1" "$1" 'PVSHIM-TEST: balloon start' do_mem_set
    log=$CONLOG/guest-balloon-$1.log
    first=$(tr -d '\r' < "$log" | grep -E '^balloon: ' | head -n 1)
    last=$(tr -d '\r' < "$log" | grep -E '^balloon: ' | tail -n 1)
    before=$(cat /tmp/mem-before 2>/dev/null) after=$(cat /tmp/mem-after 2>/dev/null)
    set -- "$1" $first
    c0=${4:-none} t0=${6:-none}
    set -- "$1" $last
    c1=${4:-none} t1=${6:-none}
    echo "L0: MEASURE $1 balloon boot_current_kb=$c0 boot_target_kb=$t0 end_current_kb=$c1 end_target_kb=$t1 l0_mib_before=${before:-none} l0_mib_after=${after:-none} reason=$(reasons "$reason")"
    if [ "$c0" != none ] && [ "$c1" != none ] && [ "$c0" = "$t0" ] && [ "$c1" = "$t1" ] && [ "$t1" != "$t0" ] && [ -n "$before" ] && [ -n "$after" ] &&
       [ $((before - after)) -ge $((MEMORY / 4 - 2)) ] && [ "$reason" = 0 ]; then
        result "$1" balloon PASS "target = current at boot ($c0 kB); after xl mem-set $((MEMORY * 3 / 4))m the guest has $c1 kB = its target, L0 counts ${before} -> ${after} MiB"
    else
        result "$1" balloon FAIL "boot current/target $c0/$t0, end $c1/$t1, L0 MiB $before -> $after, mem-set: $(cat /tmp/mem-set.out 2>/dev/null | tr '\n' ' ') reason=$(reasons "$reason")"
    fi
}

# A guest's SCHEDOP_shutdown(crash) (pvtest64-crash) shows as crash.
t_crash() {
    write_cfg "crash-$1" "$1" /l0/pvtest64 /l0/pvtest64.mod "pvtest64-cmdline-token pvtest64-crash"
    run_domain "crash-$1" "$1" 'pvtest64: crashing on purpose'
    if [ "$reason" = 3 ]; then
        result "$1" crash PASS "reason=crash"
    else
        result "$1" crash FAIL "marker=${t_marker:-never} reason=$(reasons "$reason")"
    fi
}

# A Linux guest's panic (sysrq from its /init) shows as crash.
t_linux_crash() {
    write_cfg "lcrash-$1" "$1" /l0/vmlinuz /l0/initramfs.cpio.gz "console=hvc0 pvshim.test=panic"
    run_domain "lcrash-$1" "$1" 'PVSHIM-TEST: userspace up'
    if [ "$reason" = 3 ]; then
        result "$1" linux-crash PASS "reason=crash"
    else
        result "$1" linux-crash FAIL "userspace=${t_marker:-never} reason=$(reasons "$reason")"
    fi
}

# `xl console` shows the domain's console: pvtest64's lines read back
# through `xl console` itself (not xenconsoled's log).
t_xl_console() {
    write_cfg "cons-$1" "$1" /l0/pvtest64 /l0/pvtest64.mod "pvtest64-cmdline-token"
    WITH_CONSOLE=1 run_domain "cons-$1" "$1" 'pvtest64: [0-9]+ passed'
    if tr -d '\r' < "/tmp/cons-$1.console" | grep -qE '^pvtest64: [0-9]+ passed'; then
        result "$1" xl-console PASS "$(tr -d '\r' < "/tmp/cons-$1.console" | grep -c '^PASS ') PASS lines and the final line read through xl console"
    else
        result "$1" xl-console FAIL "$(tr -d '\r' < "/tmp/cons-$1.console" 2>/dev/null | tail -n 3 | tr '\n' '|')"
    fi
}

# A Linux guest's hvc0 through xl's console client: a command typed, its
# output read back.
t_linux_console() {
    write_cfg "lcons-$1" "$1" /l0/vmlinuz /l0/initramfs.cpio.gz "console=hvc0 pvshim.test=shell"
    run_domain "lcons-$1" "$1" 'PVSHIM-TEST: userspace up' do_console_destroy
    if grep -q 'L0-CONSOLE-OK' "/tmp/lcons-$1.console" 2>/dev/null; then
        result "$1" linux-console PASS "the echo came back through xenconsole (xl console's client)"
    else
        result "$1" linux-console FAIL "$(tr -d '\r' < "/tmp/lcons-$1.console" 2>/dev/null | tail -n 3 | tr '\n' '|')"
    fi
}
do_console() {
    # The shell may take the first line as its answer to a terminal query.
    # `xl console` runs xenconsole, which reads its standard input only with
    # --interactive (xl passes it for a terminal): the same client, called
    # directly, for a pipe.
    # The domid from xl create's own "Waiting for domain" line (no extra
    # dom0 process), else `xl domid`; neither is dom0 failing, not pvshim.
    domid=$(sed -n 's/.*Waiting for domain .*(domid \([0-9]*\)).*/\1/p' "/tmp/$1.xl" | tail -n 1)
    [ -n "$domid" ] || domid=$(xl domid "$1" 2>&1)
    case $domid in
    '' | 0 | *[!0-9]*)
        dom0_err="xl domid $1 gave '$domid' while the domain ran"
        : > "/tmp/$1.console"
        return ;;
    esac
    { sleep 2; echo; sleep 3; echo 'echo L0-CONSOLE-$((40+2))'; sleep 3;
      echo 'echo L0-CONSOLE-$((40+2))'; sleep 5; } |
        xenconsole --interactive --type pv "$domid" > "/tmp/$1.console" 2>&1 &
    cpid=$!
    sleep 14
    kill "$cpid" 2>/dev/null
    tr -d '\r' < "/tmp/$1.console" | sed 's/L0-CONSOLE-42/L0-CONSOLE-OK/' > "/tmp/$1.console.t"
    mv "/tmp/$1.console.t" "/tmp/$1.console"
}

do_console_destroy() {
    do_console "$1"
    xl destroy "$1" > /dev/null 2>&1 &
    wait_pid $! 120 || [ $? != 124 ] || dom0_err="xl destroy $1 did not return in 120 s"
}

# ---------------------------------------------------------------- inventory
# pvshim-inventory (issue 16), run in dom0 while a classic PV domU (Debian's
# 6.1 kernel, type = "pv", pvshim.test=idle) runs, beside three domains xl
# builds but leaves paused (they never run, so the shim under test cannot
# change the outcome): a PVH domain running pvtest64 through the shim
# (PVH+shim), and two classic PV domains whose kernel file is afterwards
# deleted (the inventory must say it cannot be read) or replaced by a
# PVH-only image (pvshim's parser must refuse it). Checked on --json, with
# the table printed for the log.

# inv_cfg NAME TYPE KERNEL MEMORY [SHIM]: a domain of one vCPU.
inv_cfg() {
    {
        echo "name = \"$1\""
        echo "type = \"$2\""
        echo "kernel = \"$3\""
        echo "memory = $4"
        echo 'vcpus = 1'
        if [ "$2" = pvh ]; then
            echo 'pvshim = 1'
            echo "pvshim_path = \"$(shim_path "$5")\""
            echo 'tsc_mode = "native"'
        else
            echo 'ramdisk = "/l0/initramfs.cpio.gz"'
            echo 'cmdline = "console=hvc0 pvshim.test=idle"'
        fi
        echo 'on_poweroff = "destroy"'
        echo 'on_crash = "destroy"'
    } > "/tmp/$1.cfg"
}

# inv_expect NAME TEXT...: the domain's JSON line holds every TEXT.
inv_expect() {
    n=$1
    shift
    line=$(grep -F "\"name\":\"$n\"" /tmp/inv.json)
    [ -n "$line" ] || { inv_bad="$inv_bad; no line for $n"; return; }
    for want in "$@"; do
        case $line in
        *"$want"*) ;;
        *) inv_bad="$inv_bad; $n lacks $want" ;;
        esac
    done
}

t_inventory() {
    pv=invpv-$1 shim=invshim-$1 gone=invgone-$1 refused=invref-$1
    f0=$(fatal_count)
    t0=$(now)
    cp /l0/pvtest64 /tmp/inv-gone-kernel
    cp /l0/pvtest64 /tmp/inv-refused-kernel
    inv_cfg "$pv" pv /l0/vmlinuz "$MEMORY"
    inv_cfg "$shim" pvh /l0/pvtest64 64 "$1"
    inv_cfg "$gone" pv /tmp/inv-gone-kernel 32
    inv_cfg "$refused" pv /tmp/inv-refused-kernel 32
    rm -f "$CONLOG/guest-$pv.log"
    xl_status=0
    for d in "$shim" "$gone" "$refused"; do
        xl create -p "/tmp/$d.cfg" > "/tmp/$d.xl" 2>&1 || xl_status=$?
    done
    rm -f /tmp/inv-gone-kernel
    cp /l0/pvshim-pvh /tmp/inv-refused-kernel
    xl create "/tmp/$pv.cfg" > "/tmp/$pv.xl" 2>&1 || xl_status=$?
    # The PV domU up and idle: its userspace waits for a shutdown request.
    t_marker=
    end=$(( $(now_s) + DOMAIN_TIMEOUT ))
    while [ "$(now_s)" -lt "$end" ]; do
        if grep -q 'PVSHIM-TEST: idle' "$CONLOG/guest-$pv.log" 2>/dev/null; then
            t_marker=$(elapsed "$t0")
            break
        fi
        xl domid "$pv" > /dev/null 2>&1 || break
        sleep 1
    done
    pvid=$(xl domid "$pv" 2>/dev/null)
    state=$(xl list "$pv" 2>/dev/null | awk 'NR == 2 { print $5 }')
    /l0/pvshim-inventory > /tmp/inv.txt 2>&1
    inv_table=$?
    /l0/pvshim-inventory --json > /tmp/inv.json 2> /tmp/inv.err
    inv_json=$?
    echo "L0: --- pvshim-inventory (status $inv_table; PV domU $pv id ${pvid:-none} state ${state:-none}, idle after ${t_marker:-never}s):"
    awk '{ print "L0: inv| " $0 }' /tmp/inv.txt
    echo "L0: --- pvshim-inventory --json (status $inv_json):"
    awk '{ print "L0: inv| " $0 }' /tmp/inv.json /tmp/inv.err
    for d in "$pv" "$shim" "$gone" "$refused"; do
        awk '{ print "L0: xl| " $0 }' "/tmp/$d.xl" | tail -n 5
        xl destroy "$d" > /dev/null 2>&1
    done
    fatal=$(( $(fatal_count) - f0 ))
    t_total=$(elapsed "$t0")

    inv_bad=
    [ "$inv_table" = 0 ] && [ "$inv_json" = 0 ] || inv_bad="$inv_bad; exit status $inv_table/$inv_json"
    [ -n "$t_marker" ] && [ -n "$pvid" ] || inv_bad="$inv_bad; the PV domU did not run"
    grep -q '^DOMID  NAME' /tmp/inv.txt || inv_bad="$inv_bad; no table header"
    grep -qE "^$pvid +$pv +PV +1/1 .* /l0/vmlinuz +runs\$" /tmp/inv.txt ||
        inv_bad="$inv_bad; no table row for $pv"
    grep -qF '{"pvshim":"domain","domid":0,"name":"Domain-0",' /tmp/inv.json ||
        inv_bad="$inv_bad; no Domain-0 line first"
    inv_expect Domain-0 '"type":"pv"' '"verdict":"dom0"'
    inv_expect "$pv" "\"domid\":$pvid," '"type":"pv"' '"pv_in_pvh":false' '"vcpus":1,' \
        '"kernel":"/l0/vmlinuz"' '"kernel_source":"xenstore"' \
        '"ramdisk":"/l0/initramfs.cpio.gz"' '"cmdline":"console=hvc0 pvshim.test=idle"' \
        '"verdict":"runs"' '"container":"bzImage+' '"elf_class":64' '"guest_os":"linux"' \
        '"features_required":["writable_page_tables"]'
    mem=$(grep -F "\"name\":\"$pv\"" /tmp/inv.json | sed -n 's/.*"memory_kib":\([0-9]*\),.*/\1/p')
    # MEMORY MiB, less what the guest's balloon may have handed back.
    [ -n "$mem" ] && [ "$mem" -le $((MEMORY * 1024)) ] && [ "$mem" -ge $((MEMORY * 1024 * 9 / 10)) ] ||
        inv_bad="$inv_bad; $pv memory_kib ${mem:-none} for memory = $MEMORY"
    inv_expect "$shim" '"type":"pvh"' '"pv_in_pvh":true' "\"shim_path\":\"$(shim_path "$1")\"" \
        '"kernel":"/l0/pvtest64"' '"kernel_source":"libxl-json"' '"verdict":"runs"' \
        '"elf_class":64'
    inv_expect "$gone" '"type":"pv"' '"verdict":"no-kernel"' \
        '"reason":"kernel /tmp/inv-gone-kernel cannot be read: No such file or directory"'
    inv_expect "$refused" '"type":"pv"' '"verdict":"refused"' 'only a PVH entry point'
    echo "L0: MEASURE $1 inventory pv_idle_s=${t_marker:-none} total_s=$t_total memory_kib=${mem:-none}"
    if [ -z "$inv_bad" ]; then
        result "$1" inventory PASS "PV domU $pv (id $pvid) listed as PV, 1 vCPU, ${mem} KiB, /l0/vmlinuz, runs; PVH+shim, unreadable and refused kernels said so"
    else
        result "$1" inventory FAIL "${inv_bad#; }"
    fi
}

echo "L0: dom0 date: $(date -u)"
echo "L0: xl info: $(xl info 2>&1 | grep -E '^(xen_version|total_memory|free_memory|virt_caps|xen_commandline)' | tr -s ' ' | tr '\n' ';')"
for shim in $SHIMS; do
    for t in $TESTS; do
        echo "L0: --- $shim $t at $(now)"
        "t_$t" "$shim"
    done
done
