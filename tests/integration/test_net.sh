# PV network on a VMM without Xen: QEMU's virtio-net devices on user-mode
# networking, driven by pvshim, served to Debian's unmodified xen-netfront
# as eth0/eth1. The guest's side is test_net in tests/guest-userspace/init
# (pvshim.net=KIND). Traffic goes only between the guest and 127.0.0.1.
. tests/integration/linux-guest.sh

# A TCP port on 127.0.0.1 for QEMU to forward; tests may run side by side.
net_port() {
    echo $((20000 + (RANDOM % 20000)))
}

# host_client PORT-IN PORT-OUT MIB: waits for the guest's markers, sends MIB
# of random bytes to PORT-IN, then reads PORT-OUT; writes sent.md5 and
# got.md5 into the test's directory. Runs in the background during boot.
host_client() {
    local in=$1 out=$2 mib=$3 data
    data=$(scratch sent.bin)
    head -c $((mib * 1048576)) /dev/urandom > "$data"
    md5sum < "$data" | cut -d' ' -f1 > "$(scratch sent.md5)"
    wait_log "PVSHIM-NET: listening 5000" || return 1
    cat "$data" > "/dev/tcp/127.0.0.1/$in" || echo "host: sending to $in failed" >&2
    rm -f "$data"
    wait_log "PVSHIM-NET: listening 5001" || return 1
    md5sum < "/dev/tcp/127.0.0.1/$out" | cut -d' ' -f1 > "$(scratch got.md5)"
}

# Wait (up to 600 s) for a line in the console log.
wait_log() {
    local i
    for i in $(seq 1 1200); do
        grep -qF -- "$1" "$LOG" 2> /dev/null && return 0
        sleep 0.5
    done
    echo "host: no '$1' in the log" >&2
    return 1
}

net_boot() { # KIND QEMU-ARGS...
    local kernel kind=$1
    shift
    linux_guest_prepare || return 1
    kernel=$(linux_guest_kernel "${NET_KERNEL:-6.1-cloud}") || return 1
    boot --mem 1024 --timeout 900 \
        --initrd "$kernel console=hvc0 pvshim.test=net pvshim.net=$kind,$LINUX_INITRD" "$@"
}

# The guest's verdict, the handshake, a clean unplug at power-off, and the
# checksums of both directions matching.
net_expect_clean() { # MIB [QEMU-STATUS]
    local bytes=$(($1 * 1048576)) sent got
    expect_status "${2:-0}"
    expect_log "vif0: connected"
    expect_log "PVSHIM-TEST: PASS net"
    expect_log "PVSHIM-TEST: done 1 passed 0 failed"
    expect_log "guest shut down: poweroff"
    expect_log "vif0: closed"
    for bad in "Grant still in use" "Waiting for devices" "timeout closing device" \
               "Timeout connecting" "internal error" "error/" "refused:" \
               "no longer served"; do
        expect_no_log "$bad"
    done
    sent=$(cat "$(scratch sent.md5)" 2> /dev/null)
    got=$(cat "$(scratch got.md5)" 2> /dev/null)
    expect_log "PVSHIM-NET: received $bytes $sent"
    [ -n "$got" ] && grep -qF "PVSHIM-NET: sending $bytes $got" "$LOG" ||
        fail "the host received md5 '$got', not what the guest sent"
}

# One NIC: DHCP, then 64 MiB each way through a port forwarded to 127.0.0.1.
test_net_linux_6_1() {
    local p1 p2 client
    p1=$(net_port)
    p2=$((p1 + 1))
    host_client "$p1" "$p2" 64 > "$(scratch client.log)" 2>&1 &
    client=$!
    net_boot stream \
        -netdev "user,id=n0,hostfwd=tcp:127.0.0.1:$p1-:5000,hostfwd=tcp:127.0.0.1:$p2-:5001" \
        -device virtio-net-pci,netdev=n0
    kill "$client" 2> /dev/null
    wait "$client" 2> /dev/null
    net_expect_clean 64
    expect_log_re "vnet0: virtio-net at .*, mac 52:54:00:12:34:56"
    expect_log_re "net: eth0 bound to 10\.0\.2\.15/"
    expect_log "net: eth0 mac 52:54:00:12:34:56 driver"
}

# Two NICs on two user networks: both get addresses; the transfer goes
# through the second one's forwarded ports.
test_net_two_nics() {
    local p1 p2 client
    p1=$(net_port)
    p2=$((p1 + 1))
    host_client "$p1" "$p2" 1 > "$(scratch client.log)" 2>&1 &
    client=$!
    net_boot two \
        -netdev user,id=n0 -device virtio-net-pci,netdev=n0,mac=52:54:00:00:00:10 \
        -netdev "user,id=n1,net=10.0.3.0/24,hostfwd=tcp:127.0.0.1:$p1-:5000,hostfwd=tcp:127.0.0.1:$p2-:5001" \
        -device virtio-net-pci,netdev=n1,mac=52:54:00:00:00:11
    kill "$client" 2> /dev/null
    wait "$client" 2> /dev/null
    net_expect_clean 1
    expect_log "vif1: connected"
    expect_log "vif1: closed"
    expect_log "net: eth0 mac 52:54:00:00:00:10"
    expect_log "net: eth1 mac 52:54:00:00:00:11"
    expect_log_re "net: eth0 bound to 10\.0\.2\.15/"
    expect_log_re "net: eth1 bound to 10\.0\.3\.15/"
}

# virtio-mmio (version 2) on QEMU's microvm without ACPI: the NIC announced
# on the command line, no PCI; kernel and initramfs in one bundle. 4 MiB
# each way. The end is isa-debug-exit's 1.
test_net_microvm_mmio() {
    local p1 p2 client kernel bundle
    p1=$(net_port)
    p2=$((p1 + 1))
    bundle=$(scratch net.bundle)
    linux_guest_prepare || return 1
    kernel=$(linux_guest_kernel 6.1-cloud) || return 1
    "$BUILD/pvshim-bundle" -k "$kernel" -i "$LINUX_INITRD" -o "$bundle" \
        -c "console=hvc0 pvshim.test=net pvshim.net=speed:4" || { fail "pvshim-bundle failed"; return 1; }
    host_client "$p1" "$p2" 4 > "$(scratch client.log)" 2>&1 &
    client=$!
    boot --image "$BUILD/pvshim-pvh" --mem 1024 --timeout 600 --append "loglevel=info -- console=hvc0" \
        --initrd "$bundle" -M microvm,acpi=off -global virtio-mmio.force-legacy=false \
        -netdev "user,id=n0,hostfwd=tcp:127.0.0.1:$p1-:5000,hostfwd=tcp:127.0.0.1:$p2-:5001" \
        -device virtio-net-device,netdev=n0,bus=virtio-mmio-bus.0
    kill "$client" 2> /dev/null
    wait "$client" 2> /dev/null
    net_expect_clean 4 1
    expect_log_re "vnet0: virtio-net at mmio 0xfeb00000, mac 52:54:00:12:34:56, .*GSI 5"
    expect_log_re "net: eth0 bound to 10\.0\.2\.15/"
}
