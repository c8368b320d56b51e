# pvshim's records (logformat=json), read back by the host tool: every
# line pvshim writes after the banner is a record, and the exit record
# carries the status QEMU ends with.

# Every line of pvshim's after its banner is a record the tool accepts,
# and its summary names the exit.
expect_records() { # SUMMARY-TEXT
    local out
    if grep -v '^{"pvshim":' "$LOG" | grep -v '^(pvshim) pvshim [0-9]' | grep -q '(pvshim)'; then
        fail "a text line in JSON form: $(grep -v '^{"pvshim":' "$LOG" | grep '(pvshim)' | head -n 1)"
    fi
    out=$("$BUILD/pvshim-abi-report" --summary -n run "$LOG" 2>&1)
    case $out in
    *"$1"*) ;;
    *) fail "pvshim-abi-report --summary: $out (expected: $1)" ;;
    esac
}

test_json_bad_input_exit() {
    boot --append "logformat=json"
    expect_status 7
    expect_log '{"pvshim":"start","version":"'
    expect_log '{"pvshim":"log","level":"err","msg":"bad input: no modules: '

    expect_records "run: exit bad-input (QEMU status 7)"
}

test_json_panic_exit() {
    local m
    m=$(scratch mod)
    printf 'a' > "$m"
    boot --append "logformat=json selftest=panic" --initrd "$m"
    expect_status 9
    expect_log '"msg":"internal error: self-test panic"'
    expect_records "run: exit internal-error (QEMU status 9)"
}

# The test kernel's refusals as records, read back into a table.
test_json_pvtest64_trace() {
    boot --append "trace=abi logformat=json" \
        --initrd "$BUILD/guests/pvtest64 pvtest64-cmdline-token,$BUILD/guests/pvtest64.mod"
    expect_status 0
    expect_log_re "^pvtest64: [0-9]+ passed, 0 failed"
    expect_records "run: exit poweroff (QEMU status 0), guest shut down: poweroff"
    "$BUILD/pvshim-abi-report" -n pvtest64 -o "$(scratch abi.md)" "$LOG" ||
        fail "pvshim-abi-report refused the log"
    grep -qE '^\| 1 \| mmu_update \| 0 normal_pt_update \| [0-9]+ \| -EINVAL [0-9]+; ' \
        "$(scratch abi.md)" || fail "no mmu_update row with its -EINVAL refusals"
}
