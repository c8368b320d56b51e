# `make test-migrate`: Debian's 6.1 kernel with tests/migrate/linux-workload
# as init, saved at step >= 5 by Debian's Xen 4.17 (tests/migrate/mksave.sh,
# made on first use into cache/migrate), resumes in pvshim under QEMU with
# no Xen and finishes its workload with the state it had: the counter goes
# on one step at a time to 90, its file keeps every line written before the
# move, the child process it started lives, its wall clock never went back.
# The same with 2 vCPUs (a busy worker on each, both going on after the
# move) and with a disk (xen-blkfront reconnects to pvshim's vbd over a
# virtio disk holding the image as it was at the save; every step writes
# and reads it back).
# Slow (the workload runs 90 one-second steps; minutes under TCG each).

# migrate_fixture NAME: cache/migrate/NAME.xlsave, made if missing.
migrate_fixture() {
    local dir=${MIGRATE_CACHE:-cache/migrate}
    local f=$dir/$1.xlsave
    mkdir -p "$dir"
    (
        flock 9
        [ -s "$f" ] || tests/migrate/mksave.sh --only "$1" > "$(scratch mksave.log)" 2>&1
    ) 9> "$dir/.lock" || { fail "cannot make $f: $(tail -n 3 "$(scratch mksave.log)")"; return 1; }
    echo "$f"
}

# After the resume the steps go on one at a time, none lost or repeated, to 90.
expect_steps_go_on() {
    local steps
    steps=$(sed -n '/entering the guest/,$p' "$LOG" | tr -d '\r' |
            sed -n 's/^MIGRATE: step \([0-9]*\) .* child alive.*$/\1/p')
    [ -n "$steps" ] || { fail "no step after the resume"; return; }
    echo "$steps" | awk 'NR > 1 && $1 != prev + 1 { bad = 1 } { prev = $1 } END { exit bad }' ||
        fail "steps after the resume are not consecutive: $(echo "$steps" | tr '\n' ' ')"
    [ "$(echo "$steps" | tail -n 1)" = 90 ] || fail "the last step is not 90"
}

test_linux_restore_from_xen() {
    local f
    f=$(migrate_fixture linux) || return 1
    boot --mem 512 --timeout 1200 --initrd "$f"
    expect_log "restore: xl save file, libxc stream v3 from Xen 4.17"
    expect_log_re "restore: TSC mode 0 at [0-9]+ kHz .*the guest's system time goes on from"
    expect_log "MIGRATE: done step 90 lines 90 child alive clock forward"
    expect_log "guest shut down: poweroff"
    expect_status 0
    expect_steps_go_on
}

# Two vCPUs, both saved up: both resume (QEMU -smp 2), the workload on
# CPU 0 finishes, and the worker pinned to CPU 1 counts on after the move:
# vCPU 1 runs guest code from its own saved context. (The worker on CPU 0
# is not judged: in the save that mksave.sh made, it had died on Xen before
# the save, one of the busybox crashes seen under Xen in TCG, in dom0 too;
# Xen's own restore of the file reports it dead as well.)
test_linux_smp_restore_from_xen() {
    local f
    f=$(migrate_fixture linuxsmp) || return 1
    boot --smp 2 --mem 512 --timeout 1500 --initrd "$f"
    expect_log "2 vCPU(s), 2 of them up"
    expect_log "MIGRATE: done step 90 lines 90 child alive clock forward workers"
    expect_log "guest shut down: poweroff"
    expect_status 0
    expect_steps_go_on
    sed -n '/entering the guest/,$p' "$LOG" | tr -d '\r' | grep '^MIGRATE: step ' |
        awk '{ for (i = 1; i < NF; i++) if ($i == "w1" && $(i + 1) ~ /^[0-9]+$/) { if (first == "") first = $(i + 1); last = $(i + 1) } }
             END { exit !(first != "" && last + 0 > first + 0) }' ||
        fail "the worker on CPU 1 did not count on after the resume"
}

# A guest saved with 2 vCPUs on a VM with 1 CPU: the bad-input status and why.
test_linux_smp_restore_too_few_cpus() {
    local f
    f=$(migrate_fixture linuxsmp) || return 1
    boot --mem 512 --timeout 300 --initrd "$f"
    expect_status 7
    expect_log_re "bad input: save file: the guest had 2 vCPUs; pvshim can give it 1 here"
    expect_no_log "entering the guest"
}

# xvda from dom0's blkback on Xen; in pvshim a virtio disk with the image as
# it was at the save: blkfront reconnects, the workload's writes and
# read-backs go on ("disk ok" on every step), and its lines reach the image.
test_linux_disk_restore_from_xen() {
    local f disk
    f=$(migrate_fixture linuxdisk) || return 1
    disk=$(scratch disk.raw)
    cp "${f%.xlsave}.disk" "$disk" || { fail "no ${f%.xlsave}.disk"; return 1; }
    boot --mem 512 --timeout 1200 --initrd "$f" \
        -drive "file=$disk,if=none,id=d0,format=raw" -device virtio-blk-pci,drive=d0
    expect_log "xvda: connected"
    expect_log "MIGRATE: done step 90 lines 90 child alive clock forward"
    expect_log "guest shut down: poweroff"
    expect_status 0
    expect_steps_go_on
    sed -n '/entering the guest/,$p' "$LOG" | tr -d '\r' | grep '^MIGRATE: step ' |
        grep -qv ' disk ok$' && fail "a step after the resume did not read back what it wrote"
    dd if="$disk" bs=512 skip=$((2048 + 90)) count=1 2>/dev/null | grep -qa "MIGRATE-DISK step 90" ||
        fail "the last step's line is not on the disk image"
}
