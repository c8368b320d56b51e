# Fixtures for tests/unit/test_decompress_b.c (xz, lzma, zstd): generated
# inputs compressed with the system's xz, lzma and zstd. The unit tests read
# them from $PVSHIM_FIXTURES/decompress-b (default build/fixtures).
DECOMP_B_FIXTURES := $(BUILD)/fixtures/decompress-b
DECOMP_B_STAMP    := $(DECOMP_B_FIXTURES)/.done

# The ELF input is pvshim itself, taken as it is when the fixtures are made.
$(DECOMP_B_STAMP): tests/unit/decompress_b_fixtures.sh mk/decompress-b.mk | $(BUILD)/.deps-ok $(BUILD)/pvshim
	@echo "  GEN     $(DECOMP_B_FIXTURES)"
	$(Q)rm -rf $(DECOMP_B_FIXTURES)
	$(Q)tests/unit/decompress_b_fixtures.sh $(DECOMP_B_FIXTURES) $(BUILD)/pvshim
	@touch $@

$(BUILD)/unit-tests: $(DECOMP_B_STAMP)

# Host decode speed of the xz, lzma and zstd decoders, built as the kernel
# builds them (-O2, no sanitizers): make decomp-bench BENCH_INPUT='a.xz b.zst'
DECOMP_B_BENCH_SRC := $(sort $(wildcard shim/decompress/*.c))
$(BUILD)/decomp-bench: tests/unit/bench/decomp_bench.c $(DECOMP_B_BENCH_SRC) | $(SYSINC)/xen
	@echo "  HOSTLD  $@"
	$(Q)$(HOSTCC) -std=gnu11 -O2 -Iinclude -Ishim/decompress -DPVSHIM_HOSTED \
		-fno-tree-loop-distribute-patterns -fno-strict-aliasing -o $@ $^

.PHONY: decomp-bench
decomp-bench: $(BUILD)/decomp-bench
	$(BUILD)/decomp-bench $(BENCH_INPUT)
