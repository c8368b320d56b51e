# A Debian 12 machine (scripts/mkrootfs.sh) booted from its disk through
# pvshim: Debian's 6.1 cloud kernel and its initramfs from the image's
# /boot, root=/dev/xvda over pvshim's PV block backend on a virtio disk.
# The longer disk tests (a second boot, a killed VM, PV-GRUB, a read-only
# second disk) are in tests/disk/ (make test-disk).
. tests/integration/console-session.sh
. tests/integration/rootfs-guest.sh

# Random files written in the guest, their checksums as the guest
# computed them; power-off; the host finds the file system clean and the
# files' contents as the guest said.
test_rootfs_boot_write() {
    local img
    rootfs_prepare || return 1
    img=$(rootfs_copy disk.raw) || return 1
    rootfs_boot "$img" || return 1
    rootfs_login &&
    rootfs_run 'echo "state-$((6*7)): $(systemctl is-system-running --wait)"' "state-42: " &&
    rootfs_run 'busybox wget -qO- http://127.0.0.1/; echo http-$((6*7))' http-42 &&
    rootfs_write_files &&
    rootfs_poweroff || { session_kill; return 1; }
    expect_log "xvda: connected"
    expect_log "state-42: running"
    expect_log "pvshim-rootfs: Debian 12 booted from its disk through pvshim"
    rootfs_expect_no_trouble
    rootfs_fsck "$img"
    rootfs_check_files "$img"
}
