# The L0 harness (tests/l0/): Debian's Xen 4.17 under QEMU TCG with a Linux
# dom0 running xl, and test domains started by xl as PVH domains with
# pvshim_path = build/pvshim-pvh, side by side with Debian's xen-shim.
# Slow (minutes per domain under TCG) and dependent on the emulation, so not
# part of `make test`.
#
#   make test-l0                       every test, both shims
#   make test-l0 L0_OPTS='--shims pvshim --tests "pvtest64 linux"'
.PHONY: test-l0
test-l0: $(BUILD)/pvshim-pvh $(BUILD)/pvshim-inventory guests | $(BUILD)/.deps-ok
	tests/l0/run-l0.sh $(L0_OPTS)

# pvshim vs Debian's xen-shim, memory the guest gets and time to userspace
# (tests/l0/bench-l0.sh, ~15 min): bench/results/l0.tsv and l0.md.
.PHONY: bench-l0
bench-l0: $(BUILD)/pvshim-pvh guests | $(BUILD)/.deps-ok
	tests/l0/bench-l0.sh $(BENCH_OUT)
