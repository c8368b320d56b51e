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

# pvshim's text: [lo, hi) for QEMU's -dfilter.
read -r lo hi < <(nm -n "$pvshim" | awk '$2 ~ /^[tT]$/ && $1 ~ /^ffff/ {
    if (!lo) lo = $1; hi = $1 } END { print lo, hi }')
[ -n "$lo" ] || { echo "profile: no pvshim text symbols" >&2; exit 1; }
hi=$(printf '%x' $((0x$hi + 0x10000)))

# Aggregates one QEMU log: "PC executions instructions-per-block".
aggregate() {
    awk '
        /^IN:/ { inblk = 1; first = ""; cnt = 0; next }
        inblk && /^0x[0-9a-f]+:/ { if (first == "") first = substr($1, 3, length($1) - 3); cnt++; next }
        inblk && !/^0x/ { if (first != "" && cnt > insns[first]) insns[first] = cnt; inblk = 0 }
        /^Trace / {
            split($0, f, "/"); pc = f[2]; sub(/^0+/, "", pc); runs[pc]++
        }
        END { for (pc in runs) print pc, runs[pc], insns[pc] + 0 }'
}

for k in 1 2; do
    iters=$((n * k))
    mkfifo "$work/log$k"
    aggregate < "$work/log$k" > "$work/agg$k" &
    agg=$!
    BENCH_QEMU_EXTRA="-dfilter 0x$lo..0x$hi -D $work/log$k" \
    BENCH_HMP_AT_ENV="log in_asm,exec,nochain" \
        tests/bench/boot-one.sh pvshim icount "$name:$iters" "$work/run$k.log" 1800 ||
        { echo "profile: the $name:$iters run failed; see $work/run$k.log" >&2
          cp "$work/run$k.log" "$out/" 2> /dev/null; exit 1; }
    wait "$agg"
done

# Per operation: (2N run - N run) / 1.1 N, by pvshim function.
# NASM's macro-local labels (..@N.name) count as part of the label before.
nm -n "$pvshim" | awk '$2 ~ /^[tT]$/ && $3 !~ /^\.\.@/ { print $1, $3 }' > "$work/syms"
awk -v ops="$((n * 11 / 10))" -v name="$name" '
    function hexval(s,    i, v) {
        # awk numbers are doubles: only the low 40 bits keep every byte
        # apart, and all of the pvshim text lies inside one such window.
        if (length(s) > 10) s = substr(s, length(s) - 9)
        v = 0
        for (i = 1; i <= length(s); i++)
            v = v * 16 + index("0123456789abcdef", substr(s, i, 1)) - 1
        return v
    }
    FILENAME ~ /syms$/ { ns++; sa[ns] = hexval($1); sn[ns] = $2; next }
    FILENAME ~ /agg1$/ { r1[$1] = $2; i1[$1] = $3; next }
    { r2[$1] = $2; i2[$1] = $3 }
    function sym(a,    l, h, m) {
        l = 1; h = ns
        if (a < sa[1]) return "?"
        while (l < h) { m = int((l + h + 1) / 2); if (sa[m] <= a) l = m; else h = m - 1 }
        return sn[l]
    }
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
    }' "$work/syms" "$work/agg1" "$work/agg2" > "$out/profile-$name.txt"
cat "$out/profile-$name.txt"
