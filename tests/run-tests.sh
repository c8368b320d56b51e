#!/usr/bin/env bash
# Runs every test and ends with one summary line: how many passed and failed.
#   tests/run-tests.sh              unit tests, then all integration tests
#   tests/run-tests.sh PATTERN      only integration tests whose name matches
#   JOBS=N                          integration tests in parallel (default: CPUs)
#   TESTS_DIR=DIR                   the test_*.sh files of DIR instead of
#                                   tests/integration, no unit tests
#                                   (make test-sizes: tests/sizes)
set -u
cd "$(dirname "$0")/.."
export BUILD=${BUILD:-build}
export LOGDIR=${LOGDIR:-$BUILD/test-logs}
filter=${1:-}
tests_dir=${TESTS_DIR:-tests/integration}
jobs=${JOBS:-$(nproc 2>/dev/null || echo 1)}
rm -rf "$LOGDIR"
mkdir -p "$LOGDIR"

unit_pass=0 unit_fail=0
if [ -z "$filter" ] && [ "$tests_dir" = tests/integration ]; then
    echo "== unit tests"
    if "$BUILD/unit-tests" > "$LOGDIR/unit.log" 2>&1; then :; fi
    grep -E '^[^:]+:[0-9]+:[EF]:' "$LOGDIR/unit.log" | sed 's/^/  FAIL /'
    line=$(grep -E '^unit tests: [0-9]+ passed, [0-9]+ failed' "$LOGDIR/unit.log" | tail -1)
    if [ -n "$line" ]; then
        unit_pass=$(echo "$line" | sed -E 's/unit tests: ([0-9]+) passed.*/\1/')
        unit_fail=$(echo "$line" | sed -E 's/.* ([0-9]+) failed/\1/')
    else
        echo "  unit-test binary did not finish; see $LOGDIR/unit.log"
        unit_fail=1
    fi
    echo "  $unit_pass passed, $unit_fail failed"
fi

# Each integration test runs in its own shell, its results in $LOGDIR/<name>/.
run_one() {
    local file=$1 name=$2
    local dir=$LOGDIR/$name
    mkdir -p "$dir"
    # The report is written whole at the end, so parallel runs do not interleave.
    (
        export TEST_DIR=$dir LOG=$dir/console.log TEST_REASONS=$dir/reasons
        : > "$TEST_REASONS"
        # shellcheck disable=SC1090,SC1091
        . tests/integration/lib.sh
        . "$file"
        start=$(date +%s)
        "$name" > "$dir/output" 2>&1
        rc=$?
        end=$(date +%s)
        if [ $rc -eq 0 ] && [ ! -s "$TEST_REASONS" ]; then
            echo "PASS $name ($((end - start))s)"
        else
            echo "FAIL $name ($((end - start))s)"
            [ -s "$TEST_REASONS" ] || echo "test returned $rc" > "$TEST_REASONS"
            sed 's/^/       /' "$TEST_REASONS"
            if [ -s "$LOG" ]; then
                echo "       last console lines ($LOG):"
                tail -n 8 "$LOG" | sed 's/^/         | /'
            fi
        fi
    ) > "$dir/report" 2>&1
    cat "$dir/report"
}
export -f run_one

echo "== integration tests"
list=$LOGDIR/tests.list
: > "$list"
for f in "$tests_dir"/test_*.sh; do
    [ -e "$f" ] || continue
    for t in $(grep -oE '^test_[A-Za-z0-9_]+ *\(\)' "$f" | sed 's/ *()//'); do
        if [ -z "$filter" ] || echo "$t" | grep -qE -- "$filter"; then
            echo "$f $t" >> "$list"
        fi
    done
done
xargs -P "$jobs" -L 1 bash -c 'run_one "$0" "$1"' < "$list" | tee "$LOGDIR/integration.log"
int_pass=$(grep -c '^PASS ' "$LOGDIR/integration.log")
int_fail=$(grep -c '^FAIL ' "$LOGDIR/integration.log")
int_total=$(wc -l < "$list")
int_missing=$((int_total - int_pass - int_fail))
[ $int_missing -gt 0 ] && int_fail=$((int_fail + int_missing))
echo "  $int_pass passed, $int_fail failed"

pass=$((unit_pass + int_pass))
failed=$((unit_fail + int_fail))
echo "== unit $unit_pass/$((unit_pass + unit_fail)), integration $int_pass/$((int_pass + int_fail))"
echo "summary: $pass passed, $failed failed"
[ $failed -eq 0 ]
