# Fixtures for tests/unit/test_decompress_a.c: inputs generated here
# (deterministic pseudo-random data, so a failure reproduces), compressed
# with the system's gzip, bzip2, lzop and lz4 in the variants the decoders
# must handle. The unit tests read them from $(BUILD)/fixtures/decompress-a.

DECOMP_A_DIR := $(BUILD)/fixtures/decompress-a

# name: contents
#   tiny.txt    one sentence (gzip codes it with fixed Huffman tables)
#   small.txt   ~8 KiB of text, for the truncation and corruption sweeps
#   text.txt    ~1 MiB of text
#   random.bin  256 KiB of incompressible bytes (stored blocks)
#   zeros.bin   1 MiB of zeros (long runs, distance-1 matches)
#   runs.bin    512 KiB of runs of random bytes and lengths
#   elf.bin     the pvshim kernel image
#   empty.bin   nothing
#   mixed.bin   ~12 MiB of most of these: several blocks in every format,
#               more than one 8 MiB legacy LZ4 block
DECOMP_A_INPUTS := tiny.txt small.txt text.txt random.bin zeros.bin runs.bin \
                   elf.bin empty.bin mixed.bin

# suffix: compressor command (input on stdin unless it names $<)
DECOMP_A_VARIANTS := 1.gz 9.gz 1.bz2 9.bz2 1.lzo 9.lzo crc.lzo nock.lzo \
                     legacy.lz4 frame.lz4 nocrc.lz4 dep.lz4

DECOMP_A_FIXTURES := $(foreach i,$(DECOMP_A_INPUTS),$(DECOMP_A_DIR)/$(i) \
                       $(foreach v,$(DECOMP_A_VARIANTS),$(DECOMP_A_DIR)/$(i).$(v)))

$(BUILD)/unit-tests: $(DECOMP_A_FIXTURES)
.PHONY: decompress-a-fixtures
decompress-a-fixtures: $(DECOMP_A_FIXTURES)

# Perl programs (make variables, so line continuations become spaces),
# all on a 32-bit xorshift generator.
DECOMP_A_RNG := sub r { $$x ^= ($$x << 13) & 0xffffffff; $$x ^= $$x >> 17; \
                        $$x ^= ($$x << 5) & 0xffffffff; $$x }
DECOMP_A_WORDS := the a of to in hypervisor guest page table grant event channel \
                  xenstore console memory frame kernel boot domain vcpu interrupt \
                  shared info start mapping pinned writable descriptor segment, \
                  fault. returns error when
# Words drawn with a skewed distribution, so the text compresses like text.
# Arguments: size, seed.
DECOMP_A_TEXT := $(DECOMP_A_RNG); ($$n, $$x) = @ARGV; @w = qw($(DECOMP_A_WORDS)); \
                 $$o = ""; while (length($$o) < $$n) { $$i = r() % @w; \
                 $$i = r() % ($$i + 1); $$o .= $$w[$$i] . ((r() % 11) ? " " : "\n"); } \
                 print substr($$o, 0, $$n);
DECOMP_A_RANDOM := $(DECOMP_A_RNG); $$x = 12345; print pack("V*", map { r() } 1 .. 65536);
DECOMP_A_RUNS := $(DECOMP_A_RNG); $$x = 777; $$o = ""; while (length($$o) < 524288) { \
                 $$o .= chr(r() % 7 ? r() % 4 : r() % 256) x (1 + r() % 300); } \
                 print substr($$o, 0, 524288);

$(DECOMP_A_DIR)/.dir:
	@mkdir -p $(@D)
	@touch $@

$(DECOMP_A_DIR)/tiny.txt: | $(DECOMP_A_DIR)/.dir
	printf 'pvshim hosts one PV guest; to the guest, pvshim is Xen. Xen, Xen, Xen!\n' > $@.tmp && mv $@.tmp $@
$(DECOMP_A_DIR)/small.txt: | $(DECOMP_A_DIR)/.dir
	perl -e '$(DECOMP_A_TEXT)' 8000 11 > $@.tmp && mv $@.tmp $@
$(DECOMP_A_DIR)/text.txt: | $(DECOMP_A_DIR)/.dir
	perl -e '$(DECOMP_A_TEXT)' 1048576 29 > $@.tmp && mv $@.tmp $@
$(DECOMP_A_DIR)/random.bin: | $(DECOMP_A_DIR)/.dir
	perl -e '$(DECOMP_A_RANDOM)' > $@.tmp && mv $@.tmp $@
$(DECOMP_A_DIR)/zeros.bin: | $(DECOMP_A_DIR)/.dir
	head -c 1048576 /dev/zero > $@.tmp && mv $@.tmp $@
