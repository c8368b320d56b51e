#!/usr/bin/env bash
# TCP throughput between the host (127.0.0.1) and the guest, each way: the
# same Debian kernel and test initramfs (pvshim.net=speed:MIB: DHCP on
# eth0, then MIB MiB from the host to the guest's port 5000 and MIB MiB of
# random bytes back from port 5001) booted through pvshim (xen-netfront ->
# pvshim's vif -> virtio-net) and natively (the kernel's own virtio-net) on
# the same QEMU virtio-net-pci device on user-mode networking, whose ports
# are forwarded from 127.0.0.1. Timed on the host: to the guest, from the
# connection until the guest says it has every byte; from the guest, from
# the connection until the last byte. Checksums are compared too. A
# measurement, never a test. One line per configuration and direction:
# "CONFIG: tcp-to-guest|tcp-from-guest MB/S MB/s (MIB MiB in S s)".
#
#   tests/bench/net-speed.sh [MiB]          default 32
#   Environment: KERNEL (default the 6.1 cloud kernel), INITRD, PVSHIM, QEMU.
#   Run `make test T=test_net_linux_6_1` once first: it fetches the modules
#   and builds the initramfs.
set -u
cd "$(dirname "$0")/../.."
mib=${1:-32}
BUILD=${BUILD:-build}
: "${KERNEL:=cache/guests/vmlinuz-6.1-cloud}" "${INITRD:=$BUILD/debian/initramfs.cpio.gz}"
: "${PVSHIM:=$BUILD/pvshim}" "${QEMU:=qemu-system-x86_64}"
for f in "$KERNEL" "$INITRD" "$PVSHIM"; do
    [ -s "$f" ] || { echo "net-speed: no $f" >&2; exit 2; }
done
work=$(mktemp -d "${TMPDIR:-/tmp}/pvshim-net-speed.XXXXXX")
trap 'rm -rf "$work"' EXIT
head -c $((mib * 1048576)) /dev/urandom > "$work/data"
sent=$(md5sum < "$work/data" | cut -d' ' -f1)

now() { date +%s.%N; }

wait_for() { # LOG TEXT
    local i
    for i in $(seq 1 6000); do
        grep -qF -- "$2" "$1" 2> /dev/null && return 0
        sleep 0.1
    done
    return 1
}

mbps() { # BYTES START END
    awk -v b="$1" -v s="$2" -v e="$3" 'BEGIN { printf "%.2f MB/s (%d MiB in %.1f s)", b / 1e6 / (e - s), b / 1048576, e - s }'
}

run() { # NAME QEMU-ARGS...
    local name=$1 log=$work/$1.log port t0 t1 t2 got qemu
    shift
    port=$((30000 + RANDOM % 20000))
    : > "$log"
    timeout 900 "$QEMU" -accel tcg -cpu max -m 1024 -display none -no-reboot -nodefaults \
        -device isa-debug-exit,iobase=0xf4,iosize=0x04 -serial "file:$log" \
        -netdev "user,id=n0,hostfwd=tcp:127.0.0.1:$port-:5000,hostfwd=tcp:127.0.0.1:$((port + 1))-:5001" \
        -device virtio-net-pci,netdev=n0 "$@" > /dev/null 2>&1 &
    qemu=$!
    if ! wait_for "$log" "PVSHIM-NET: listening 5000"; then
        echo "$name: no result (console: $(tail -n 3 "$log" | tr '\n' ' '))"
        kill "$qemu" 2> /dev/null
        wait "$qemu" 2> /dev/null
        return
    fi
    t0=$(now)
    cat "$work/data" > "/dev/tcp/127.0.0.1/$port"
    wait_for "$log" "PVSHIM-NET: got "
    t1=$(now)
    wait_for "$log" "PVSHIM-NET: listening 5001"
    t2=$(now)
    got=$(md5sum < "/dev/tcp/127.0.0.1/$((port + 1))" | cut -d' ' -f1)
    t3=$(now)
    wait "$qemu" 2> /dev/null
    grep -qF "PVSHIM-NET: received $((mib * 1048576)) $sent" "$log" ||
        echo "$name: the guest's checksum of what it received differs"
    grep -qF "PVSHIM-NET: sending $((mib * 1048576)) $got" "$log" ||
        echo "$name: what came from the guest differs from what it sent"
    echo "$name: tcp-to-guest $(mbps $((mib * 1048576)) "$t0" "$t1")"
    echo "$name: tcp-from-guest $(mbps $((mib * 1048576)) "$t2" "$t3")"
}

run pvshim -kernel "$PVSHIM" \
    -initrd "$KERNEL console=hvc0 pvshim.test=net pvshim.net=speed:$mib,$INITRD"
run native -kernel "$KERNEL" -initrd "$INITRD" \
    -append "console=ttyS0 panic=-1 pvshim.test=net pvshim.net=speed:$mib"
