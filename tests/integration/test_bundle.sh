# One module is enough: Debian's kernel, the test initramfs and the guest
# command line packed by pvshim-bundle into one file, handed to pvshim as
# the only module the way PVH-only loaders do it (QEMU -kernel pvshim-pvh
# -initrd BUNDLE; Firecracker and Cloud Hypervisor pass one initrd too), on
# QEMU's pc machine and on its microvm machine (no PCI, hardware-reduced
# ACPI, no port 0x61). Malformed bundles end with the bad-input status.
. tests/integration/linux-guest.sh

# make_bundle OUT [ARGS...]: the 6.1 cloud kernel and the test initramfs.
make_bundle() {
    local out=$1 kernel
    shift
    linux_guest_prepare || return 1
    kernel=$(linux_guest_kernel 6.1-cloud) || return 1
    "$BUILD/pvshim-bundle" -k "$kernel" -i "$LINUX_INITRD" -o "$out" "$@" ||
        fail "pvshim-bundle could not pack $kernel"
}

bundle_boot_poweroff() { # [QEMU ARGS...]
    local b
    b=$(scratch guest.bundle)
    make_bundle "$b" -c "console=hvc0 pvshim.test=poweroff" || return 1
    boot --image "$BUILD/pvshim-pvh" --mem 512 --timeout 300 --initrd "$b" "$@"
    expect_log "boot: PVH"
    expect_log "module 0 is a pvshim bundle"
    expect_log 'command line "console=hvc0 pvshim.test=poweroff"'
    expect_log "PVSHIM-TEST: userspace up"
    expect_log "PVSHIM-TEST: env xen-pv"
    expect_log "guest shut down: poweroff"
    expect_no_log "internal error"
}

test_bundle_pvh_linux() {
    bundle_boot_poweroff
    expect_status 0
}

# The Multiboot entry takes a bundle too; the module's own arguments
# follow the bundle's command line.
test_bundle_multiboot_linux() {
    local b
    b=$(scratch guest.bundle)
    make_bundle "$b" -c "console=hvc0" || return 1
    boot --mem 512 --timeout 300 --initrd "$b pvshim.test=poweroff"
    expect_status 0
    expect_log "boot: Multiboot1"
    expect_log 'command line "console=hvc0 pvshim.test=poweroff"'
    expect_log "PVSHIM-TEST: userspace up"
    expect_log "guest shut down: poweroff"
}

# microvm: the PIT calibrates the TSC through channel 0 (there is no port
# 0x61 to gate channel 2), and power-off goes through the hardware-reduced
# ACPI sleep control register: status 0 as on pc.
test_bundle_microvm_linux() {
    bundle_boot_poweroff -M microvm
    expect_status 0
    expect_log "acpi: hardware-reduced, sleep control register"
    expect_log_re "tsc: [0-9]{3,}\.[0-9]+ MHz, from PIT"
}

# microvm without ACPI: no way to power off but isa-debug-exit, whose
# status for a clean power-off is 1.
test_bundle_microvm_acpi_off() {
    bundle_boot_poweroff -M microvm,acpi=off
    expect_status 1
    expect_log "no ACPI power-off; ending through isa-debug-exit"
}

# Malformed bundles: a clear message and the bad-input status, 7.
bundle_expect_bad() { # FILE MESSAGE
    boot --image "$BUILD/pvshim-pvh" --mem 256 --timeout 60 --initrd "$1"
    expect_status 7
    expect_log "$2"
}

test_bundle_malformed() {
    local b t
    b=$(scratch good.bundle)
    t=$(scratch bad.bundle)
    printf 'not really a kernel, but long enough' > "$(scratch kernel)"
    "$BUILD/pvshim-bundle" -k "$(scratch kernel)" -c "quiet" -o "$b" ||
        { fail "pvshim-bundle failed"; return 1; }
    head -c 4100 "$b" > "$t"
    bundle_expect_bad "$t" "bundle: truncated: its header says 4132 bytes, the module has 4100"
    cp "$b" "$t"
    printf '\002' | dd of="$t" bs=1 seek=8 conv=notrunc status=none
    bundle_expect_bad "$t" "bundle: version 2 is unknown"
    head -c 50 "$b" > "$t"
    bundle_expect_bad "$t" "bundle: truncated: 50 bytes"
    # A well-formed bundle whose kernel is not one: the loader's message.
    bundle_expect_bad "$b" "guest kernel:"
    expect_log "module 0 is a pvshim bundle"
}

# The tool: pack, show, and refuse what it cannot use.
test_bundle_tool() {
    local b k out rc
    b=$(scratch t.bundle)
    k=$(scratch k)
    head -c 10000 /dev/urandom > "$k"
    "$BUILD/pvshim-bundle" -k "$k" -i "$k" -c "a b c" -o "$b" || fail "pack failed"
    out=$("$BUILD/pvshim-bundle" --show "$b") || fail "--show refused a good bundle"
    echo "$out" | grep -qF 'kernel:  10000 bytes at offset 4096' || fail "show: kernel: $out"
    echo "$out" | grep -qF 'initrd:  10000 bytes at offset 16384' || fail "show: initrd: $out"
    echo "$out" | grep -qF 'cmdline: "a b c"' || fail "show: cmdline: $out"
    cmp -s "$k" <(tail -c +4097 "$b" | head -c 10000) || fail "kernel bytes differ"
    head -c 20000 "$b" > "$b.cut"
    rc=0; "$BUILD/pvshim-bundle" --show "$b.cut" 2> "$b.err" || rc=$?
    [ $rc = 1 ] || fail "--show of a truncated bundle: status $rc, expected 1"
    grep -qF "truncated" "$b.err" || fail "no 'truncated' in: $(cat "$b.err")"
    rc=0; "$BUILD/pvshim-bundle" -k "$k" 2> /dev/null || rc=$?
    [ $rc = 2 ] || fail "no -o: status $rc, expected 2"
    rc=0; "$BUILD/pvshim-bundle" -k /nonexistent -o "$b" 2> /dev/null || rc=$?
    [ $rc = 1 ] || fail "missing kernel: status $rc, expected 1"
    rc=0; "$BUILD/pvshim-bundle" -k "$k" -c "$(head -c 1024 /dev/zero | tr '\0' x)" \
        -o "$b" 2> /dev/null || rc=$?
    [ $rc = 1 ] || fail "1024-byte command line: status $rc, expected 1"
}
