# pvhostile64 (tests/guests/pvhostile64): a PV guest that throws seeded
# random hypercalls, page-table writes, forged iret frames and broken trap
# handlers at pvshim, then checks that pvshim still answers exactly as it
# did at the start. make test runs a fixed seed and a small count; make fuzz
# runs at least a million operations for several seeds.

test_hostile_guest() {
    [ -f "$BUILD/guests/pvhostile64" ] || { fail "no $BUILD/guests/pvhostile64 (make guests)"; return 1; }
    local out
    out=$(scratch run.out)
    tests/guests/pvhostile64/run.sh --seed 7 --ops 20000 --log "$LOG" --timeout 120 > "$out" 2>&1
    local rc=$?
    [ $rc = 0 ] || fail "$(tr '\n' ' ' < "$out")"
    grep -a '^FAIL ' "$LOG" | while read -r line; do fail "$line"; done
    expect_log "pvhostile64: 20000 operations, pvshim healthy"
    expect_log_re "linear page-table entries made [1-9]"
    expect_no_log "internal error"
    expect_log "guest shut down: poweroff"
}
