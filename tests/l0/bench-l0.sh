#!/bin/sh
# pvshim and Debian's xen-shim side by side as xl's PV shim on Xen 4.17
# under QEMU TCG (tests/l0/run-l0.sh): what the guest gets of the domain
# and how long Debian's kernel takes to userspace. A measurement, never a
# pass/fail. xen-shim does not boot under QEMU 7.2 (it panics in
# init_amd), so both shims run under QEMU 10.0 (bookworm-backports,
# fetched by run-l0.sh); pvshim also under the system's QEMU.
#
#   tests/l0/bench-l0.sh [OUTDIR]     default bench/results: l0.tsv, l0.md
set -u
cd "$(dirname "$0")/../.." || exit 1
out=${1:-bench/results}
mkdir -p "$out"
tsv=$out/l0.tsv
printf 'qemu\tshim\ttest\tkey\tvalue\n' > "$tsv"
tests/l0/run-l0.sh --shims pvshim --tests "linux balloon" --domain-timeout 300 \
    --log "${BUILD:-build}/l0/bench-system.log" --measure "$tsv"
echo "bench-l0: system QEMU: exit $?" >&2
tests/l0/run-l0.sh --qemu 10 --shims "pvshim xen-shim" --tests "linux balloon" \
    --domain-timeout 300 --log "${BUILD:-build}/l0/bench-qemu10.log" --measure "$tsv"
echo "bench-l0: QEMU 10: exit $?" >&2
{
    echo "# pvshim vs xen-shim as xl's PV shim (Xen 4.17 under QEMU TCG)"
    echo
    echo "Written by \`make bench-l0\` (tests/l0/bench-l0.sh) on $(date -u '+%Y-%m-%d %H:%M') UTC."
    echo "Domains of 256 MiB, one vCPU, xl's default shim command line; Debian's 6.1 cloud"
    echo "kernel. A value missing means the run did not get that far (see tests/l0/README.md)."
    echo
    echo "| QEMU | shim | test | measure | value |"
    echo "|---|---|---|---|---|"
    tail -n +2 "$tsv" | awk -F'\t' '{ printf "| %s | %s | %s | %s | %s |\n", $1, $2, $3, $4, $5 }'
} > "$out/l0.md"
cat "$out/l0.md"
