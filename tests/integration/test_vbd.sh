# PV disks on a VMM without Xen: QEMU's virtio-blk devices, driven by
# pvshim, served to Debian's unmodified xen-blkfront as xvda/xvdb. The
# guest's side is test_vbd in tests/guest-userspace/init (pvshim.vbd=KIND).
. tests/integration/linux-guest.sh

pattern() { # TEXT: 1 MiB of TEXT lines
    yes "$1" | head -c 1048576
}

vbd_boot() { # KIND QEMU-ARGS...: boot $VBD_KERNEL (default 6.1-cloud) in vbd mode
    local kernel kind=$1
    shift
    linux_guest_prepare || return 1
    kernel=$(linux_guest_kernel "${VBD_KERNEL:-6.1-cloud}") || return 1
    boot --mem 1024 --timeout 400 \
        --initrd "$kernel console=hvc0 pvshim.test=vbd pvshim.vbd=$kind,$LINUX_INITRD" "$@"
}

# What every vbd boot must show: the guest's verdict, both handshakes
# complete, and a clean unplug at power-off (QEMU's exit status STATUS,
# default 0).
vbd_expect_clean() { # [STATUS]
    expect_status "${1:-0}"
    expect_log "xvda: connected"
    expect_log "PVSHIM-TEST: PASS vbd"
    expect_log "PVSHIM-TEST: done 1 passed 0 failed"
    expect_log "guest shut down: poweroff"
    expect_log "xvda: closed"
    for bad in "Grant still in use" "Waiting for devices" "timeout closing device" \
               "Timeout connecting" "internal error" "error/" \
               "interrupts do not arrive"; do
        expect_no_log "$bad"
    done
}

