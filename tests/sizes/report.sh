#!/bin/sh
# After make test-sizes: one line per pvshim boot in LOGDIR (default
# build/test-logs-sizes): RAM, what pvshim keeps, and trace=boot's time
# (ns since reset, TCG without -icount: wall-clock noise included) at the
# end of the "tables" and "built" phases and at the first guest instruction.
LOGDIR=${LOGDIR:-build/test-logs-sizes}
printf '%-42s %9s %20s %9s %9s %9s\n' test "RAM MiB" "pvshim KiB (%)" tables_ms built_ms entry_ms
for log in "$LOGDIR"/*/console.log; do
    [ -f "$log" ] || continue
    name=$(basename "$(dirname "$log")")
    tr -d '\r' < "$log" | awk -v name="$name" '
        /memory map \([0-9]+ MiB RAM\)/ { match($0, /\([0-9]+ MiB/); ram = substr($0, RSTART + 1, RLENGTH - 5) }
        /memory: [0-9]+ KiB RAM, guest/ {
            match($0, /pvshim [0-9]+ KiB \([0-9.]+%\)/); keep = substr($0, RSTART + 7, RLENGTH - 7)
        }
        /trace=boot: phase / {
            match($0, /ns=[0-9]+/); ns = substr($0, RSTART + 3, RLENGTH - 3)
            if ($0 ~ /phase tables /) t = ns; if ($0 ~ /phase built /) b = ns
            if ($0 ~ /phase guest-entry /) e = ns
        }
        END {
            if (ram == "") exit
            if (e == "")
                printf "%-42s %9s %20s %9s %9s %9s\n", name, ram, keep, "-", "-", "-"
            else
                printf "%-42s %9s %20s %9.1f %9.1f %9.1f\n", name, ram, keep, t / 1e6, b / 1e6, e / 1e6
        }'
done
