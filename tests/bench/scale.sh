#!/usr/bin/env bash
# `make bench-scale` (and the end of `make bench`): how pvshim's cost grows
# with the VM. The benchmark kernel and initramfs boot natively and through
# pvshim under -icount at several QEMU -m sizes; each boot only reaches
# userspace, reads MemTotal and powers off (pvshim.bench=boot). Measured:
#   pvshim's time to the first guest instruction (trace=boot, guest-entry)
#   what pvshim keeps of the RAM (its boot log's memory line)
#   the guest's boot to userspace and its MemTotal, native and through pvshim
# Then tests/bench/scale-report.awk writes scale.md and scale.svg.
# A measurement, never a pass/fail test.
#
#   tests/bench/scale.sh [--out DIR] [--sizes "MiB..."] [--configs LIST] [--jobs N]
#     defaults: bench/results, "256 1024 4096 16384", "native pvshim", 2
#   Environment: BENCH_KERNEL, BENCH_CPU, BUILD; see boot-one.sh.
set -u
cd "$(dirname "$0")/../.."
# Before this run rewrites its own result files, which would make every tree "dirty".
version=$(git describe --always --dirty 2> /dev/null || echo unknown)
export BUILD=${BUILD:-build}
out=bench/results sizes="256 1024 4096 16384" configs="native pvshim" jobs=2
while [ $# -gt 0 ]; do
    case $1 in
    --out) out=$2; shift 2 ;;
    --sizes) sizes=$2; shift 2 ;;
    --configs) configs=$2; shift 2 ;;
    --jobs) jobs=$2; shift 2 ;;
    *) echo "scale: unknown option $1" >&2; exit 1 ;;
    esac
done
say() { echo "bench-scale: $*" >&2; }

: "${BENCH_KERNEL:=6.1-cloud}"
export KERNEL=${GUEST_CACHE:-cache/guests}/vmlinuz-$BENCH_KERNEL
export INITRD=$BUILD/debian/initramfs.cpio.gz
export PVSHIM=$BUILD/pvshim
export BENCH_CPU=${BENCH_CPU:-max}
scripts/fetch-guests.sh >&2 || { say "cannot fetch the guest kernels"; exit 1; }
scripts/mkinitramfs.sh "$INITRD" >&2 || { say "cannot build the initramfs"; exit 1; }
[ -s "$PVSHIM" ] || { say "no $PVSHIM (make build/pvshim)"; exit 1; }

logs=$out/scale-logs
rm -rf "$logs"
mkdir -p "$logs"

one() { # CONFIG MiB
    local log=$logs/$1-$2.log t0=$SECONDS
    BENCH_MEM=$2 tests/bench/boot-one.sh "$1" icount boot "$log" 1200
    awk -f tests/bench/parse-log.awk "$log" |
        awk -v c="$1" -v m="$2" '{ printf "%s\t%s\t%s\t%s\n", m, c, $1, $2 }' > "$log.tsv"
    say "$1 at $2 MiB: $(awk '$3 == "outcome" { print $4 }' "$log.tsv") after $((SECONDS - t0)) s"
}

running=0
for mem in $sizes; do
    for config in $configs; do
        if [ $running -ge "$jobs" ]; then
            wait -n
            running=$((running - 1))
        fi
        one "$config" "$mem" &
        running=$((running + 1))
    done
done
wait

{
    printf 'mem_mib\tconfig\tkey\tvalue\n'
    for mem in $sizes; do
        for config in $configs; do
            cat "$logs/$config-$mem.log.tsv" 2> /dev/null
        done
    done
} > "$out/scale.tsv"
{
    printf 'date\t%s\n' "$(date -u '+%Y-%m-%d %H:%M UTC')"
    printf 'qemu\t%s\n' "$(${QEMU:-qemu-system-x86_64} --version | head -n 1)"
    printf 'qemu_cpu\t%s\n' "$BENCH_CPU"
    printf 'kernel\t%s\n' "$(awk -v n="vmlinuz-$BENCH_KERNEL" '$1 == n { print $2 " " $3 }' \
        "${GUEST_CACHE:-cache/guests}/VERSIONS" 2> /dev/null)"
    printf 'pvshim\t%s\n' "$version"
} > "$out/scale-meta.tsv"
awk -v md="$out/scale.md" -v svg="$out/scale.svg" -f tests/bench/scale-report.awk \
    "$out/scale-meta.tsv" "$out/scale.tsv" || exit 1
say "$out/scale.md, $out/scale.svg"
