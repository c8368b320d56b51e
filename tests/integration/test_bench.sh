# The benchmark harness (tests/bench/, `make bench`) works end to end.
# Never a judgement of timings: these check that the machinery boots,
# measures, and reports, and that the report's arithmetic is right.

# The cheapest real run: one configuration (native), one icount run, the
# quick suite; every benchmark must report, and the report must carry them.
test_bench_quick_native_icount() {
    local out=$TEST_DIR/bench k
    if ! tests/bench/run-bench.sh --quick --configs native --modes icount \
            --icount-reps 1 --out "$out" > "$TEST_DIR/bench.out" 2>&1; then
        fail "run-bench.sh failed: $(tail -n 3 "$TEST_DIR/bench.out" | tr '\n' ' ')"
        return 1
    fi
    cp "$out/logs/icount-native-1.log" "$LOG" 2> /dev/null
    grep -qP '^icount\tnative\t1\toutcome\tdone$' "$out/runs.tsv" ||
        fail "the native run did not reach its final marker"
    for k in getpid fork forkexec mmap pipe compute; do
        grep -qP "^icount\tnative\t1\top_${k}_ns\t[0-9.]+$" "$out/runs.tsv" ||
            fail "no result for $k in runs.tsv"
    done
    for k in memtotal_kb tsc_userspace_s tsc_done_s host_done_s; do
        grep -qP "^icount\tnative\t1\t$k\t[0-9.]+$" "$out/runs.tsv" ||
            fail "no $k in runs.tsv"
    done
    grep -qE '^\| getpid \(syscall\) \| ns \| [0-9]+ \| — \| — \|' "$out/results.md" ||
        fail "results.md has no getpid row with a native median"
    grep -q 'QEMU emulator version' "$out/results.md" || fail "results.md lacks the QEMU version"
    head -c 5 "$out/ratios.svg" | grep -q '<svg' || fail "ratios.svg is not an SVG"
    tail -n 1 "$out/ratios.svg" | grep -q '</svg>' || fail "ratios.svg is incomplete"
}

# The report from made-up runs: medians (odd and even counts), ratios,
# failed runs left out, and the chart's bars.
test_bench_report_arithmetic() {
    local d=$TEST_DIR/fixture
    mkdir -p "$d"
    printf 'size\tquick\nreps\t2\nicount_reps\t1\ndate\ttoday\n' > "$d/meta.tsv"
    {
        printf 'mode\tconfig\trep\tkey\tvalue\n'
        # native: getpid 100, 300, 200 -> median 200
        for r in 1:100 2:300 3:200; do
            printf 'realtime\tnative\t%s\top_getpid_ns\t%s\n' "${r%%:*}" "${r##*:}"
            printf 'realtime\tnative\t%s\toutcome\tdone\n' "${r%%:*}"
        done
        # xen: 500 and 700 -> median 600
        for r in 1:500 2:700; do
            printf 'realtime\txen\t%s\top_getpid_ns\t%s\n' "${r%%:*}" "${r##*:}"
            printf 'realtime\txen\t%s\toutcome\tdone\n' "${r%%:*}"
        done
        # pvshim: 300, and a failed run whose 9999 must not count
        printf 'realtime\tpvshim\t1\top_getpid_ns\t300\nrealtime\tpvshim\t1\toutcome\tdone\n'
        printf 'realtime\tpvshim\t2\top_getpid_ns\t9999\nrealtime\tpvshim\t2\toutcome\texited\n'
        printf 'realtime\tpvshim\t2\tstatus\t5\n'
        printf 'realtime\tpvshim\t2\tphase_unpacked_s\t0.25\n'
    } > "$d/runs.tsv"
    if ! tests/bench/report.sh "$d" > "$TEST_DIR/report.out" 2>&1; then
        fail "report.sh failed: $(cat "$TEST_DIR/report.out")"
        return 1
    fi
    local row
    row=$(awk -F'\t' '$1 == "realtime" && $2 == "op_getpid_ns"' "$d/summary.tsv")
    [ -n "$row" ] || { fail "no getpid row in summary.tsv"; return 1; }
    echo "$row" | awk -F'\t' '
        function near(a, b) { return a - b < 1e-6 && b - a < 1e-6 }
        !($4 == 200 && $5 == 600 && $6 == 300 && near($7, 3) && near($8, 1.5) && near($9, 0.5)) { exit 1 }' ||
        fail "summary row wrong (want 200 600 300 3 1.5 0.5): $row"
    grep -qF '| realtime | pvshim | 1 of 2 | exited 5 |' "$d/results.md" ||
        fail "results.md does not report pvshim's failed run"
    grep -qF '| pvshim unpacked |' "$d/results.md" ||
        fail "results.md lacks the boot phase of the failed run"
    [ "$(grep -c '<rect x=' "$d/ratios.svg")" -ge 6 ] ||
        fail "ratios.svg lacks the three ratio bars"
}
