#!/bin/sh
# The L0 harness: Debian's Xen 4.17 under QEMU (TCG), a Linux dom0 (Debian's
# 6.1 kernel) with xl, xenstored and xenconsoled, and test domains started
# by xl as PVH domains with a PV shim: pvshim (build/pvshim-pvh) and, as the
# reference, Debian's xen-shim. tests/l0/dom0-tests.sh runs the tests in
# dom0; this script builds the images, boots QEMU, waits and reports.
#
#   tests/l0/run-l0.sh [options]
#     --shims "pvshim xen-shim"     shims to run (default both)
#     --tests "pvtest64 linux ..."  of pvtest64 smp crash xl-console pvtest64-save
#                                   (pvtest64 guests), linux linux-smp shutdown
#                                   linux-crash linux-console disk net balloon save
#                                   save-smp save-cancel
#                                   (Debian 6.1), inventory (pvshim-inventory beside a
#                                   classic PV domU); default all; names are t_* in
#                                   dom0-tests.sh
#     --qemu system|10|PATH         the system's QEMU (Debian 12: 7.2; default),
#                                   QEMU 10.0 from bookworm-backports (fetched
#                                   into cache/l0 with apt-get download and
#                                   unpacked, the system's QEMU untouched), or
#                                   a binary. 10.0 loses CR2 on page faults in
#                                   the PVH domain (tests/l0/README.md)
#     --cpu CPU                     QEMU -cpu (default max: AMD, SVM with NPT)
#     --timeout S                   whole run (default 3600)
#     --domain-timeout S            one domain (default 900)
#     --memory MIB                  each domain's memory (default 256)
#     --pvshim-cmdline S            pvshim_cmdline for pvshim (default: none,
#                                   i.e. xl's own "pv-shim console=xen,pv")
#     --xen-args S                  more arguments for Xen
#     --lazy-fpu                    without spec-ctrl=eager-fpu for Xen (its AMD
#                                   default: linux-smp's threads check fails)
#     --log FILE                    serial log (default $BUILD/l0/serial.log)
#     --measure FILE                append the run's MEASURE lines to FILE as
#                                   tab-separated "qemu shim test key value"
#
# Prints dom0's "L0:" lines. Exit status, from pvshim's results only
# (xen-shim is the reference, reported but not judged): 0 every pvshim test
# PASS; 1 a pvshim test FAIL; 2 no FAIL but dom0 or the emulation failed
# (DOM0-FAILURE, Xen or dom0 died, timeout) -- never counted as a pass; 3
# setup problem.
set -u
cd "$(dirname "$0")/../.." || exit 3
BUILD=${BUILD:-build}
CACHE=${L0_CACHE:-cache/l0}
shims="pvshim xen-shim"
tests="pvtest64 smp crash xl-console pvtest64-save linux linux-smp shutdown linux-crash linux-console disk net balloon save save-smp save-cancel inventory"
qemu_sel=system
cpu=max
timeout=3600
dtimeout=900
memory=256
pvshim_cmdline=
xen_args=
lazy_fpu=
log=$BUILD/l0/serial.log
measure=
while [ $# -gt 0 ]; do
    case $1 in
    --shims) shims=$2; shift 2 ;;
    --tests) tests=$2; shift 2 ;;
    --qemu) qemu_sel=$2; shift 2 ;;
    --cpu) cpu=$2; shift 2 ;;
    --timeout) timeout=$2; shift 2 ;;
    --domain-timeout) dtimeout=$2; shift 2 ;;
    --memory) memory=$2; shift 2 ;;
    --pvshim-cmdline) pvshim_cmdline=$2; shift 2 ;;
    --xen-args) xen_args=$2; shift 2 ;;
    --lazy-fpu) lazy_fpu=1; shift ;;
    --log) log=$2; shift 2 ;;
    --measure) measure=$2; shift 2 ;;
    *) echo "run-l0: unknown option $1" >&2; exit 3 ;;
    esac
done
say() { echo "run-l0: $*" >&2; }
die() { say "$*"; exit 3; }

