#!/bin/sh
# Restores a save file pvshim wrote (a guest's suspend in pvshim, option
# savedisk=N) with Debian's Xen 4.17 `xl restore`, in the L0 harness (Xen
# and a Linux dom0 under QEMU TCG; tests/l0/README.md), and prints what
# Xen, xl and the guest said: the lines "L0: ..." of tests/migrate/dom0-restore.sh.
#
#   tests/migrate/xlrestore.sh FILE KERNEL MEMORY_MIB DONE_REGEX [--timeout S]
#
# KERNEL: the guest's kernel (xl's config wants one; a restore does not
# run it). Exit status: 0 the guest finished its workload under Xen;
# 1 it did not (or xl refused the file); 2 the run did not finish;
# 3 setup problem. Takes minutes (TCG); not in make test.
set -u
cd "$(dirname "$0")/../.." || exit 3
BUILD=${BUILD:-build}
[ $# -ge 4 ] || { echo "usage: $0 FILE KERNEL MEMORY_MIB DONE_REGEX [--timeout S]" >&2; exit 3; }
file=$1 kernel=$2 memory=$3 done_re=$4
shift 4
timeout=1800
[ "${1:-}" = --timeout ] && timeout=$2
say() { echo "xlrestore: $*" >&2; }
die() { say "$*"; exit 3; }

xen=$(scripts/fetch-xen.sh) || die "cannot fetch Xen"
base=$(tests/l0/mkdom0.sh) || die "cannot build the dom0 initramfs"
dom0_kernel=${GUEST_CACHE:-cache/guests}/vmlinuz-6.1-generic
for f in "$file" "$kernel" "$dom0_kernel"; do
    [ -s "$f" ] || die "no $f"
done

work=$(mktemp -d "${TMPDIR:-/tmp}/pvshim-xlrestore.XXXXXX")
qpid=
cleanup() {
    [ -n "$qpid" ] && kill "$qpid" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 2' INT TERM

name=pvshimsaved
mkdir -p "$work/l0"
cp "$file" "$work/l0/$name.save"
cp "$kernel" "$work/l0/kernel"
cp tests/migrate/dom0-restore.sh "$work/l0/tests.sh"
{
    echo "NAME=$name KERNEL=/l0/kernel MEMORY=$memory DOMAIN_TIMEOUT=600"
    echo "DONE='$done_re'"
} > "$work/l0/config"
(cd "$work" && find l0 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) | gzip -1 > "$work/payload.cpio.gz"
cat "$base" "$work/payload.cpio.gz" > "$work/dom0.cpio.gz"

log=$BUILD/migrate/xlrestore-$(basename "$file").log
mkdir -p "$(dirname "$log")"
: > "$log"
xen_cmdline="console=com1 com1=115200,8n1 dom0_mem=768M,max:768M dom0_max_vcpus=1 noreboot x2apic=false loglvl=all guest_loglvl=all smap=0"
start=$(date +%s)
say "QEMU (log $log)"
qemu-system-x86_64 -accel tcg -cpu max -m 2048 -smp 1 -display none -nodefaults -no-reboot \
    -serial "file:$log" -kernel "$xen" -append "$xen_cmdline" \
    -initrd "$dom0_kernel console=hvc0 loglevel=4,$work/dom0.cpio.gz" \
    > "$log.qemu" 2>&1 < /dev/null &
qpid=$!
end=$((start + timeout))
while kill -0 "$qpid" 2>/dev/null; do
    grep -q '^L0: END' "$log" && { sleep 1; break; }
    grep -qE '^\(XEN\) .*(Panic on CPU|Hardware Dom0 crashed)' "$log" && { sleep 2; break; }
    [ "$(date +%s)" -ge "$end" ] && break
    sleep 2
done
finished=0
grep -q '^L0: END' "$log" && finished=1
kill "$qpid" 2>/dev/null
wait "$qpid" 2>/dev/null
qpid=
say "QEMU ran $(( $(date +%s) - start ))s"
tr -d '\r' < "$log" | grep -E '^L0: |^\(XEN\) .*(d[1-9]|pvshimsaved)'
[ $finished = 1 ] || exit 2
tr -d '\r' < "$log" | grep -q "^L0: RESULT xen $name-xlrestore PASS" || exit 1
exit 0
