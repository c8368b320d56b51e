# libFuzzer harnesses (tests/fuzz/), host builds of the portable sources
# with clang's fuzzer, AddressSanitizer and UBSan, plus the hostile guest's
# long runs.
#
#   make fuzz-build      build every harness into $(BUILD)/fuzz/
#   make fuzz            run every harness for FUZZ_SECONDS each (default 300),
#                        then the hostile guests (pvhostile64, then pvhostile32) with FUZZ_HOSTILE_OPS operations
#                        for each seed in FUZZ_HOSTILE_SEEDS, on one vCPU and
#                        then on FUZZ_HOSTILE_SMP vCPUs racing (FUZZ_HOSTILE_SMP_OPS)
#   make fuzz-smoke      every harness for FUZZ_SMOKE_SECONDS (default 5) and
#                        every committed crash reproducer
#   make fuzz-seeds      regenerate the generated seed corpora
#   FUZZ_HARNESSES="mmu xenstore"   only these
#
# New inputs a run finds go to $(BUILD)/fuzz/corpus/<harness>/ (the committed
# corpus in tests/fuzz/corpus/<harness>/ is read, never written); crashes to
# $(BUILD)/fuzz/crashes/<harness>/. Copy a crash into tests/fuzz/crashes/ to
# make it a regression case.

FUZZ_CC       ?= clang
FUZZ_SECONDS  ?= 300
FUZZ_SMOKE_SECONDS ?= 5
FUZZ_HOSTILE_OPS   ?= 5000000
FUZZ_HOSTILE_SEEDS ?= 1 2 3 4
FUZZ_HOSTILE_SMP   ?= 4
FUZZ_HOSTILE_SMP_OPS ?= 200000
FUZZ_DIR      := $(BUILD)/fuzz

FUZZ_SAN      := -fsanitize=address,undefined -fno-sanitize-recover=undefined
FUZZ_CFLAGS   := -std=gnu11 -O1 -g -Wall -Wextra -Werror -Wno-unused-parameter -Wno-bitwise-instead-of-logical \
                 -Iinclude -Ipvops-compat -Ixen/local -I$(SYSINC) -Itests/unit \
                 $(HOST_DEFS) -DPVSHIM_FUZZ $(FUZZ_SAN) -fno-omit-frame-pointer -MMD -MP

# The fakes and simulations the unit tests use, without Check.
FUZZ_SUPPORT_C := tests/unit/fakes.c tests/unit/fake_guest.c tests/unit/fake_time.c \
                  tests/unit/mm_sim.c tests/unit/xenstore_sim.c tests/unit/fake_emulate.c \
                  tests/unit/emulate_mm_fixture.c tests/fuzz/machine.c
FUZZ_LIB_OBJS  := $(patsubst %.c,$(FUZZ_DIR)/obj/%.o,$(PORTABLE_C) $(FUZZ_SUPPORT_C))

# Each harness: tests/fuzz/fuzz_<name>.c. The decompressor harness is built
# once per format (fuzz_decompress.c with FUZZ_FORMAT).
FUZZ_DECOMP    := gzip bzip2 xz lzma lzo lz4 zstd
FUZZ_PLAIN     := $(patsubst tests/fuzz/fuzz_%.c,%,$(filter-out tests/fuzz/fuzz_decompress.c, \
                    $(sort $(wildcard tests/fuzz/fuzz_*.c))))
FUZZ_ALL       := $(FUZZ_PLAIN) $(addprefix decompress_,$(FUZZ_DECOMP))
FUZZ_HARNESSES ?= $(FUZZ_ALL)
FUZZ_BINS      := $(addprefix $(FUZZ_DIR)/,$(FUZZ_ALL))

$(FUZZ_DIR)/obj/%.o: %.c | $(SYSINC)/xen
	@mkdir -p $(@D)
	@echo "  FUZZCC  $<"
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c $< -o $@

