# The baseline for real guests: Debian's Xen-PV-capable kernels booted
# natively under QEMU with the test initramfs, which runs its workloads and
# powers off (QEMU status 0). The same kernels and initramfs are booted
# through pvshim elsewhere; failures here are in the kernels, the
# initramfs or QEMU, never in pvshim. Needs the archive on first use.
. tests/integration/linux-guest.sh

native_linux() { # KERNEL-NAME [QEMU ARGS...]
    local kernel
    linux_guest_prepare || return 1
    kernel=$(linux_guest_kernel "$1") || return 1
    shift
    # panic=-1: a guest panic reboots, which ends QEMU at once (-no-reboot).
    boot --image "$kernel" --initrd "$LINUX_INITRD" --mem 1024 --timeout 240 \
        --append "console=ttyS0 pvshim.test=full panic=-1" "$@"
    expect_status 0
    expect_log "PVSHIM-TEST: env native"
    expect_guest_tests_passed
    expect_log "reboot: Power down"
}

test_native_linux_6_1_cloud() {
    native_linux 6.1-cloud
}

test_native_linux_6_1_generic() {
    native_linux 6.1-generic
}

test_native_linux_6_12_cloud() {
    # shellcheck disable=SC2086
    native_linux 6.12-cloud $LINUX_6_12_QEMU_CPU
}