$(DECOMP_A_DIR)/runs.bin: | $(DECOMP_A_DIR)/.dir
	perl -e '$(DECOMP_A_RUNS)' > $@.tmp && mv $@.tmp $@
$(DECOMP_A_DIR)/elf.bin: $(BUILD)/pvshim | $(DECOMP_A_DIR)/.dir
	cp $< $@

$(DECOMP_A_DIR)/empty.bin: | $(DECOMP_A_DIR)/.dir
	: > $@

# (Not elf.bin: the big fixtures would be remade whenever pvshim changes.)
DECOMP_A_MIXED_PARTS := text.txt random.bin zeros.bin runs.bin small.txt text.txt \
                        runs.bin text.txt random.bin zeros.bin text.txt small.txt \
                        random.bin text.txt zeros.bin runs.bin text.txt tiny.txt
$(DECOMP_A_DIR)/mixed.bin: $(addprefix $(DECOMP_A_DIR)/,$(sort $(DECOMP_A_MIXED_PARTS)))
	cat $(addprefix $(DECOMP_A_DIR)/,$(DECOMP_A_MIXED_PARTS)) > $@.tmp && mv $@.tmp $@

# gzip keeps the file name (FNAME) unless -n; lzop keeps it unless fed on stdin.
$(DECOMP_A_DIR)/%.1.gz: $(DECOMP_A_DIR)/% | $(BUILD)/.deps-ok
	gzip -1 -c $< > $@.tmp && mv $@.tmp $@
$(DECOMP_A_DIR)/%.9.gz: $(DECOMP_A_DIR)/% | $(BUILD)/.deps-ok
	gzip -9 -n -c < $< > $@.tmp && mv $@.tmp $@
$(DECOMP_A_DIR)/%.1.bz2: $(DECOMP_A_DIR)/% | $(BUILD)/.deps-ok
	bzip2 -1 -c < $< > $@.tmp && mv $@.tmp $@
$(DECOMP_A_DIR)/%.9.bz2: $(DECOMP_A_DIR)/% | $(BUILD)/.deps-ok
	bzip2 -9 -c < $< > $@.tmp && mv $@.tmp $@
$(DECOMP_A_DIR)/%.1.lzo: $(DECOMP_A_DIR)/% | $(BUILD)/.deps-ok
	lzop -1 -c $< > $@.tmp && mv $@.tmp $@
$(DECOMP_A_DIR)/%.9.lzo: $(DECOMP_A_DIR)/% | $(BUILD)/.deps-ok
	lzop -9 -c $< > $@.tmp && mv $@.tmp $@
$(DECOMP_A_DIR)/%.crc.lzo: $(DECOMP_A_DIR)/% | $(BUILD)/.deps-ok
	lzop --crc32 -c $< > $@.tmp && mv $@.tmp $@
$(DECOMP_A_DIR)/%.nock.lzo: $(DECOMP_A_DIR)/% | $(BUILD)/.deps-ok
	lzop -F -c < $< > $@.tmp && mv $@.tmp $@
$(DECOMP_A_DIR)/%.legacy.lz4: $(DECOMP_A_DIR)/% | $(BUILD)/.deps-ok
	lz4 -q -l -9 -c < $< > $@.tmp && mv $@.tmp $@
$(DECOMP_A_DIR)/%.frame.lz4: $(DECOMP_A_DIR)/% | $(BUILD)/.deps-ok
	lz4 -q -1 -c < $< > $@.tmp && mv $@.tmp $@
$(DECOMP_A_DIR)/%.nocrc.lz4: $(DECOMP_A_DIR)/% | $(BUILD)/.deps-ok
	lz4 -q -1 -B4 --no-frame-crc -c < $< > $@.tmp && mv $@.tmp $@
$(DECOMP_A_DIR)/%.dep.lz4: $(DECOMP_A_DIR)/% | $(BUILD)/.deps-ok
	lz4 -q -9 -B5 -BD -BX --content-size -c < $< > $@.tmp && mv $@.tmp $@

# An lzop file with a (delta) filter, which the decoder refuses.
DECOMP_A_SPECIAL := $(DECOMP_A_DIR)/small.txt.filter.lzo
$(BUILD)/unit-tests: $(DECOMP_A_SPECIAL)
decompress-a-fixtures: $(DECOMP_A_SPECIAL)
$(DECOMP_A_DIR)/%.filter.lzo: $(DECOMP_A_DIR)/% | $(BUILD)/.deps-ok
	lzop --filter=1 -c < $< > $@.tmp && mv $@.tmp $@
