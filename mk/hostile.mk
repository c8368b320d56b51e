# pvhostile64 (tests/guests/pvhostile64): the PV guest that attacks pvshim
# with seeded random hypercalls. Built with the other test guests (make
# guests); make test runs it briefly (tests/integration/test_hostile.sh),
# make fuzz with FUZZ_HOSTILE_OPS operations per seed.

PVHOSTILE64      := $(BUILD)/guests/pvhostile64
PVHOSTILE64_DIR  := tests/guests/pvhostile64
PVHOSTILE64_OBJS := $(patsubst %.c,$(BUILD)/g/%.o,$(sort $(wildcard $(PVHOSTILE64_DIR)/*.c))) \
                    $(patsubst %.asm,$(BUILD)/g/%.o,$(sort $(wildcard $(PVHOSTILE64_DIR)/*.asm))) \
                    $(GUEST_COMMON_OBJS)

guests: $(PVHOSTILE64)

$(PVHOSTILE64): $(PVHOSTILE64_OBJS) $(PVHOSTILE64_DIR)/pvhostile64.ld
	@mkdir -p $(@D)
	@echo "  LD      $@"
	$(Q)$(LD) -nostdlib -static -z max-page-size=0x1000 -z noexecstack \
	    --no-warn-rwx-segments -T $(PVHOSTILE64_DIR)/pvhostile64.ld -o $@ $(PVHOSTILE64_OBJS)

# pvhostile32 (tests/guests/pvhostile32): the same for the 32-bit PAE ABI,
# with pvtest32's console and page-table walker (built like pvtest32).
PVHOSTILE32      := $(BUILD)/guests/pvhostile32
PVHOSTILE32_DIR  := tests/guests/pvhostile32
PVHOSTILE32_OBJS := $(patsubst %.c,$(BUILD)/g32/%.o,$(sort $(wildcard $(PVHOSTILE32_DIR)/*.c)) \
                        $(PVTEST32_DIR)/lib.c $(PVTEST32_DIR)/mm.c tests/guests/common/guest_string.c) \
                    $(BUILD)/g32/$(PVHOSTILE32_DIR)/head.o

guests: $(PVHOSTILE32)

$(PVHOSTILE32): $(PVHOSTILE32_OBJS) $(PVHOSTILE32_DIR)/pvhostile32.ld
	@mkdir -p $(@D)
	@echo "  LD      $@"
	$(Q)$(LD) -m elf_i386 -nostdlib -static -z max-page-size=0x1000 -z noexecstack \
	    --no-warn-rwx-segments -T $(PVHOSTILE32_DIR)/pvhostile32.ld -o $@ $(PVHOSTILE32_OBJS)

-include $(PVHOSTILE32_OBJS:.o=.d)