# xvda read-write: known data reads, the guest's write and flush reach the
# image; xvdb from a read-only image is read-only. DEVICE-OPTIONS go to
# both virtio-blk devices.
vbd_read_write() { # [DEVICE-OPTIONS [QEMU-ARGS...]]
    local disk ro opts=${1:-}
    [ $# -gt 0 ] && shift
    disk=$(scratch disk.raw)
    ro=$(scratch ro.raw)
    pattern PVSHIM-VBD-READ > "$disk"
    truncate -s 8M "$disk"
    pattern PVSHIM-VBD-READ > "$ro"
    truncate -s 4M "$ro"
    vbd_boot rw \
        -drive "file=$disk,if=none,id=d0,format=raw" -device "virtio-blk-pci,drive=d0$opts" \
        -drive "file=$ro,if=none,id=d1,format=raw,readonly=on" \
        -device "virtio-blk-pci,drive=d1$opts" "$@" || return 1
    vbd_expect_clean
    expect_log "xvdb: closed"
    expect_log_re "blkfront: xvda: flush diskcache: enabled; persistent grants: disabled; indirect descriptors: enabled"
    expect_log_re "vbd: xvdb [0-9]+ sectors, ro 1"
    cmp -s <(dd if="$disk" bs=65536 skip=32 count=16 2> /dev/null) \
        <(pattern PVSHIM-VBD-WRITTEN) || fail "the guest's write did not reach disk.raw"
    cmp -s <(head -c 1048576 "$disk") <(pattern PVSHIM-VBD-READ) ||
        fail "disk.raw's first MiB changed"
    cmp -s <(head -c 1048576 "$ro") <(pattern PVSHIM-VBD-READ) || fail "ro.raw changed"
}

# Completions by MSI-X (QEMU's default for virtio-pci).
test_vbd_linux_6_1() {
    vbd_read_write
    expect_log_re "vblk0: virtio-blk at .*, MSI-X"
}

# Debian's 6.12 kernel's xen-blkfront.
test_vbd_linux_6_12() {
    # shellcheck disable=SC2086
    VBD_KERNEL=6.12-cloud vbd_read_write "" $LINUX_6_12_QEMU_CPU
}

# A device that takes 2 buffers per request (QEMU: seg_max = queue size - 2):
# pvshim gives it each 32-segment request in pieces, each one descriptor
# with an indirect table. No MSI-X: INTx.
test_vbd_small_device_requests() {
    vbd_read_write ",queue-size=4,vectors=0"
    expect_log "2 segments, queue 4 (indirect), INTx"
}

# The same on q35 (PCIe), xvda by INTx there and without indirect
# descriptors (chains in the ring, as on Firecracker), xvdb by MSI-X.
test_vbd_q35() {
    local disk ro
    disk=$(scratch disk.raw)
    ro=$(scratch ro.raw)
    pattern PVSHIM-VBD-READ > "$disk"
    truncate -s 8M "$disk"
    pattern PVSHIM-VBD-READ > "$ro"
    truncate -s 4M "$ro"
    vbd_boot rw -M q35 \
        -drive "file=$disk,if=none,id=d0,format=raw" -device virtio-blk-pci,drive=d0,vectors=0,indirect_desc=off \
        -drive "file=$ro,if=none,id=d1,format=raw,readonly=on" -device virtio-blk-pci,drive=d1 ||
        return 1
    vbd_expect_clean
    expect_log_re "vblk0: virtio-blk at .*, queue [0-9]+, INTx"
    expect_log_re "vblk1: virtio-blk at .*, queue [0-9]+ \(indirect\), MSI-X"
    cmp -s <(dd if="$disk" bs=65536 skip=32 count=16 2> /dev/null) \
        <(pattern PVSHIM-VBD-WRITTEN) || fail "the guest's write did not reach disk.raw"
}

# A read-only image alone: a read-only xvda (VDISK_READONLY), unchanged.
test_vbd_read_only_xvda() {
    local ro sum
    ro=$(scratch ro.raw)
    pattern PVSHIM-VBD-READ > "$ro"
    truncate -s 4M "$ro"
    sum=$(md5sum < "$ro")
    vbd_boot ro \
        -drive "file=$ro,if=none,id=d0,format=raw,readonly=on" -device virtio-blk-pci,drive=d0 ||
        return 1
    vbd_expect_clean
    expect_log "xvda: vbd 51712 for vblk0 (8192 sectors, read-only"
    expect_log_re "vbd: xvda [0-9]+ sectors, ro 1"
    [ "$(md5sum < "$ro")" = "$sum" ] || fail "the read-only image changed"
}

# The device fails reads at 2 MiB (QEMU's blkdebug): the guest gets an I/O
# error there, never data, and the rest of the disk still works.
test_vbd_device_error() {
    local disk conf
    disk=$(scratch disk.raw)
    conf=$(scratch blkdebug.conf)
    pattern PVSHIM-VBD-READ > "$disk"
    truncate -s 8M "$disk"
    printf '[inject-error]\nevent = "read_aio"\nerrno = "5"\nsector = "4096"\n' > "$conf"
    vbd_boot eio \
        -drive "file=blkdebug:$conf:$disk,if=none,id=d0,format=raw" \
        -device virtio-blk-pci,drive=d0 || return 1
    vbd_expect_clean
    expect_log_re "vblk0: read of sector [0-9]+ failed|xvda: read of sector [0-9]+ failed"
    expect_log_re "I/O error, dev xvda"
}

# An ext4 file system made on the host: the guest reads a file of known
# checksum, writes one, syncs and unmounts; the host's fsck finds the file
# system clean and the file as written.
test_vbd_ext4() {
    local disk dir out
    disk=$(scratch fs.raw)
    dir=$(scratch fs-content)
    rm -rf "$dir" "$disk"
    mkdir -p "$dir"
    head -c 3145728 /dev/urandom > "$dir/big"
    md5sum < "$dir/big" | cut -d' ' -f1 > "$dir/big.md5"
    if ! mke2fs -q -t ext4 -d "$dir" "$disk" 32M > "$(scratch mke2fs.log)" 2>&1; then
        fail "mke2fs failed: $(tail -n 2 "$(scratch mke2fs.log)")"
        return 1
    fi
    vbd_boot fs -drive "file=$disk,if=none,id=d0,format=raw" -device virtio-blk-pci,drive=d0 ||
        return 1
    vbd_expect_clean
    e2fsck -fn "$disk" > "$(scratch fsck.log)" 2>&1 ||
        fail "e2fsck after the guest's unmount: $(tail -n 3 "$(scratch fsck.log)" | tr '\n' ' ')"
    out=$(scratch written)
    debugfs -R "dump /written $out" "$disk" > /dev/null 2>&1
    cmp -s "$out" <(yes PVSHIM-VBD-FS | head -c 2097152) ||
        fail "/written is not what the guest wrote"
}

# A device that can discard (QEMU discard=unmap on a raw file punches holes):
# the guest's blkdiscard of a written range leaves zeros in the image.
test_vbd_discard() {
    local disk
    disk=$(scratch disk.raw)
    pattern PVSHIM-VBD-READ > "$disk"
    truncate -s 8M "$disk"
    vbd_boot discard -drive "file=$disk,if=none,id=d0,format=raw,discard=unmap" \
        -device virtio-blk-pci,drive=d0 || return 1
    vbd_expect_clean
    expect_log_re "vblk0: virtio-blk .*, discard"
    expect_log_re "vbd: discard granularity [1-9]"
    cmp -s <(dd if="$disk" bs=65536 skip=32 count=16 2> /dev/null) \
        <(head -c 1048576 /dev/zero) || fail "the discarded range is not zeros"
    cmp -s <(head -c 1048576 "$disk") <(pattern PVSHIM-VBD-READ) ||
        fail "disk.raw's first MiB changed"
}

# virtio-mmio (version 2) on QEMU's microvm: two disks, no PCI. The guest's
# kernel and initramfs travel in one bundle, as PVH loaders pass one module.
# MMIO-ARGS: the machine and how pvshim learns of the devices.
vbd_microvm() { # APPEND QEMU-ARGS...
    local disk ro bundle kernel append=$1
    shift
    disk=$(scratch disk.raw)
    ro=$(scratch ro.raw)
    bundle=$(scratch vbd.bundle)
    pattern PVSHIM-VBD-READ > "$disk"
    truncate -s 8M "$disk"
    pattern PVSHIM-VBD-READ > "$ro"
    truncate -s 4M "$ro"
    linux_guest_prepare || return 1
    kernel=$(linux_guest_kernel 6.1-cloud) || return 1
    "$BUILD/pvshim-bundle" -k "$kernel" -i "$LINUX_INITRD" -o "$bundle" \
        -c "console=hvc0 pvshim.test=vbd pvshim.vbd=rw" || { fail "pvshim-bundle failed"; return 1; }
    boot --image "$BUILD/pvshim-pvh" --mem 1024 --timeout 400 --append "$append" \
        --initrd "$bundle" -global virtio-mmio.force-legacy=false \
        -drive "file=$disk,if=none,id=d0,format=raw" \
        -device virtio-blk-device,drive=d0,bus=virtio-mmio-bus.0 \
        -drive "file=$ro,if=none,id=d1,format=raw,readonly=on" \
        -device virtio-blk-device,drive=d1,bus=virtio-mmio-bus.1 "$@"
    expect_log "xvdb: closed"
    expect_log_re "vbd: xvdb [0-9]+ sectors, ro 1"
    expect_log_re "vblk0: virtio-blk at mmio 0xfeb00000, "
    expect_log_re "vblk1: virtio-blk at mmio 0xfeb00200, .*read-only"
    expect_log_re "Kernel command line: .*pvshim.test=vbd"
    grep "Kernel command line:" "$LOG" | grep -q virtio_mmio &&
        fail "the announcements reached the guest's command line"
    cmp -s <(dd if="$disk" bs=65536 skip=32 count=16 2> /dev/null) \
        <(pattern PVSHIM-VBD-WRITTEN) || fail "the guest's write did not reach disk.raw"
    cmp -s <(head -c 1048576 "$ro") <(pattern PVSHIM-VBD-READ) || fail "ro.raw changed"
    return 0
}

# Without ACPI QEMU appends the announcements to pvshim's command line
# (after the "--", so they would reach the guest if pvshim passed them on).
# No MADT: the I/O APIC comes from the firmware's MP table; the transports
# interrupt on GSI 5 and up. The end is isa-debug-exit's 1.
test_vbd_microvm_mmio() {
    vbd_microvm "loglevel=info -- console=hvc0" -M microvm,acpi=off || return 1
    vbd_expect_clean 1
    expect_log "mptable: I/O APIC at 0xfec00000"
    expect_log_re "vblk0: .*, GSI 5,"
    expect_log_re "vblk1: .*, GSI 6,"
}

# With ACPI QEMU announces nothing on the command line (the DSDT describes
# the devices): given on pvshim's command line the way Firecracker does it,
# before the "--". One I/O APIC (ioapic2=off): transports on GSI 16 and up.
test_vbd_microvm_mmio_irq() {
    vbd_microvm "virtio_mmio.device=512@0xfeb00000:16 virtio_mmio.device=512@0xfeb00200:17 --" \
        -M microvm,ioapic2=off || return 1
    vbd_expect_clean
    expect_log_re "vblk0: .*, GSI 16"
    expect_log_re "vblk1: .*, GSI 17"
}
