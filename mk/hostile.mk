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
