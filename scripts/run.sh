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
#                 Without KERNEL, when the first image is a root file system
#                 with /boot/vmlinuz-* and its initrd.img (make rootfs), the
#                 guest boots that kernel with root=/dev/xvda (pygrub's way;
#                 scripts/disk-kernel.sh); otherwise the default guest.
#   NET="user user"  one virtio-net NIC per word, each on its own QEMU
#                 user-mode network (NIC n: 10.0.(2+n).0/24, DHCP, the host
#                 at 10.0.(2+n).2); the guest sees vif n (eth n). A word
#                 user:H-G[+H-G...] forwards TCP 127.0.0.1:H on the host to
#                 the guest's port G on that NIC; plain "user" on the first
#                 NIC forwards 127.0.0.1:2222 -> 22 and 127.0.0.1:8080 -> 80.
#
# Scripted mode: when standard input is not a terminal, each of its lines is
# typed into the guest's console after the guest shows a shell prompt, one
# line per prompt (`printf 'uname -a\npoweroff -f\n' | make run`).
#   RUN_PROMPT=text   what the prompt looks like (default "/ # ", the
#                     default guest's busybox shell)
#   RUN_TIMEOUT=secs  end QEMU after this long (default 600; status 124)
set -eu
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
MEM=${MEM:-1024}
KERNEL=${KERNEL:-}
INITRD=${INITRD:-}
CMDLINE=${CMDLINE:-}
SHIM_ARGS=${SHIM_ARGS:-}
DISK=${DISK:-}
NET=${NET:-}

if [ -z "$KERNEL" ] && [ -n "$DISK" ]; then
    first=${DISK%% *}
    first=${first%:ro}
    if [ -f "$first" ] && out=$(scripts/disk-kernel.sh "$first" "$BUILD/disk-boot"); then
        saved_cmdline=$CMDLINE
        eval "$out"
        [ -n "$saved_cmdline" ] && CMDLINE=$saved_cmdline
        echo "run: booting $KERNEL from $first (root=/dev/xvda)" >&2
    fi
fi
if [ -z "$KERNEL" ]; then
    # The default guest is fetched and built on demand; a failure stops here.
    out=$(scripts/default-guest.sh) || { echo "run: cannot prepare the default guest" >&2; exit 1; }
    eval "$out"
fi

# Types the lines of standard input into the console, each after the next
# prompt; QEMU's output goes to standard output as usual.
scripted_run() {
    prompt=${RUN_PROMPT:-/ # }
    limit=${RUN_TIMEOUT:-600}
    work=$(mktemp -d)
    trap 'rm -rf "$work"' EXIT
    cat > "$work/input"
    : > "$work/output"
    mkfifo "$work/console"
    (
        exec 3> "$work/console"
        n=0
        while IFS= read -r line || [ -n "$line" ]; do
            n=$((n + 1))
            while [ "$(grep -cF -- "$prompt" "$work/output")" -lt $n ]; do
                sleep 0.5
            done
            printf '%s\r' "$line" >&3
        done < "$work/input"
        exec sleep "$limit"       # keeps the console open until QEMU ends
    ) &
    feeder=$!
    rc=0
    { timeout --foreground -k 5 "$limit" qemu-system-x86_64 "$@" < "$work/console" ||
        echo $? > "$work/status"; } | tee "$work/output"
    kill "$feeder" 2> /dev/null || true
    [ -s "$work/status" ] && rc=$(cat "$work/status")
    [ "$rc" = 124 ] && echo "run: no power-off within ${limit}s (RUN_TIMEOUT)" >&2
    return "$rc"
}

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
n=0
for w in $NET; do
    case $w in
    user) fwds=; [ $n = 0 ] && fwds="2222-22+8080-80" ;;
    user:*) fwds=${w#user:} ;;
    *) echo "run: NET word '$w' is not user or user:H-G[+H-G...]" >&2; exit 1 ;;
    esac
    opts="user,id=net$n,net=10.0.$((2 + n)).0/24"
    for f in $(printf '%s' "$fwds" | tr '+' ' '); do
        opts="$opts,hostfwd=tcp:127.0.0.1:${f%-*}-:${f#*-}"
    done
    set -- "$@" -netdev "$opts" -device "virtio-net-pci,netdev=net$n"
    n=$((n + 1))
done
echo "run: qemu-system-x86_64 $*" >&2
status=0
if [ -t 0 ]; then
    qemu-system-x86_64 "$@" || status=$?
else
    scripted_run "$@" || status=$?
fi
echo "run: QEMU exited with status $status" >&2
exit $status
