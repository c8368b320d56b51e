#!/bin/sh
# DEPRECATION.md's trace=abi tables, rebuilt from real runs (make abi-tables).
#
#   scripts/abi-tables.sh               boot the three Debian kernels, then rewrite the tables
#   scripts/abi-tables.sh --logs DIR    rewrite them from the console logs of an earlier run
#                                       (DIR/test_pvshim_linux_*/console.log)
#
# The boots are make test's own (tests/integration/test_linux_pvshim.sh:
# Debian's 6.1 cloud, 6.1 generic and 6.12 cloud kernels through their full
# workload, with pvshim's `trace=abi logformat=json`), logged under
# $BUILD/abi-runs/. pvshim-abi-report turns the three logs into the tables,
# which replace what stands between the abi-tables markers in DEPRECATION.md.
set -eu
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
logs=$BUILD/abi-runs
boot=1
case ${1:-} in
--logs) [ $# = 2 ] || { echo "usage: $0 [--logs DIR]" >&2; exit 2; }
        logs=$2; boot=0 ;;
"") ;;
*) echo "usage: $0 [--logs DIR]" >&2; exit 2 ;;
esac
doc=DEPRECATION.md
for m in begin end; do
    [ "$(grep -c "^<!-- abi-tables: $m" "$doc")" = 1 ] ||
        { echo "$0: $doc needs exactly one '<!-- abi-tables: $m' line" >&2; exit 1; }
done

if [ $boot = 1 ]; then
    LOGDIR=$logs tests/run-tests.sh 'pvshim_linux_(6_1_cloud|6_1_generic|6_12_cloud)$' ||
        { echo "$0: a boot failed; $doc left as it was (logs in $logs)" >&2; exit 1; }
fi

tables=$(mktemp)
trap 'rm -f "$tables" "$doc.new"' EXIT
"$BUILD/pvshim-abi-report" -o "$tables" \
    -n "6.1 cloud" "$logs/test_pvshim_linux_6_1_cloud/console.log" \
    -n "6.1 generic" "$logs/test_pvshim_linux_6_1_generic/console.log" \
    -n "6.12 cloud" "$logs/test_pvshim_linux_6_12_cloud/console.log"
awk -v tables="$tables" '
    /^<!-- abi-tables: begin/ {
        print
        while ((getline line < tables) > 0)
            print line
        skip = 1
        next
    }
    /^<!-- abi-tables: end/ { skip = 0 }
    !skip { print }
' "$doc" > "$doc.new"
mv "$doc.new" "$doc"
echo "$0: $doc: tables rewritten from $logs"