$(FUZZ_DIR)/obj/decompress_%.o: tests/fuzz/fuzz_decompress.c | $(SYSINC)/xen
	@mkdir -p $(@D)
	@echo "  FUZZCC  $< ($*)"
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -DFUZZ_FORMAT_NAME=$* -c $< -o $@

$(FUZZ_DIR)/libportable.a: $(FUZZ_LIB_OBJS)
	@rm -f $@
	$(Q)ar rcs $@ $^

# Whole-archive: the harness may reach any part of pvshim through the
# hypercall table, and constructors (the console capture) must be kept.
$(FUZZ_DIR)/%: $(FUZZ_DIR)/obj/tests/fuzz/fuzz_%.o $(FUZZ_DIR)/libportable.a
	@echo "  FUZZLD  $@"
	$(Q)$(FUZZ_CC) $(FUZZ_SAN) -fsanitize=fuzzer -o $@ $< \
	    -Wl,--whole-archive $(FUZZ_DIR)/libportable.a -Wl,--no-whole-archive

$(FUZZ_DIR)/decompress_%: $(FUZZ_DIR)/obj/decompress_%.o $(FUZZ_DIR)/libportable.a
	@echo "  FUZZLD  $@"
	$(Q)$(FUZZ_CC) $(FUZZ_SAN) -fsanitize=fuzzer -o $@ $< \
	    -Wl,--whole-archive $(FUZZ_DIR)/libportable.a -Wl,--no-whole-archive

# The seed generator: unit-test fixtures (image_builder) written as files.
FUZZ_SEEDGEN_OBJS := $(patsubst %.c,$(BUILD)/h/%.o,$(PORTABLE_C) tests/unit/fakes.c \
                       tests/unit/fake_guest.c tests/unit/fake_time.c tests/unit/fake_emulate.c \
                       tests/unit/image_builder.c tests/unit/save_builder.c \
                       tests/fuzz/make_seeds.c tests/fuzz/op_seeds.c)
$(BUILD)/fuzz-make-seeds: $(FUZZ_SEEDGEN_OBJS)
	@echo "  HOSTLD  $@"
	$(Q)$(HOSTCC) $(HOST_CFLAGS) -o $@ $^

.PHONY: fuzz fuzz-build fuzz-smoke fuzz-seeds fuzz-hostile
fuzz-build: $(FUZZ_BINS)

# make test runs the smoke run (tests/integration/test_fuzz_smoke.sh).
test: fuzz-build

fuzz-seeds: $(BUILD)/fuzz-make-seeds
	tests/fuzz/make-seeds.sh $(abspath $(BUILD)/fuzz-make-seeds)

fuzz-smoke: fuzz-build
	@set -e; for h in $(FUZZ_HARNESSES); do \
	    tests/fuzz/run.sh $(FUZZ_DIR)/$$h $(FUZZ_SMOKE_SECONDS); done

fuzz: fuzz-build guests $(BUILD)/pvshim
	@set -e; for h in $(FUZZ_HARNESSES); do \
	    tests/fuzz/run.sh $(FUZZ_DIR)/$$h $(FUZZ_SECONDS); done
	@$(MAKE) --no-print-directory fuzz-hostile

fuzz-hostile: guests $(BUILD)/pvshim
	@set -e; for s in $(FUZZ_HOSTILE_SEEDS); do \
	    tests/guests/pvhostile64/run.sh --seed $$s --ops $(FUZZ_HOSTILE_OPS); done
	@set -e; for s in $(FUZZ_HOSTILE_SEEDS); do \
	    tests/guests/pvhostile64/run.sh --guest pvhostile32 --seed $$s --ops $(FUZZ_HOSTILE_OPS); done
	@set -e; for s in $(FUZZ_HOSTILE_SEEDS); do \
	    tests/guests/pvhostile64/run.sh --seed $$s --ops $(FUZZ_HOSTILE_SMP_OPS) \
	        --smp $(FUZZ_HOSTILE_SMP); done
