# `make test-migrate`: Debian's 6.1 kernel with tests/migrate/linux-workload
# as init, saved at step >= 5 by Debian's Xen 4.17 (tests/migrate/mksave.sh,
# made on first use into cache/migrate), resumes in pvshim under QEMU with
# no Xen and finishes its workload with the state it had: the counter goes
# on one step at a time to 90, its file keeps every line written before the
# move, the child process it started lives, its wall clock never went back.
# Slow (the workload runs 90 one-second steps; a few minutes under TCG).

test_linux_restore_from_xen() {
    local dir=${MIGRATE_CACHE:-cache/migrate}
    local f=$dir/linux.xlsave
    mkdir -p "$dir"
    (
        flock 9
        [ -s "$f" ] || tests/migrate/mksave.sh --only linux > "$(scratch mksave.log)" 2>&1
    ) 9> "$dir/.lock" || { fail "cannot make $f: $(tail -n 3 "$(scratch mksave.log)")"; return 1; }
    boot --mem 512 --timeout 1200 --initrd "$f"
    expect_log "restore: xl save file, libxc stream v3 from Xen 4.17"
    expect_log "MIGRATE: done step 90 lines 90 child alive clock forward"
    expect_log "guest shut down: poweroff"
    expect_status 0
    # After the resume the steps go on one at a time, none lost or repeated.
    local steps
    steps=$(sed -n '/entering the guest/,$p' "$LOG" | tr -d '\r' |
            sed -n 's/^MIGRATE: step \([0-9]*\) .* child alive$/\1/p')
    [ -n "$steps" ] || { fail "no step after the resume"; return; }
    echo "$steps" | awk 'NR > 1 && $1 != prev + 1 { bad = 1 } { prev = $1 } END { exit bad }' ||
        fail "steps after the resume are not consecutive: $(echo "$steps" | tr '\n' ' ')"
    [ "$(echo "$steps" | tail -n 1)" = 90 ] || fail "the last step is not 90"
}
