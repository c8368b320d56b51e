# pvtest64 (tests/guests/pvtest64), our own PV test kernel, booted as dom0
# of Debian's Xen 4.17 under QEMU: the reference its expectations are
# validated against. Needs Xen from Debian's archive (scripts/fetch-xen.sh);
# if it cannot be fetched the test fails, it is never skipped.

test_pvtest64_under_xen() {
    local results
    results=$(scratch results.txt)
    if ! scripts/fetch-xen.sh > "$(scratch fetch.log)" 2>&1; then
        fail "cannot fetch Debian's Xen 4.17 with scripts/fetch-xen.sh: $(tail -n 1 "$(scratch fetch.log)")"
        return 1
    fi
    [ -f "$BUILD/guests/pvtest64" ] || { fail "no $BUILD/guests/pvtest64 (make guests)"; return 1; }
    tests/guests/run-under-xen.sh --log "$LOG" --timeout 240 > "$results" 2>&1
    local rc=$?
    grep '^FAIL ' "$results" | while read -r line; do fail "$line"; done
    grep -qE '^pvtest64: [0-9]+ passed, 0 failed$' "$results" ||
        fail "no final line \"pvtest64: N passed, 0 failed\" (run-under-xen status $rc)"
    [ "$rc" = 0 ] || fail "run-under-xen exited with $rc"
    # Every skip carries its reason; list them in the output for the reader.
    grep '^SKIP ' "$results" || true
}

# The same with two CPUs and a dom0 of two vCPUs: the smp.* checks (vCPU 1
# initialised and brought up, IPIs both ways, shootdowns seen by vCPU 1, a
# down/up cycle) must run and
# pass here; they are the reference for pvshim's vCPU ABI.
test_pvtest64_under_xen_smp2() {
    local results
    results=$(scratch results.txt)
    scripts/fetch-xen.sh > "$(scratch fetch.log)" 2>&1 || { fail "cannot fetch Xen"; return 1; }
    [ -f "$BUILD/guests/pvtest64" ] || { fail "no $BUILD/guests/pvtest64 (make guests)"; return 1; }
    QEMU_ARGS="-smp 2" tests/guests/run-under-xen.sh --log "$LOG" --timeout 240 \
        --xen-args "dom0_max_vcpus=2" > "$results" 2>&1
    grep '^FAIL ' "$results" | while read -r line; do fail "$line"; done
    grep -qE '^pvtest64: [0-9]+ passed, 0 failed$' "$results" ||
        fail "no final line \"pvtest64: N passed, 0 failed\""
    grep -q '^INFO vcpus: 2$' "$results" || fail "dom0 does not have 2 vCPUs"
    for c in vcpu_ids_dense vcpu1_initialise_up ipi_both_ways tlb_shootdown down_up_cycle; do
        grep -q "^PASS smp\.$c\$" "$results" || fail "smp.$c did not pass"
    done
}

# The same guest as a domU of pvshim: every check must pass and the guest
# powers off cleanly (QEMU status 0).
# pvtest64_under_pvshim MiB [boot options...]: also used by tests/sizes/.
pvtest64_under_pvshim() {
    local mem=$1
    shift
    [ -f "$BUILD/guests/pvtest64" ] || { fail "no $BUILD/guests/pvtest64 (make guests)"; return 1; }
    boot --mem "$mem" --append "trace=abi" \
        --initrd "$BUILD/guests/pvtest64 pvtest64-cmdline-token,$BUILD/guests/pvtest64.mod" "$@"
    grep -a '^FAIL ' "$LOG" | while read -r line; do fail "$line"; done
    expect_log "INFO role: domU"
    expect_log_re "^pvtest64: [0-9]+ passed, 0 failed"
    expect_log "guest shut down: poweroff"
    expect_status 0
}

# The checks of system calls and irets (user.iret_syscall_sysret_pf) ran
# through the SYSCALL entry's assembly fast path.
expect_fast_path_used() {
    expect_log_re "entry fast path: [1-9][0-9]* system calls, [1-9][0-9]* irets, [1-9][0-9]* page faults"
}

test_pvtest64_under_pvshim() {
    pvtest64_under_pvshim 256
    expect_fast_path_used
}

# The same checks through the C path alone, the fast path's reference: both
# must give the guest what Xen 4.17 does.
test_pvtest64_under_pvshim_c_entry() {
    pvtest64_under_pvshim 256 --append "trace=abi selftest=c-entry"
    expect_log "selftest c-entry: the entry fast paths are off"
    expect_log "entry fast path: 0 system calls, 0 irets, 0 page faults"
}

test_pvtest64_under_pvshim_1g() {
    pvtest64_under_pvshim 1024
}

# A VM with 2 and 4 CPUs: the guest has as many vCPUs, vCPU n on CPU n, and
# the smp.* checks run and pass with the same expectations as under Xen.
test_pvtest64_under_pvshim_smp2() {
    pvtest64_under_pvshim 256 --smp 2
    expect_fast_path_used
    expect_log "smp: 2 CPUs (2 in the MADT)"
    expect_log "INFO vcpus: 2"
    local c
    for c in vcpu_ids_dense vcpu1_initialise_up ipi_both_ways tlb_shootdown down_up_cycle; do
        expect_log "PASS smp.$c"
    done
}

test_pvtest64_under_pvshim_smp4() {
    pvtest64_under_pvshim 256 --smp 4
    expect_log "smp: 4 CPUs (4 in the MADT)"
    expect_log "INFO vcpus: 4"
    expect_log "PASS smp.down_up_cycle"
}

# 4 GiB: QEMU puts 3 GiB below the PCI hole and 1 GiB above 4 GiB, so
# holes and reserved ranges lie below the top of RAM (mmu.mmio_frame).
test_pvtest64_under_pvshim_4g() {
    pvtest64_under_pvshim 4096
    expect_log "0x000100000000 - 0x000140000000 RAM"
}

# A guest that stops making hypercalls (events masked, spinning) is ended
# by pvshim's watchdog with the watchdog status.
test_watchdog_ends_hung_guest() {
    boot --mem 256 --timeout 60 --append "watchdog=2" \
        --initrd "$BUILD/guests/pvtest64 pvtest64-cmdline-token pvtest64-hang,$BUILD/guests/pvtest64.mod"
    expect_log "pvtest64: hanging on purpose"
    expect_log "watchdog: the guest made no hypercall for 2 s; it is hung"
    expect_log "guest shut down: watchdog"
    expect_status 11
}
