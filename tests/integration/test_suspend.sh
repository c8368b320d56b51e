# The guest leaves pvshim by suspending (issue 20, part 3): the host's
# Ctrl-] save command writes control/shutdown = suspend as xl save does;
# pvtest64 in its pvtest64-migrate mode (a step counter and a buffer in
# memory) acknowledges it and suspends; pvshim writes a save file to its
# save disk (savedisk=0) and ends with status 0; a fresh pvshim restores
# that file as module 0 and the workload finishes with the same state.
# Without a usable save disk the suspend is cancelled (the hypercall
# returns 1) and the guest goes on in the same domain.
# The same file restored by Xen 4.17's `xl restore`: `make test-migrate`.

. tests/integration/suspend-lib.sh

test_suspend_pvtest64_roundtrip() {
    local f
    f=$(scratch pvtest64.pvshimsave)
    suspend_to_file 64 "$f" || return 1
    echo "(test harness) ---- restore ----" >> "$LOG"
    local first_log=$LOG
    LOG=$(scratch restore.log)
    boot --mem 192 --timeout 600 --initrd "$f"
    cat "$LOG" >> "$first_log"
    expect_log "restore: xl save file, libxc stream v3 from Xen 4.17"
    expect_log "MIGRATE: suspend returned 0 (resumed in a new domain)"
    for c in resumed counter_continues memory_intact clock_forward start_info \
             m2p_consistent ports_masked xenstore system_time_forward; do
        expect_log "PASS migrate.$c"
    done
    expect_log_re "^pvtest64: 9 passed, 0 failed"
    expect_log "guest shut down: poweroff"
    expect_status 0
    LOG=$first_log
}

# cancelled REASON_REGEX: the save failed; the guest went on in the same domain.
expect_cancelled() {
    session_expect "pvtest64: " 600 || return 1
    session_wait 120 || return 1
    expect_status 0
    expect_log_re "save: cancelled: $1; the guest's suspend returns 1 and it goes on"
    expect_log_re "MIGRATE: suspend returned 1 \(cancelled\) at step [0-9]+"
    # The workload went on from where it was, its memory as it left it.
    for c in counter_continues memory_intact clock_forward xenstore; do
        expect_log "PASS migrate.$c"
    done
    expect_no_log "save: wrote"
    expect_log "guest shut down: poweroff"
}

test_suspend_cancelled_without_save_disk() {
    suspend_session || return 1
    expect_cancelled "no save disk \(pvshim option savedisk=N\)"
}

test_suspend_cancelled_disk_too_small() {
    local disk
    disk=$(scratch small.img)
    truncate -s 1M "$disk"
    suspend_session -append savedisk=0 \
        -drive "file=$disk,if=none,id=s0,format=raw" -device virtio-blk-pci,drive=s0 || return 1
    expect_cancelled "the save disk [^ ]+ \(1048576 bytes\) is too small"
}
