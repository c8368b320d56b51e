#!/usr/bin/env bash
# pvshim's hot paths, per benchmark operation, from QEMU's own execution
# log: the benchmark alone under icount, N and then 2N iterations; when the
# guest is about to start it, QEMU starts logging every translation block
# executed inside pvshim's image (-d in_asm,exec,nochain limited to the
# image's addresses), and the difference between the two runs, divided by
# the operations between them, is what one operation costs in pvshim:
# blocks and instructions per pvshim function (symbols from build/pvshim).
#
#   tests/bench/profile-pvshim.sh NAME N [OUTDIR]     N: a multiple of 10
#     writes OUTDIR/profile-NAME.txt (default bench/results/profile)
#   Slow: QEMU runs without block chaining while it logs.
set -u
cd "$(dirname "$0")/../.."
[ $# -ge 2 ] || { echo "usage: $0 NAME N [OUTDIR]" >&2; exit 2; }
name=$1 n=$2 out=${3:-bench/results/profile}
BUILD=${BUILD:-build}
pvshim=${PVSHIM:-$BUILD/pvshim}
[ -s "$pvshim" ] || { echo "profile: no $pvshim" >&2; exit 1; }
[ $((n % 10)) = 0 ] || { echo "profile: N must be a multiple of 10" >&2; exit 2; }
mkdir -p "$out"
work=$(mktemp -d "${TMPDIR:-/tmp}/pvshim-profile.XXXXXX")
trap 'rm -rf "$work"' EXIT

. tests/bench/profile-lib.sh
read -r lo hi < <(pvshim_text_range "$pvshim")
[ -n "${lo:-}" ] || { echo "profile: no pvshim text symbols" >&2; exit 1; }

for k in 1 2; do
    iters=$((n * k))
    profiled_boot "$work" "$k" "" "-dfilter 0x$lo..0x$hi" "log in_asm,exec,nochain" \
        pvshim icount "$name:$iters" "$work/run$k.log" 1800 ||
        { echo "profile: the $name:$iters run failed; see $work/run$k.log" >&2
          cp "$work/run$k.log" "$out/" 2> /dev/null; exit 1; }
done

# Per operation: (2N run - N run) / 1.1 N, by pvshim function.
pvshim_symbols "$pvshim" > "$work/syms"
awk -v ops="$((n * 11 / 10))" -v name="$name" "$PROFILE_AWK_SYM"'
    FILENAME ~ /syms$/ { ns++; sa[ns] = hexval($1); sn[ns] = $2; next }
    FILENAME ~ /agg.1$/ { r1[$2] = $3; i1[$2] = $4; next }
    { r2[$2] = $3; i2[$2] = $4 }
    END {
        for (pc in r2) {
            w = i2[pc] ? i2[pc] : i1[pc]
            d = r2[pc] - ((pc in r1) ? r1[pc] : 0)
            f = sym(hexval(pc))
            blocks[f] += d; insns[f] += d * w
            tb += d; ti += d * w
        }
        for (pc in r1) if (!(pc in r2)) {
            f = sym(hexval(pc)); blocks[f] -= r1[pc]; insns[f] -= r1[pc] * i1[pc]
            tb -= r1[pc]; ti -= r1[pc] * i1[pc]
        }
        printf "pvshim per %s operation: %.1f blocks, %.0f instructions (over %d operations)\n", name, tb / ops, ti / ops, ops
        printf "%-40s %10s %12s\n", "function", "blocks/op", "insns/op"
        for (f in insns) if (insns[f] / ops >= 0.5)
            printf "%-40s %10.1f %12.1f\n", f, blocks[f] / ops, insns[f] / ops | "sort -k3 -n -r"
    }' "$work/syms" "$work/agg.1" "$work/agg.2" > "$out/profile-$name.txt"
cat "$out/profile-$name.txt"
