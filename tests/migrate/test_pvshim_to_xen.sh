# `make test-migrate`, the reverse direction: pvtest64 in its
# pvtest64-migrate mode runs in pvshim under QEMU with no Xen, the host's
# ^]save makes it suspend and pvshim writes its save file to the save disk;
# Debian's Xen 4.17 (the L0 harness, under TCG: tests/migrate/xlrestore.sh)
# takes that file with `xl restore` and the workload finishes there with
# the state it had (its own checks: counter, memory, clock, start_info,
# p2m and M2P, masked ports, xenstore). Slow: minutes.

. tests/integration/suspend-lib.sh

test_xl_restore_of_pvshim_save() {
    local f pages
    f=$(scratch pvtest64.pvshimsave)
    suspend_to_file 48 "$f" || return 1
    pages=$(sed -n 's/.*save: wrote [0-9]* bytes (\([0-9]*\) pages).*/\1/p' "$LOG" | tail -n 1)
    tests/migrate/xlrestore.sh "$f" "$BUILD/guests/pvtest64" $(( pages / 256 + 2 )) \
        'pvtest64: [0-9]+ passed, [0-9]+ failed' > "$(scratch xlrestore.out)" 2>&1
    local rc=$?
    cat "$(scratch xlrestore.out)" >> "$LOG"
    [ $rc -le 1 ] || { fail "the Xen run did not finish (xlrestore.sh status $rc)"; return 1; }
    grep -q "RESULT xen pvshimsaved-xlrestore PASS" "$(scratch xlrestore.out)" ||
        fail "xl restore of pvshim's file: $(grep -E 'RESULT|xl\|' "$(scratch xlrestore.out)" | tail -n 5)"
    grep -q "L0: con| MIGRATE: suspend returned 0 (resumed in a new domain)" "$(scratch xlrestore.out)" ||
        fail "the guest did not resume under Xen"
    grep -qE "L0: con\| pvtest64: 9 passed, 0 failed" "$(scratch xlrestore.out)" ||
        fail "the guest's checks under Xen: $(grep -E 'L0: con\| (FAIL|pvtest64:)' "$(scratch xlrestore.out)" | tr '\n' ' ')"
}
