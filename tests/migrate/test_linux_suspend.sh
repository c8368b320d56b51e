# `make test-migrate`: Debian's 6.1 kernel boots as a PV guest in pvshim
# (QEMU, no Xen) with tests/migrate/linux-workload as init (a counter, a
# tmpfs file and its checksum, a child process, one step a second); the
# host's ^]save makes Linux run its suspend path (control/shutdown =
# suspend, as xl save writes it) and pvshim writes the save file to its
# save disk. Then a fresh pvshim restores that file, or Debian's Xen 4.17
# does with `xl restore` (the L0 harness, tests/migrate/xlrestore.sh), and
# the workload finishes with the state it had. Slow (90 one-second steps
# under TCG, and Xen under TCG).

. tests/integration/linux-guest.sh
. tests/integration/suspend-lib.sh

# linux_suspend_to_file MEM_MIB FILE: the workload in pvshim, saved at step >= 5.
linux_suspend_to_file() {
    local kernel initrd disk n
    linux_guest_prepare || return 1
    kernel=$(linux_guest_kernel 6.1-cloud) || return 1
    mkdir -p "$(scratch wl)"
    cp tests/migrate/linux-workload "$(scratch wl)/migrate-init"
    chmod 755 "$(scratch wl)/migrate-init"
    (cd "$(scratch wl)" && echo migrate-init | cpio -o -H newc -R 0:0 --quiet) | gzip -1 > "$(scratch wl.cpio.gz)"
    initrd=$(scratch initramfs.cpio.gz)
    cat "$LINUX_INITRD" "$(scratch wl.cpio.gz)" > "$initrd"
    disk=$(scratch save.img)
    truncate -s "$(($1 + 64))M" "$disk"
    session_start --mem "$1" --timeout 1800 --initrd "$kernel console=hvc0 rdinit=/migrate-init,$initrd" \
        -append savedisk=0 -drive "file=$disk,if=none,id=s0,format=raw" \
        -device virtio-blk-pci,drive=s0 || return 1
    session_expect "MIGRATE: step 5 " 900 || return 1
    session_send $'\x1d'save
    session_expect "guest shut down: suspend" 600 || return 1
    session_wait 120 || return 1
    expect_status 0 || return 1
    expect_log_re "save: wrote [0-9]+ bytes \([0-9]+ pages\) to "
    n=$(written_bytes)
    [ -n "$n" ] || { fail "no size in the save line"; return 1; }
    head -c "$n" "$disk" > "$2"
    rm -f "$disk" "$initrd"
}

# The steps in FILE after the resume go on one at a time to 90, none lost or repeated.
expect_steps_consecutive() {
    local steps
    steps=$(tr -d '\r' < "$1" | sed -n 's/^\(L0: con| \)\{0,1\}MIGRATE: step \([0-9]*\) .* child alive$/\2/p')
    [ -n "$steps" ] || { fail "no step after the resume"; return; }
    echo "$steps" | awk 'NR > 1 && $1 != prev + 1 { bad = 1 } { prev = $1 } END { exit bad }' ||
        fail "steps after the resume are not consecutive: $(echo "$steps" | tr '\n' ' ')"
    [ "$(echo "$steps" | tail -n 1)" = 90 ] || fail "the last step is not 90"
}

test_linux_pvshim_suspend_roundtrip() {
    local f
    f=$(scratch linux.pvshimsave)
    linux_suspend_to_file 192 "$f" || return 1
    echo "(test harness) ---- restore ----" >> "$LOG"
    local first_log=$LOG
    LOG=$(scratch restore.log)
    boot --mem 448 --timeout 1200 --initrd "$f"
    cat "$LOG" >> "$first_log"
    expect_log "restore: xl save file, libxc stream v3 from Xen 4.17"
    expect_log "MIGRATE: done step 90 lines 90 child alive clock forward"
    expect_log "guest shut down: poweroff"
    expect_status 0
    sed -n '/entering the guest/,$p' "$LOG" > "$(scratch after-resume)"
    expect_steps_consecutive "$(scratch after-resume)"
    LOG=$first_log
}

test_linux_pvshim_save_xl_restore() {
    local f pages out
    f=$(scratch linux.pvshimsave)
    out=$(scratch xlrestore.out)
    linux_suspend_to_file 160 "$f" || return 1
    pages=$(sed -n 's/.*save: wrote [0-9]* bytes (\([0-9]*\) pages).*/\1/p' "$LOG" | tail -n 1)
    tests/migrate/xlrestore.sh "$f" "$(linux_guest_kernel 6.1-cloud)" $(( pages / 256 + 2 )) \
        'MIGRATE: done ' > "$out" 2>&1
    local rc=$?
    cat "$out" >> "$LOG"
    [ $rc -le 1 ] || { fail "the Xen run did not finish (xlrestore.sh status $rc)"; return 1; }
    grep -q "RESULT xen pvshimsaved-xlrestore PASS" "$out" ||
        fail "xl restore of pvshim's file: $(grep -E 'RESULT|xl\|' "$out" | tail -n 5)"
    grep -q "L0: con| MIGRATE: done step 90 lines 90 child alive clock forward" "$out" ||
        fail "the workload did not finish under Xen with its state"
    expect_steps_consecutive "$out"
}
