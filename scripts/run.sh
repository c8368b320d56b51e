#!/bin/sh
# Boot a PV guest through pvshim under QEMU with the console on this
# terminal (Ctrl-A X quits QEMU).
#   KERNEL=path   the PV kernel (default: the project's default guest)
#   INITRD=path   its initrd (optional)
#   CMDLINE=...   the guest's command line
#   SHIM_ARGS=... pvshim's own options (see README)
#   MEM=MiB       VM memory (default 1024)
#   DISK="a.raw b.raw:ro"  raw images as virtio-blk disks, in order: the
#                 guest sees xvda, xvdb, ... (":ro" attaches one read-only)
set -eu
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
MEM=${MEM:-1024}
KERNEL=${KERNEL:-}
INITRD=${INITRD:-}
CMDLINE=${CMDLINE:-}
SHIM_ARGS=${SHIM_ARGS:-}
DISK=${DISK:-}

if [ -z "$KERNEL" ]; then
    # The default guest is fetched and built on demand; a failure stops here.
    out=$(scripts/default-guest.sh) || { echo "run: cannot prepare the default guest" >&2; exit 1; }
    eval "$out"
fi

# QEMU's -initrd takes "file args,file,...": commas in args are doubled.
modules=
if [ -n "$KERNEL" ]; then
    modules="$KERNEL $(printf '%s' "$CMDLINE" | sed 's/,/,,/g')"
    [ -n "$INITRD" ] && modules="$modules,$INITRD"
fi

set -- -accel tcg -cpu max -m "$MEM" -nographic -no-reboot \
    -device isa-debug-exit,iobase=0xf4,iosize=0x04 \
    -kernel "$BUILD/pvshim" -append "$SHIM_ARGS"
[ -n "$modules" ] && set -- "$@" -initrd "$modules"
n=0
for d in $DISK; do
    ro=
    case $d in *:ro) d=${d%:ro}; ro=,readonly=on ;; esac
    [ -f "$d" ] || { echo "run: no disk image $d" >&2; exit 1; }
    set -- "$@" -drive "file=$d,if=none,id=disk$n,format=raw$ro" \
        -device "virtio-blk-pci,drive=disk$n"
    n=$((n + 1))
done
echo "run: qemu-system-x86_64 $*" >&2
status=0
qemu-system-x86_64 "$@" || status=$?
echo "run: QEMU exited with status $status" >&2
exit $status
