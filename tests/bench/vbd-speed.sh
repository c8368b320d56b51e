#!/usr/bin/env bash
# Disk speed seen by the guest: the same Debian kernel and test initramfs
# (pvshim.vbd=speed:OPS: tests/bench/guest/diskbench.c on the whole disk:
# sequential 128 KiB O_DIRECT reads and writes, 4 KiB random reads at
# queue depth 1 and 32, write+fdatasync latency) booted through pvshim
# (xen-blkfront -> pvshim's vbd -> virtio-blk) and natively (the kernel's
# own virtio-blk) on the same QEMU virtio-blk-pci device. A measurement,
# never a test. One line per configuration and row:
# "CONFIG: seq-read|seq-write|rand-qd1|rand-qd32|fsync VALUE UNIT (...)".
#
#   tests/bench/vbd-speed.sh [MiB]          disk size, default 64
#   Environment: OPS (RANDOM:FSYNCS, default 2000:200), KERNEL (default
#   the 6.1 cloud kernel), INITRD, PVSHIM, QEMU.
#   Run `make test T=test_vbd` once first: it fetches the modules and builds
#   the initramfs.
set -u
cd "$(dirname "$0")/../.."
mib=${1:-64}
ops=${OPS:-2000:200}
BUILD=${BUILD:-build}
: "${KERNEL:=cache/guests/vmlinuz-6.1-cloud}" "${INITRD:=$BUILD/debian/initramfs.cpio.gz}"
: "${PVSHIM:=$BUILD/pvshim}" "${QEMU:=qemu-system-x86_64}"
for f in "$KERNEL" "$INITRD" "$PVSHIM"; do
    [ -s "$f" ] || { echo "vbd-speed: no $f" >&2; exit 2; }
done
work=$(mktemp -d "${TMPDIR:-/tmp}/pvshim-vbd-speed.XXXXXX")
trap 'rm -rf "$work"' EXIT
truncate -s "${mib}M" "$work/disk.raw"

run() { # NAME QEMU-ARGS...
    local name=$1
    shift
    timeout 600 "$QEMU" -accel tcg -cpu max -m 1024 -display none -no-reboot -nodefaults \
        -device isa-debug-exit,iobase=0xf4,iosize=0x04 -serial "file:$work/$name.log" \
        -drive "file=$work/disk.raw,if=none,id=d0,format=raw" -device virtio-blk-pci,drive=d0 \
        "$@" > /dev/null 2>&1
    if grep -q '^  DISKBENCH: ' "$work/$name.log"; then
        grep '^  DISKBENCH: ' "$work/$name.log" | sed "s/^  DISKBENCH:/$name:/"
    else
        echo "$name: no result (console: $(tail -n 3 "$work/$name.log" | tr '\n' ' '))"
    fi
}

run pvshim -kernel "$PVSHIM" \
    -initrd "$KERNEL console=hvc0 pvshim.test=vbd pvshim.vbd=speed:$ops,$INITRD"
run native -kernel "$KERNEL" -initrd "$INITRD" \
    -append "console=ttyS0 panic=-1 pvshim.test=vbd pvshim.vbd=speed:$ops"
