# A Debian 12 machine (scripts/mkrootfs.sh) booted from its disk through
# pvshim: Debian's 6.1 cloud kernel and its initramfs from the image's
# /boot, root=/dev/xvda over pvshim's PV block backend on a virtio disk.
# Its NIC is a virtio-net device on QEMU's user networking.
# The longer disk tests (a second boot, a killed VM, PV-GRUB, a read-only
# second disk) are in tests/disk/ (make test-disk).
. tests/integration/console-session.sh
. tests/integration/rootfs-guest.sh

# The machine's web page as a client on the host gets it: an HTTP/1.0 GET
# to 127.0.0.1:PORT, which QEMU forwards to the guest's port 80.
host_http_get() { # PORT: prints the response
    local port=$1
    exec 3<> "/dev/tcp/127.0.0.1/$port" || return 1
    printf 'GET / HTTP/1.0\r\nHost: pvshim\r\n\r\n' >&3
    timeout 60 cat <&3
    exec 3<&-
}

# Random files written in the guest, their checksums as the guest
# computed them; power-off; the host finds the file system clean and the
# files' contents as the guest said. On the way, the guest's enX0 (a
# virtio-net NIC on QEMU user networking, through pvshim's netback) gets
# its address by DHCP (systemd-networkd) and a client on the host reaches
# the machine's HTTP service through a port forwarded from 127.0.0.1.
test_rootfs_boot_write() {
    local img port page
    rootfs_prepare || return 1
    img=$(rootfs_copy disk.raw) || return 1
    port=$((20000 + (RANDOM % 20000)))
    rootfs_boot "$img" -netdev "user,id=n0,hostfwd=tcp:127.0.0.1:$port-:80" \
        -device virtio-net-pci,netdev=n0 || return 1
    rootfs_login &&
    rootfs_run 'echo "state-$((6*7)): $(systemctl is-system-running --wait)"' "state-42: " &&
    rootfs_run 'for i in $(seq 120); do ip -4 -o addr show dev enX0 | grep -q inet && break; sleep 1; done; echo "addr-$((6*7)): $(ip -4 -o addr show dev enX0 | awk "{print \$4}")"' "addr-42: " 180 &&
    rootfs_run 'busybox wget -qO- http://127.0.0.1/; echo http-$((6*7))' http-42 || {
        session_kill; return 1; }
    page=$(scratch host-http.txt)
    host_http_get "$port" > "$page" 2>&1 || fail "cannot connect to 127.0.0.1:$port"
    grep -q "pvshim-rootfs: Debian 12 booted from its disk through pvshim" "$page" ||
        fail "the host's GET through 127.0.0.1:$port: $(head -c 200 "$page" | tr '\r\n' '  ')"
    rootfs_write_files &&
    rootfs_poweroff || { session_kill; return 1; }
    expect_log "xvda: connected"
    expect_log "vif0: connected"
    expect_log "vif0: closed"
    expect_log "addr-42: 10.0.2.15/24"
    expect_log "state-42: running"
    expect_log "pvshim-rootfs: Debian 12 booted from its disk through pvshim"
    rootfs_expect_no_trouble
    rootfs_fsck "$img"
    rootfs_check_files "$img"
}
