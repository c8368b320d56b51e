# pvtest32 (tests/guests/pvtest32), our own 32-bit PAE PV test kernel, as
# the domU of pvshim: every check must pass and the guest powers off
# cleanly (QEMU status 0). Unlike pvtest64 it has no run under Debian's
# Xen 4.17: that Xen is built without CONFIG_PV32 and refuses 32-bit PV
# guests (xl: "Unable to ... 32-bit PV guests"), which is the point of
# running them on pvshim. Its expectations come from Xen's source (the
# compat entry, iret and translation code) instead.

pvtest32_under_pvshim() {
    local mem=$1
    shift
    [ -f "$BUILD/guests/pvtest32" ] || { fail "no $BUILD/guests/pvtest32 (make guests)"; return 1; }
    boot --mem "$mem" --append "trace=abi" \
        --initrd "$BUILD/guests/pvtest32 pvtest32-cmdline-token" "$@"
    grep -a '^FAIL ' "$LOG" | while read -r line; do fail "$line"; done
    expect_log 'INFO cmd_line: "pvtest32-cmdline-token"'
    expect_log_re "^pvtest32: [0-9]+ passed, 0 failed"
    expect_log "guest kernel: ELF, 32-bit"
    expect_log "guest shut down: poweroff"
    expect_status 0
}

test_pvtest32_under_pvshim() {
    pvtest32_under_pvshim 256
}

# 1 GiB: the compat M2P and the guest's frames reach higher.
test_pvtest32_under_pvshim_1g() {
    pvtest32_under_pvshim 1024
}

# trace=abi counts a 32-bit guest's hypercalls like a 64-bit one's.
test_pvtest32_trace_abi() {
    pvtest32_under_pvshim 256
    expect_log "trace=abi: hypercalls used by the guest"
    expect_log "guest ABI: xen-3.0-x86_32p (32-bit PAE, compat)"
    expect_log_re " 23 +iret +- +[1-9][0-9]* "
    expect_log_re " 25 +set_segment_base +- +2 +2 +2"
}

# Two CPUs: the 32-bit guest gets two vCPUs, and the smp.* checks bring
# vCPU 1 up from a 32-bit context (whose DS does not load: its first entry
# is its failsafe callback, the frame carrying that DS), send IPIs both ways, shoot down its TLB
# and take it down and up again.
test_pvtest32_under_pvshim_smp2() {
    pvtest32_under_pvshim 256 --smp 2
    expect_log "INFO vcpus: 2"
    for c in vcpu_ids_dense initialise_refusals register_vcpu_info vcpu1_initialise_up ipi_both_ways \
             tlb_shootdown down_up_cycle; do
        expect_log "PASS smp.$c"
    done
}
