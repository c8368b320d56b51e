# Benchmarks (tests/bench/): the same Debian kernel and benchmark initramfs
# booted natively, as Xen 4.17's PV dom0 and through pvshim, under the same
# QEMU; a measurement, never a pass/fail test.
#
#   make bench            full suite, results in bench/results/ (< 45 min: the parallel
#                         row adds 18 real-time boots)
#   make bench QUICK=1    smaller counts and fewer rounds, in bench/results/quick/ (< 5 min)
#   BENCH_OPTS=...        more run-bench.sh options (--configs, --modes, --reps, ...);
#                         e.g. BENCH_OPTS="--modes parallel": only the parallel row
#                         (1 and 2 vCPUs, MTTCG in real time)
#   make bench-scale      pvshim at 256 MiB, 1 GiB, 4 GiB and 16 GiB (also the end of
#                         make bench): scale.md, scale.svg (tests/bench/scale.sh, ~10 min)
#   SCALE_OPTS=...        more scale.sh options (--sizes, --configs, --jobs)
#   make bench-devices    disk and network rows, pvshim's PV backends vs the same
#                         kernel's virtio drivers on the same devices (also the end
#                         of make bench): devices.md (tests/bench/devices.sh, ~15 min)
#   DEVICES_OPTS=...      more devices.sh options (--reps, --disk-mib, --net-mib, --ops)
#   make bench-profile-boot   pvshim's instructions per function over one benchmark boot
#                         to userspace, its own boot apart (tests/bench/profile-boot.sh,
#                         ~5 min at 256 MiB; BENCH_MEM=MiB): bench/results/profile/boot.txt

BENCH_OUT ?= $(if $(QUICK),bench/results/quick,bench/results)

.PHONY: bench bench-report bench-scale bench-devices bench-profile-boot
bench: $(BUILD)/pvshim | $(BUILD)/.deps-ok
	tests/bench/run-bench.sh $(if $(QUICK),--quick) --out $(BENCH_OUT) $(BENCH_OPTS)
	$(if $(QUICK),,tests/bench/scale.sh --out $(BENCH_OUT) $(SCALE_OPTS))
	tests/bench/devices.sh --out $(BENCH_OUT) $(if $(QUICK),--reps 1 --disk-mib 16 --net-mib 4 --ops 500:50) $(DEVICES_OPTS)

bench-devices: $(BUILD)/pvshim | $(BUILD)/.deps-ok
	tests/bench/devices.sh --out $(BENCH_OUT) $(DEVICES_OPTS)

bench-scale: $(BUILD)/pvshim | $(BUILD)/.deps-ok
	tests/bench/scale.sh --out $(BENCH_OUT) $(SCALE_OPTS)

bench-profile-boot: $(BUILD)/pvshim | $(BUILD)/.deps-ok
	tests/bench/profile-boot.sh bench/results/profile/boot.txt

# Rewrite the tables and the chart from the last run's measurements.
bench-report:
	tests/bench/report.sh $(BENCH_OUT)
