#!/usr/bin/env bash
# Run one libFuzzer harness: replay its committed crash reproducers, then
# fuzz for SECONDS, starting from the committed seed corpus.
#   tests/fuzz/run.sh build/fuzz/<harness> SECONDS
# New corpus entries go to $BUILD/fuzz/corpus/<harness>/, crashes to
# $BUILD/fuzz/crashes/<harness>/, the log to $BUILD/fuzz/logs/<harness>.log.
# Exit status 0 only if every reproducer passed and fuzzing found nothing.
set -u
bin=$1 secs=$2
h=$(basename "$bin")
src=$(cd "$(dirname "$0")" && pwd)
out=$(dirname "$bin")
corpus=$out/corpus/$h crashes=$out/crashes/$h log=$out/logs/$h.log
mkdir -p "$corpus" "$crashes" "$out/logs"
[ -x "$bin" ] || { echo "fuzz $h: no harness $bin (make fuzz-build)"; exit 1; }

# Every reproducer must now run clean (libFuzzer runs each file once).
repros=()
if [ -d "$src/crashes/$h" ]; then
    for f in "$src/crashes/$h"/*; do [ -f "$f" ] && repros+=("$f"); done
fi
if [ ${#repros[@]} -gt 0 ]; then
    if ! "$bin" -runs=1 "${repros[@]}" > "$out/logs/$h.repro.log" 2>&1; then
        echo "fuzz $h: a committed reproducer fails again; see $out/logs/$h.repro.log"
        grep -m 3 -E 'ERROR|SUMMARY|FAIL|abort' "$out/logs/$h.repro.log" | sed 's/^/  /'
        exit 1
    fi
fi

seeds=()
[ -d "$src/corpus/$h" ] && seeds=("$src/corpus/$h")
start=$(date +%s)
"$bin" -max_total_time="$secs" -timeout=20 -rss_limit_mb=2560 -print_final_stats=1 \
    -artifact_prefix="$crashes/" "$corpus" "${seeds[@]}" > "$log" 2>&1
rc=$?
end=$(date +%s)
runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
if [ $rc -ne 0 ]; then
    echo "fuzz $h: FAILED after $((end - start))s (status $rc); see $log"
    grep -m 5 -E '^==[0-9]+==ERROR|^SUMMARY|runtime error|Test unit written' "$log" | sed 's/^/  /'
    exit 1
fi
echo "fuzz $h: ${runs:-?} runs in $((end - start))s, ${#repros[@]} reproducers, no crash"
