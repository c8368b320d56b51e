#!/usr/bin/env bash
# `make bench-devices` (and the end of `make bench`): disk and network
# rows, the same kernel booted through pvshim (xen-blkfront/xen-netfront ->
# pvshim's backends -> virtio) and natively (the kernel's own virtio
# drivers) on the same QEMU virtio-blk-pci and virtio-net-pci devices.
# Each round runs tests/bench/vbd-speed.sh and tests/bench/net-speed.sh
# (each boots pvshim, then native); the report takes the median of the
# rounds: tests/bench/devices-report.awk writes devices.md from
# devices.tsv. Real time under TCG: host load moves these numbers, so the
# report states the host's load average around the run. A measurement,
# never a pass/fail test.
#
#   tests/bench/devices.sh [--out DIR] [--reps N] [--disk-mib N] [--net-mib N] [--ops R:F]
#     defaults: bench/results, 3, 64, 16, 2000:200
#   Environment: BENCH_KERNEL (default 6.1-cloud), BUILD, QEMU.
set -u
cd "$(dirname "$0")/../.."
export BUILD=${BUILD:-build}
out=bench/results reps=3 disk_mib=64 net_mib=16 ops=2000:200
while [ $# -gt 0 ]; do
    case $1 in
    --out) out=$2; shift 2 ;;
    --reps) reps=$2; shift 2 ;;
    --disk-mib) disk_mib=$2; shift 2 ;;
    --net-mib) net_mib=$2; shift 2 ;;
    --ops) ops=$2; shift 2 ;;
    *) echo "bench-devices: unknown option $1" >&2; exit 1 ;;
    esac
done
say() { echo "bench-devices: $*" >&2; }

: "${BENCH_KERNEL:=6.1-cloud}"
export KERNEL=${GUEST_CACHE:-cache/guests}/vmlinuz-$BENCH_KERNEL
export INITRD=$BUILD/debian/initramfs.cpio.gz
export PVSHIM=$BUILD/pvshim
scripts/fetch-guests.sh >&2 || { say "cannot fetch the guest kernels"; exit 1; }
scripts/fetch-guest-modules.sh >&2 || { say "cannot fetch the guest kernel's modules"; exit 1; }
scripts/mkinitramfs.sh "$INITRD" >&2 || { say "cannot build the initramfs"; exit 1; }
[ -s "$PVSHIM" ] || { say "no $PVSHIM (make build/pvshim)"; exit 1; }

mkdir -p "$out"
tsv=$out/devices.tsv
log=$out/devices.log
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
# Before this run rewrites its own result files (which made every tree "dirty").
version=$(git describe --always --dirty 2> /dev/null || echo unknown)
started=$(date +%s)
: > "$log"
# Lines "CONFIG: ROW VALUE UNIT (...)" -> "rep CONFIG ROW VALUE UNIT".
for rep in $(seq 1 "$reps"); do
    say "round $rep of $reps: disk"
    # Odd rounds boot pvshim first, even rounds native first: what one run
    # leaves in the host (caches, the QEMU binary's pages) favours neither.
    order=pvshim-first
    [ $((rep % 2)) -eq 0 ] && order=native-first
    ORDER=$order OPS=$ops tests/bench/vbd-speed.sh "$disk_mib" 2>&1 | tee -a "$log" |
        awk -v r="$rep" '$1 ~ /:$/ && NF >= 4 { sub(/:$/, "", $1); print r, $1, $2, $3, $4 }' \
        > "$out/devices-$rep.tmp"
    say "round $rep of $reps: network"
    tests/bench/net-speed.sh "$net_mib" 2>&1 | tee -a "$log" |
        awk -v r="$rep" '$1 ~ /:$/ && $2 ~ /^tcp-/ { sub(/:$/, "", $1); print r, $1, $2, $3, $4 }' \
        >> "$out/devices-$rep.tmp"
done
{
    printf 'rep\tconfig\trow\tvalue\tunit\n'
    cat "$out"/devices-*.tmp | tr ' ' '\t'
} > "$tsv"
rm -f "$out"/devices-*.tmp
{
    printf 'date\t%s\n' "$(date -u '+%Y-%m-%d %H:%M UTC')"
    printf 'elapsed_s\t%s\n' "$(( $(date +%s) - started ))"
    printf 'reps\t%s\n' "$reps"
    printf 'disk\t%s MiB raw file (written in full, synced and cached before each boot), virtio-blk-pci; %s random reads per depth, %s fsyncs\n' \
        "$disk_mib" "${ops%%:*}" "${ops#*:}"
    printf 'net\t%s MiB each way, virtio-net-pci on QEMU user networking (127.0.0.1)\n' "$net_mib"
    printf 'load\t%s before, %s after (1/5/15 min)\n' "$load_before" "$(cut -d' ' -f1-3 /proc/loadavg)"
    printf 'host_cpu\t%s\n' "$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1) ($(nproc) CPUs)"
    printf 'qemu\t%s\n' "$(${QEMU:-qemu-system-x86_64} --version | head -n 1)"
    printf 'kernel\t%s\n' "$(awk -v n="vmlinuz-$BENCH_KERNEL" '$1 == n { print $2 " " $3 }' \
        "${GUEST_CACHE:-cache/guests}/VERSIONS" 2> /dev/null)"
    printf 'pvshim\t%s\n' "$version"
} > "$out/devices-meta.tsv"
awk -F'\t' -f tests/bench/devices-report.awk "$out/devices-meta.tsv" "$tsv" > "$out/devices.md"
say "wrote $out/devices.md"
grep -q . < <(awk -F'\t' 'NR > 1' "$tsv") || { say "no measurement came back"; exit 1; }
exit 0
