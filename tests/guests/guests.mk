# Our own PV test guests (see tests/guests/pvtest64/pvtest.h).
#
#   make guests     build/guests/pvtest64 (ELF64 PV kernel) and
#                   build/guests/pvtest64.mod (the module it expects),
#                   build/guests/pvtest32 (ELF32 PAE PV kernel)

PVTEST64_DIR  := tests/guests/pvtest64
PVTEST64      := $(BUILD)/guests/pvtest64
PVTEST64_C    := $(sort $(wildcard $(PVTEST64_DIR)/*.c))
PVTEST64_ASM  := $(sort $(wildcard $(PVTEST64_DIR)/*.asm))
# What every test guest links: tests/guests/common/.
GUEST_COMMON_OBJS := $(BUILD)/g/tests/guests/common/guest_string.o
PVTEST64_OBJS := $(patsubst %.c,$(BUILD)/g/%.o,$(PVTEST64_C)) \
                 $(patsubst %.asm,$(BUILD)/g/%.o,$(PVTEST64_ASM)) $(GUEST_COMMON_OBJS)

# Like the kernel's flags, but linked at -2 GiB (mcmodel=kernel), not PIE.
GUEST_CFLAGS := -std=gnu11 -O2 -g -Wall -Wextra -Werror -Wno-unused-parameter \
                -ffreestanding -nostdinc -isystem $(GCC_INCLUDE) \
                -Iinclude -Itests/guests/common -I$(SYSINC) $(COMMON_DEFS) \
                -mno-red-zone -mgeneral-regs-only -mcmodel=kernel -fno-pie \
                -fno-stack-protector -fno-omit-frame-pointer \
                -fno-asynchronous-unwind-tables -fno-strict-aliasing \
                -fno-tree-loop-distribute-patterns -MMD -MP

guests: $(PVTEST64) $(PVTEST64).mod

$(BUILD)/g/%.o: %.c | $(SYSINC)/xen
	@mkdir -p $(@D)
	@echo "  CC      $<"
	$(Q)$(CC) $(GUEST_CFLAGS) -c $< -o $@

$(BUILD)/g/%.o: %.asm | $(BUILD)/.deps-ok
	@mkdir -p $(@D)
	@echo "  NASM    $<"
	$(Q)$(NASM) -f elf64 -g -Itests/guests/common/ -MD $(@:.o=.d) -MP $< -o $@

$(PVTEST64): $(PVTEST64_OBJS) $(PVTEST64_DIR)/pvtest64.ld
	@mkdir -p $(@D)
	@echo "  LD      $@"
	$(Q)$(LD) -nostdlib -static -z max-page-size=0x1000 -z noexecstack \
	    --no-warn-rwx-segments -T $(PVTEST64_DIR)/pvtest64.ld -o $@ \
	    $(PVTEST64_OBJS)

$(PVTEST64).mod: $(PVTEST64_DIR)/make-module.sh
	@mkdir -p $(@D)
	$(Q)$(PVTEST64_DIR)/make-module.sh > $@

# pvtest32: the same kind of guest for the 32-bit PAE ABI (i686, ring 1),
# built with -m32 against the same public headers (32-bit layouts).
PVTEST32_DIR  := tests/guests/pvtest32
PVTEST32      := $(BUILD)/guests/pvtest32
PVTEST32_C    := $(sort $(wildcard $(PVTEST32_DIR)/*.c)) tests/guests/common/guest_string.c
PVTEST32_OBJS := $(patsubst %.c,$(BUILD)/g32/%.o,$(PVTEST32_C)) \
                 $(BUILD)/g32/$(PVTEST32_DIR)/head.o
GUEST32_CFLAGS := -std=gnu11 -O2 -g -Wall -Wextra -Werror -Wno-unused-parameter \
                  -m32 -march=i686 -ffreestanding -nostdinc -isystem $(GCC_INCLUDE) \
                  -Itests/guests/common -I$(SYSINC) $(COMMON_DEFS) \
                  -mgeneral-regs-only -fno-pie -fno-stack-protector -fno-omit-frame-pointer \
                  -fno-asynchronous-unwind-tables -fno-strict-aliasing \
                  -fno-tree-loop-distribute-patterns -MMD -MP

$(BUILD)/g32/%.o: %.c | $(SYSINC)/xen
	@mkdir -p $(@D)
	@echo "  CC32    $<"
	$(Q)$(CC) $(GUEST32_CFLAGS) -c $< -o $@

$(BUILD)/g32/%.o: %.asm | $(BUILD)/.deps-ok
	@mkdir -p $(@D)
	@echo "  NASM32  $<"
	$(Q)$(NASM) -f elf32 -g -Itests/guests/common/ -MD $(@:.o=.d) -MP $< -o $@

$(PVTEST32): $(PVTEST32_OBJS) $(PVTEST32_DIR)/pvtest32.ld
	@mkdir -p $(@D)
	@echo "  LD      $@"
	$(Q)$(LD) -m elf_i386 -nostdlib -static -z max-page-size=0x1000 -z noexecstack \
	    --no-warn-rwx-segments -T $(PVTEST32_DIR)/pvtest32.ld -o $@ $(PVTEST32_OBJS)

guests: $(PVTEST32)

-include $(PVTEST32_OBJS:.o=.d)
