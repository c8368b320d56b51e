# Debian's Xen-PV Linux kernels, unmodified, as PV guests of pvshim under
# QEMU TCG with no Xen anywhere: early console through console_io, then
# the test initramfs's workloads on hvc0, then a clean power-off.
. tests/integration/linux-guest.sh

pvshim_linux() { # KERNEL-NAME MODE [QEMU ARGS...]
    local kernel mode
    linux_guest_prepare || return 1
    kernel=$(linux_guest_kernel "$1") || return 1
    mode=$2
    shift 2
    boot --mem 1024 --timeout 400 --append "trace=abi" \
        --initrd "$kernel console=hvc0 earlyprintk=xen pvshim.test=$mode,$LINUX_INITRD" "$@"
}

# The kernel's first messages arrive through console_io (earlyprintk=xen).
test_pvshim_linux_early_console() {
    pvshim_linux 6.1-cloud poweroff
    expect_log "Linux version 6.1"
    expect_log_re "Booting (paravirtualized )?kernel on Xen"
    expect_log_re "Xen version: 4\.17"
}

pvshim_linux_full() {
    pvshim_linux "$@"
    expect_status 0
    expect_log "PVSHIM-TEST: env xen-pv"
    expect_guest_tests_passed
    expect_log "guest shut down: poweroff"
    expect_no_log "internal error"
}

test_pvshim_linux_6_1_cloud() {
    pvshim_linux_full 6.1-cloud full
}

test_pvshim_linux_6_1_generic() {
    pvshim_linux_full 6.1-generic full
}

test_pvshim_linux_6_12_cloud() {
    # shellcheck disable=SC2086
    pvshim_linux_full 6.12-cloud full $LINUX_6_12_QEMU_CPU
}

# A guest panic: the crash status, with the panic text on the console.
test_pvshim_linux_panic() {
    pvshim_linux 6.1-cloud panic
    expect_status 5
    expect_log "Kernel panic"
    expect_log_re "guest (crashed|shut down: crash)"
}
