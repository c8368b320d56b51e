#!/usr/bin/env bash
# Boot pvhostile64 (or --guest pvhostile32) under pvshim (QEMU TCG) and judge the run:
#   tests/guests/pvhostile64/run.sh --seed S --ops N [--log FILE] [--timeout SECONDS] [--mem SIZE]
#                                   [--disk IMAGE] [--net] [--smp N] [--guest NAME]
#   (--mem: QEMU's -m, default 256; --disk: IMAGE as a virtio-blk disk, which
#   the guest attacks first through a frontend of its own, blk=1; --net: a
#   virtio-net NIC on QEMU user-mode networking, attacked the same way, net=1;
#   --smp: N CPUs under multi-threaded TCG, so N vCPUs attack at once, smp.c)
#   (--guest: build/guests/NAME, default pvhostile64; pvhostile32 takes the
#   same seed=, ops= and smp= arguments, no disk or NIC)
# Passes when the guest printed "NAME: N operations, pvshim healthy",
# no FAIL line and no "internal error" appeared, and QEMU exited with 0.
set -u
cd "$(dirname "$0")/../../.."
BUILD=${BUILD:-build}
seed=1 ops=10000 log= timeout= mem=256 disk= net=0 smp=1 guest=pvhostile64
while [ $# -gt 0 ]; do
    case $1 in
    --seed) seed=$2; shift 2 ;;
    --ops) ops=$2; shift 2 ;;
    --log) log=$2; shift 2 ;;
    --timeout) timeout=$2; shift 2 ;;
    --mem) mem=$2; shift 2 ;;
    --disk) disk=$2; shift 2 ;;
    --net) net=1; shift ;;
    --smp) smp=$2; shift 2 ;;
    --guest) guest=$2; shift 2 ;;
    *) echo "usage: $0 --seed S --ops N [--log FILE] [--timeout SECONDS] [--mem SIZE] [--disk IMAGE] [--net] [--smp N] [--guest NAME]" >&2
       exit 2 ;;
    esac
done
# Under TCG an operation costs some tens of microseconds; allow for slow runs.
[ -n "$timeout" ] || timeout=$((60 + ops / 2000))
[ -n "$log" ] || { mkdir -p "$BUILD/fuzz/logs"; log=$BUILD/fuzz/logs/$guest-seed$seed.log; }
: > "$log"
start=$(date +%s)
status=0
devices=() guest_args="seed=$seed ops=$ops"
if [ -n "$disk" ]; then
    devices=(-drive "file=$disk,if=none,id=d0,format=raw" -device virtio-blk-pci,drive=d0)
    guest_args="$guest_args blk=1"
fi
if [ "$net" = 1 ]; then
    # restrict=on: nothing the guest sends leaves QEMU (it only ARPs the gateway).
    devices+=(-netdev user,id=n0,restrict=on -device virtio-net-pci,netdev=n0)
    guest_args="$guest_args net=1"
fi
accel=(-accel tcg)
[ "$smp" = 1 ] || accel=(-accel tcg,thread=multi -smp "$smp")
timeout --foreground -k 5 "$timeout" qemu-system-x86_64 "${accel[@]}" -cpu max -m "$mem" \
    -display none -no-reboot -nodefaults -serial "file:$log" \
    -device isa-debug-exit,iobase=0xf4,iosize=0x04 -kernel "$BUILD/pvshim" \
    -initrd "$BUILD/guests/$guest $guest_args" "${devices[@]}" < /dev/null > "$log.qemu" 2>&1 ||
    status=$?
end=$(date +%s)
ok=1
grep -a '^FAIL ' "$log" | head -n 20
grep -aqE "^$guest: $ops operations, pvshim healthy" "$log" ||
    { echo "$guest seed $seed: no \"$ops operations, pvshim healthy\" line"; ok=0; }
if grep -aq 'internal error' "$log"; then
    echo "$guest seed $seed: pvshim reported an internal error:"
    grep -a 'internal error' "$log" | head -n 3
    ok=0
fi
# The guest writes this to the serial port's I/O ports: it must never get there.
if grep -aq 'PVHOSTILE-PORT-LEAK' "$log"; then
    echo "$guest seed $seed: guest port I/O reached the real serial port"
    ok=0
fi
[ "$status" = 0 ] || { echo "$guest seed $seed: QEMU exit status $status (124: timeout)"; ok=0; }
if [ $ok = 1 ]; then
    echo "$guest seed $seed: $ops operations in $((end - start))s, pvshim healthy"
    exit 0
fi
echo "$guest seed $seed: FAILED, log in $log; last lines:"
tail -n 6 "$log" | sed 's/^/  | /'
exit 1