# QEMU 10.0 from bookworm-backports, unpacked (not installed) into the cache.
fetch_qemu10() {
    dir=$CACHE/qemu-10
    if [ ! -x "$dir/usr/bin/qemu-system-x86_64" ]; then
        ver=$(apt-cache madison qemu-system-x86 | awk -F'|' '$2 ~ /bpo12/ { gsub(/ /, "", $2); print $2; exit }')
        [ -n "$ver" ] || die "no qemu-system-x86 in bookworm-backports (apt sources?)"
        mkdir -p "$dir.tmp"
        (cd "$dir.tmp" && apt-get -q -o APT::Sandbox::User=root download \
            "qemu-system-x86=$ver" "qemu-system-data=$ver" "qemu-system-common=$ver" >&2) ||
            die "apt-get download of QEMU $ver failed"
        for d in "$dir.tmp"/*.deb; do dpkg-deb -x "$d" "$dir.tmp/root"; done
        rm -rf "$dir"
        mv "$dir.tmp/root" "$dir"
        rm -rf "$dir.tmp"
    fi
    "$dir/usr/bin/qemu-system-x86_64" --version > /dev/null ||
        die "$dir/usr/bin/qemu-system-x86_64 does not run here"
    qemu="$dir/usr/bin/qemu-system-x86_64 -L $dir/usr/share/qemu -L /usr/share/qemu -L /usr/share/seabios"
}
case $qemu_sel in
10) fetch_qemu10 ;;
system) qemu="qemu-system-x86_64" ;;
*) qemu=$qemu_sel ;;
esac

xen=$(scripts/fetch-xen.sh) || die "cannot fetch Xen"
base=$(tests/l0/mkdom0.sh) || die "cannot build the dom0 initramfs"
# The guest's PV disk and NIC frontends are modules in Debian's kernels.
scripts/fetch-guest-modules.sh || die "cannot fetch the guest kernel's modules"
scripts/mkinitramfs.sh || die "cannot build the guest initramfs"
dom0_kernel=${GUEST_CACHE:-cache/guests}/vmlinuz-6.1-generic
for f in "$BUILD/pvshim-pvh" "$BUILD/guests/pvtest64" "$BUILD/guests/pvtest64.mod" \
         "$BUILD/pvshim-inventory" \
         "$dom0_kernel" cache/guests/vmlinuz-6.1-cloud "$BUILD/debian/initramfs.cpio.gz"; do
    [ -s "$f" ] || die "no $f (make all; scripts/fetch-guests.sh)"
done

# The payload: the shim under test, the guests, the tests, their settings.
work=$(mktemp -d "${TMPDIR:-/tmp}/pvshim-l0.XXXXXX")
qpid=
cleanup() {
    [ -n "$qpid" ] && kill "$qpid" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 2' INT TERM
mkdir -p "$work/l0"
cp "$BUILD/pvshim-pvh" "$BUILD/guests/pvtest64" "$BUILD/guests/pvtest64.mod" "$work/l0/"
cp cache/guests/vmlinuz-6.1-cloud "$work/l0/vmlinuz"
cp "$BUILD/debian/initramfs.cpio.gz" "$work/l0/initramfs.cpio.gz"
cp tests/l0/dom0-tests.sh "$work/l0/tests.sh"
# pvshim-inventory, with the shared libraries it needs from this host (the
# same libxen* as xl's, added again at the same paths).
cp "$BUILD/pvshim-inventory" "$work/l0/"
for lib in $(ldd "$BUILD/pvshim-inventory" | awk '/=>/ { print $3 }'); do
    mkdir -p "$work$(dirname "$lib")"
    cp -L "$lib" "$work$lib"
done
cp tests/l0/hotplug-disk tests/l0/hotplug-vif "$work/l0/"
{
    echo "SHIMS='$shims'"
    echo "TESTS='$(echo "$tests" | tr '-' '_')'"
    echo "DOMAIN_TIMEOUT=$dtimeout"
    echo "MEMORY=$memory"
    echo "PVSHIM_CMDLINE='$pvshim_cmdline'"
    echo "XENSHIM_CMDLINE=''"
} > "$work/l0/config"
(cd "$work" && find l0 lib usr 2> /dev/null | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) | gzip -1 > "$work/payload.cpio.gz"
mkdir -p "$(dirname "$log")"
cat "$base" "$work/payload.cpio.gz" > "$work/dom0.cpio.gz"

# smap=0: Xen's PV dom0 trips over TCG's SMAP emulation otherwise (QEMU 7.2).
# spec-ctrl=eager-fpu: with Xen's lazy FPU switching (its default on AMD)
# a Linux guest with two vCPUs under pvshim finds vector registers
# corrupted across a yield (linux-smp's threads check); with eager
# switching it passes (tests/l0/README.md). --lazy-fpu leaves it out.
fpu=spec-ctrl=eager-fpu
[ -n "$lazy_fpu" ] && fpu=
xen_cmdline="console=com1 com1=115200,8n1 dom0_mem=768M,max:768M dom0_max_vcpus=1 noreboot x2apic=false loglvl=all guest_loglvl=all smap=0 $fpu $xen_args"
dom0_cmdline="console=hvc0 loglevel=4"
: > "$log"
say "QEMU: $($qemu --version | head -n 1); -cpu $cpu; serial log $log"
start=$(date +%s)
# shellcheck disable=SC2086
$qemu -accel tcg -cpu "$cpu" -m 2048 -smp 1 -display none -nodefaults -no-reboot \
    -serial "file:$log" -kernel "$xen" -append "$xen_cmdline" \
    -initrd "$dom0_kernel $dom0_cmdline,$work/dom0.cpio.gz" \
    > "$log.qemu" 2>&1 < /dev/null &
qpid=$!

# Xen's own last words, at a line's start: a shim's (XEN) lines arrive as "L0: con| (XEN) ...".
dead='^\(XEN\) .*(Panic on CPU|Hardware Dom0 crashed|Hardware Dom0 shutdown|FATAL PAGE FAULT)'
outcome=timeout
end=$((start + timeout))
while kill -0 "$qpid" 2>/dev/null; do
    if grep -q '^L0: END' "$log"; then outcome=end; sleep 1; break; fi
    if grep -qE "$dead" "$log"; then outcome=dead; sleep 2; break; fi
    [ "$(date +%s)" -ge "$end" ] && break
    sleep 1
done
# QEMU may have ended by itself (dom0's power-off, ACPI S5) between two looks.
[ "$outcome" = timeout ] && grep -q '^L0: END' "$log" && outcome=end
kill "$qpid" 2>/dev/null
wait "$qpid" 2>/dev/null
qpid=
say "QEMU ran $(( $(date +%s) - start ))s, outcome: $outcome"

tr -d '\r' < "$log" | grep -E '^L0: ' | grep -vE '^L0: (xl|con)\| '
tr -d '\r' < "$log" | grep -E '^\(XEN\) .*(Triple fault|d[0-9]+v[0-9]+ .*(crash|fault)|domain_crash)' | head -n 20
status=0
if [ "$outcome" != end ]; then
    say "the run did not finish ($outcome); last lines of $log:"
    tr -d '\r' < "$log" | tail -n 30 >&2
    status=2
fi
grep -q 'L0: .*DOM0-FAILURE' "$log" && status=2
grep -q 'L0: RESULT pvshim .* FAIL ' "$log" && status=1
case " $shims " in
*" pvshim "*) grep -q 'L0: RESULT pvshim ' "$log" || status=2 ;;
*) grep -q 'L0: RESULT ' "$log" || status=2 ;;
esac
if [ -n "$measure" ]; then
    qv=$($qemu --version | head -n 1 | sed -n 's/.*version \([0-9.]*\).*/\1/p')
    tr -d '\r' < "$log" | grep -E '^L0: MEASURE ' |
        awk -v q="$qv" '{ for (i = 5; i <= NF; i++) { split($i, kv, "="); print q "\t" $3 "\t" $4 "\t" kv[1] "\t" kv[2] } }' >> "$measure"
fi
exit $status
