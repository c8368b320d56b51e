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
#   Environment: OPS (RANDOM:FSYNCS, default 2000:200), ORDER (pvshim-first,
#   the default, or native-first), KERNEL (default the 6.1 cloud kernel),
#   INITRD, PVSHIM, QEMU.
#
#   Both configurations start from the same host state of the image: written
#   in full (its blocks allocated), synced, in the host's page cache. A
#   sparse image would make the first configuration pay the host's block
#   allocation and the zero-filling of holes in its sequential rows and the
#   second read pages the first left cached (measured: native's sequential
#   read went from ~90 MB/s when first to 400-1000 MB/s when second).
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
dd if=/dev/zero of="$work/disk.raw" bs=1M count="$mib" conv=fsync status=none
order=${ORDER:-pvshim-first}
case $order in
pvshim-first | native-first) ;;
*) echo "vbd-speed: ORDER is pvshim-first or native-first, not $order" >&2; exit 2 ;;
esac

run() { # NAME QEMU-ARGS...
    local name=$1
    shift
    # The previous run's writes on the host's disk, the image in its page cache.
    sync "$work/disk.raw"
    cat "$work/disk.raw" > /dev/null
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

run_pvshim() {
    run pvshim -kernel "$PVSHIM" \
        -initrd "$KERNEL console=hvc0 pvshim.test=vbd pvshim.vbd=speed:$ops,$INITRD"
}
run_native() {
    run native -kernel "$KERNEL" -initrd "$INITRD" \
        -append "console=ttyS0 panic=-1 pvshim.test=vbd pvshim.vbd=speed:$ops"
}
if [ "$order" = native-first ]; then
    run_native
    run_pvshim
else
    run_pvshim
    run_native
fi
