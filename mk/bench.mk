# Benchmarks (tests/bench/): the same Debian kernel and benchmark initramfs
# booted natively, as Xen 4.17's PV dom0 and through pvshim, under the same
# QEMU; a measurement, never a pass/fail test.
#
#   make bench            full suite, results in bench/results/ (< 30 min)
#   make bench QUICK=1    smaller counts and fewer rounds, in bench/results/quick/ (< 5 min)
#   BENCH_OPTS=...        more run-bench.sh options (--configs, --modes, --reps, ...)

BENCH_OUT ?= $(if $(QUICK),bench/results/quick,bench/results)

.PHONY: bench bench-report
bench: $(BUILD)/pvshim | $(BUILD)/.deps-ok
	tests/bench/run-bench.sh $(if $(QUICK),--quick) --out $(BENCH_OUT) $(BENCH_OPTS)

# Rewrite the tables and the chart from the last run's measurements.
bench-report:
	tests/bench/report.sh $(BENCH_OUT)
