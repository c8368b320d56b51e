# The long tests of the Debian 12 machine booted from disk through pvshim
# (make test-disk; tests/integration/test_rootfs.sh has the quick one).
# Each boots the image of scripts/mkrootfs.sh one or more times and uses
# it through a root login on hvc0.
. tests/integration/console-session.sh
. tests/integration/rootfs-guest.sh

# Files written and synced survive a power-off and a second boot: the host
# finds them (and a clean file system) in between, the guest verifies them
# against its own checksums after, and the file system is clean again.
test_disk_reboot_verify() {
    local img
    rootfs_prepare || return 1
    img=$(rootfs_copy disk.raw) || return 1
    rootfs_boot "$img" || return 1
    rootfs_login && rootfs_write_files && rootfs_poweroff || { session_kill; return 1; }
    rootfs_fsck "$img"
    rootfs_check_files "$img"
    rootfs_boot "$img" || return 1
    rootfs_login &&
    rootfs_run 'cd /data && sha256sum -c /root/SUMS && echo verified-$((6*7)); cd' verified-42 &&
    rootfs_poweroff || { session_kill; return 1; }
    rootfs_fsck "$img"
    rootfs_expect_no_trouble
}

# A power cut in the middle of a write loop: QEMU is killed while the guest
# writes 1 MiB files, fsyncing each file and the directory before printing
# its checksum. The next boot replays the journal; every file whose
# checksum was printed before the kill reads back the same; the file
# system is clean after a power-off.
test_disk_kill_journal() {
    local img fsynced listed line n
    rootfs_prepare || return 1
    img=$(rootfs_copy disk.raw) || return 1
    rootfs_boot "$img" || return 1
    rootfs_login && rootfs_run 'mkdir -p /data; sync; echo ready-$((6*7))' ready-42 &&
    session_send 'i=0; while :; do i=$((i+1)); head -c 1M /dev/urandom > /data/k$i && sync /data/k$i /data && sha256sum /data/k$i; done' &&
    session_expect "/data/k8" || { session_kill; return 1; }
    session_kill
    fsynced=$(scratch fsynced)
    session_output | tr -d '\r' | grep -aoE '[0-9a-f]{64}  /data/k[0-9]+$' > "$fsynced"
    n=$(wc -l < "$fsynced")
    [ "$n" -ge 8 ] || fail "only $n checksums before the kill"
    dumpe2fs -h "$img" 2> /dev/null | grep -q needs_recovery ||
        fail "the killed guest's file system does not need recovery (was it written at all?)"

    rootfs_boot "$img" || return 1
    session_expect "recover" || { session_kill; return 1; }
    rootfs_login &&
    rootfs_run 'sha256sum /data/k*; echo listed-$((6*7))' listed-42 || { session_kill; return 1; }
    listed=$(scratch listed)
    session_output | tr -d '\r' | grep -aoE '[0-9a-f]{64}  /data/k[0-9]+$' > "$listed"
    while read -r line; do
        grep -qxF "$line" "$listed" || fail "fsynced before the kill, not read back: $line"
    done < "$fsynced"
    rootfs_poweroff || return 1
    expect_log_re "recovering journal|recovery complete"
    rootfs_fsck "$img"
    rootfs_expect_no_trouble
    echo "$n files fsynced before the kill, $(wc -l < "$listed") after the reboot" >> "$(scratch boot-times)"
}

# PV-GRUB (Debian's grub-xen-host) as the PV kernel: it finds xvda through
# pvshim's backend, reads the image's /boot/grub/grub.cfg and boots the
# gzip-compressed ELF kernel and the initrd named there; the guest reaches
# the login and powers off cleanly.
test_disk_pvgrub() {
    local img
    rootfs_prepare || return 1
    img=$(rootfs_copy disk.raw) || return 1
    rootfs_pvgrub_boot "$img" || return 1
    rootfs_login &&
    rootfs_run 'echo "cmdline-$((6*7)): $(cat /proc/cmdline)"' "cmdline-42: " &&
    rootfs_poweroff || { session_kill; return 1; }
    expect_log "guest kernel: ELF, 64-bit, entry 0, GRUB"
    expect_log "Booting \`Debian GNU/Linux 12 (pvshim rootfs)'"
    expect_log "cmdline-42: root=/dev/xvda ro console=hvc0"
    [ "$(grep -c 'xvda: connected' "$LOG")" -ge 2 ] ||
        fail "xvda did not connect twice (PV-GRUB, then Linux)"
    rootfs_fsck "$img"
    rootfs_expect_no_trouble
}

# A second disk is xvdb; from a read-only image it is a read-only disk: its
# file system mounts read-only, a write fails with EROFS, its files read
# back right, and the image is unchanged.
test_disk_second_readonly() {
    local img ro dir sum before
    rootfs_prepare || return 1
    img=$(rootfs_copy disk.raw) || return 1
    ro=$(scratch ro.raw)
    dir=$(scratch ro-content)
    rm -rf "$dir" "$ro"
    mkdir -p "$dir"
    head -c 1048576 /dev/urandom > "$dir/blob"
    sum=$(sha256sum < "$dir/blob" | cut -d' ' -f1)
    mke2fs -q -t ext4 -d "$dir" "$ro" 16M > /dev/null 2>&1 || { fail "mke2fs failed"; return 1; }
    before=$(md5sum < "$ro")
    # shellcheck disable=SC2046
    rootfs_boot "$img" $(rootfs_drive d1 "$ro" ,readonly=on) || return 1
    rootfs_login &&
    rootfs_run 'echo "ro-$((6*7)): xvda=$(cat /sys/block/xvda/ro) xvdb=$(cat /sys/block/xvdb/ro)"' "ro-42: " &&
    rootfs_run 'mount /dev/xvdb /mnt; sha256sum /mnt/blob' "$ROOTFS_PROMPT" &&
    rootfs_run 'touch /mnt/new; echo "touch-$((6*7)): $?"; umount /mnt' "touch-42: " &&
    rootfs_poweroff || { session_kill; return 1; }
    expect_log "ro-42: xvda=0 xvdb=1"
    expect_log "$sum  /mnt/blob"
    expect_log "touch: cannot touch '/mnt/new': Read-only file system"
    expect_log "touch-42: 1"
    expect_log "xvdb: closed"
    [ "$(md5sum < "$ro")" = "$before" ] || fail "the read-only image changed"
    rootfs_fsck "$img"
    rootfs_expect_no_trouble
}
