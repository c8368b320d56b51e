#!/bin/sh
# Writes the benchmark report from a results directory filled by
# run-bench.sh (meta.tsv, runs.tsv):
#   results.md    settings, completed runs, tables of medians and ratios,
#                 pvshim's and Xen's boot phases, pvshim's hypercall profile
#   summary.tsv   the medians and ratios, one metric a line
#   ratios.svg    the ratios as a chart
#
#   tests/bench/report.sh [DIR]     default bench/results
set -eu
cd "$(dirname "$0")/../.."
dir=${1:-bench/results}
[ -s "$dir/runs.tsv" ] && [ -s "$dir/meta.tsv" ] || {
    echo "report: no $dir/runs.tsv or meta.tsv (run tests/bench/run-bench.sh)" >&2
    exit 1
}
: > "$dir/summary.tsv"
awk -v summary="$dir/summary.tsv" -f tests/bench/report.awk \
    "$dir/meta.tsv" "$dir/runs.tsv" "$dir/runs.tsv" > "$dir/results.md.tmp"
mv "$dir/results.md.tmp" "$dir/results.md"
awk -f tests/bench/chart.awk "$dir/summary.tsv" > "$dir/ratios.svg.tmp"
mv "$dir/ratios.svg.tmp" "$dir/ratios.svg"
echo "report: $dir/results.md, $dir/ratios.svg" >&2
