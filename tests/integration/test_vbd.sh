# PV disks on a VMM without Xen: QEMU's virtio-blk devices, driven by
# pvshim, served to Debian's unmodified xen-blkfront as xvda/xvdb.
. tests/integration/linux-guest.sh

pattern() { # TEXT: 1 MiB of TEXT lines
    yes "$1" | head -c 1048576
}

test_vbd_linux_6_1() {
    local kernel disk ro
    linux_guest_prepare || return 1
    kernel=$(linux_guest_kernel 6.1-cloud) || return 1
    disk=$(scratch disk.raw)
    ro=$(scratch ro.raw)
    pattern PVSHIM-VBD-READ > "$disk"
    truncate -s 8M "$disk"
    pattern PVSHIM-VBD-RO > "$ro"
    truncate -s 4M "$ro"
    boot --mem 1024 --timeout 400 \
        --initrd "$kernel console=hvc0 pvshim.test=vbd,$LINUX_INITRD" \
        -drive "file=$disk,if=none,id=d0,format=raw" -device virtio-blk-pci,drive=d0 \
        -drive "file=$ro,if=none,id=d1,format=raw,readonly=on" -device virtio-blk-pci,drive=d1
    expect_status 0
    expect_log "xvda: connected"
    expect_log "PVSHIM-TEST: PASS vbd"
    expect_log "PVSHIM-TEST: done 1 passed 0 failed"
    expect_log "guest shut down: poweroff"
    expect_log "xvda: closed"
    expect_log "xvdb: closed"
    expect_log_re "blkfront: xvda: flush diskcache: enabled"
    for bad in "Grant still in use" "Waiting for devices" "timeout closing device" \
               "Timeout connecting" "internal error"; do
        expect_no_log "$bad"
    done
    cmp -s <(dd if="$disk" bs=65536 skip=32 count=16 2> /dev/null) \
        <(pattern PVSHIM-VBD-WRITTEN) || fail "the guest's write did not reach disk.raw"
    cmp -s <(head -c 1048576 "$disk") <(pattern PVSHIM-VBD-READ) ||
        fail "disk.raw's first MiB changed"
    cmp -s <(head -c 1048576 "$ro") <(pattern PVSHIM-VBD-RO) || fail "ro.raw changed"
}
