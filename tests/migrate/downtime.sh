#!/bin/sh
# The pvshim half of a move's downtime: seconds from QEMU's start with a
# save file as module 0 to the workload's first line after the resume
# ("MIGRATE: step N" or "MIGRATE: suspend returned"), under QEMU TCG.
# The other half is `xl save` on the old host (NAME.info, xl-save-seconds).
#
#   tests/migrate/downtime.sh [--mem MIB] FILE      prints "resumed after S s"
# Exit status: 0 measured, 1 the guest never got there (log in build/migrate).
set -u
cd "$(dirname "$0")/../.." || exit 1
BUILD=${BUILD:-build}
mem=512
[ "${1:-}" = --mem ] && { mem=$2; shift 2; }
file=$1
log=$BUILD/migrate/downtime.log
mkdir -p "$BUILD/migrate"
: > "$log"
start=$(date +%s.%N)
qemu-system-x86_64 -accel tcg -cpu max -m "$mem" -display none -no-reboot -nodefaults \
    -serial "file:$log" -device isa-debug-exit,iobase=0xf4,iosize=0x04 \
    -kernel "$BUILD/pvshim" -initrd "$file" > "$log.qemu" 2>&1 < /dev/null &
qpid=$!
trap 'kill $qpid 2>/dev/null' EXIT
status=1
while kill -0 "$qpid" 2>/dev/null; do
    if sed -n '/entering the guest/,$p' "$log" | grep -qE '^MIGRATE: (step|suspend returned)'; then
        now=$(date +%s.%N)
        awk "BEGIN { printf \"resumed after %.1f s\\n\", $now - $start }"
        status=0
        break
    fi
    [ "$(awk "BEGIN { print ($(date +%s.%N) - $start > 600) }")" = 1 ] && break
    sleep 0.1
done
[ $status = 0 ] || echo "no resume seen; see $log" >&2
exit $status
