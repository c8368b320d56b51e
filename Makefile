# pvshim: one entry point for building, running and testing.
#
#   make            build build/pvshim (Multiboot1 + PVH) and build/pvshim-pvh (PVH only)
#   make run        boot the default PV guest through pvshim under QEMU
#   make test       every test: unit (Check) and integration (QEMU)
#   make test-sizes slower runs at 16 GiB and memory maps with many holes (tests/sizes/)
#   make deps       install the Debian packages the project needs (as root)
#   make install    install under PREFIX (default /usr/local); make deb: the Debian package

BUILD      ?= build
CC         ?= gcc
HOSTCC     ?= gcc
NASM       ?= nasm
LD         ?= ld
XEN_INCLUDE ?= /usr/include/xen

# V=1 shows full commands.
Q          := $(if $(V),,@)
SYSINC     := $(BUILD)/sysinc
GEN        := $(BUILD)/gen

# ---------------------------------------------------------------- kernel
KERNEL_DIRS := shim pvops-compat xen/local xen/l0
# asm_offsets.c is compiled to assembly only: the C layouts NASM reads.
ASM_OFFSETS_C := shim/arch/x86/asm_offsets.c
KERNEL_C    := $(sort $(filter-out $(ASM_OFFSETS_C), \
                 $(shell find $(KERNEL_DIRS) -name '*.c' 2>/dev/null)))
KERNEL_ASM  := $(sort $(filter-out %/multiboot_header.asm, \
                 $(shell find shim -name '*.asm' 2>/dev/null)))
MB_ASM      := shim/arch/x86/boot/multiboot_header.asm

# Portable sources: everything but the hardware layer (shim/arch), the
# kernel-only glue (shim/kernel, main.c), the device drivers (shim/virtio)
# and the kernel's libc.
# They are also built for the host, into the unit tests and fuzzers.
PORTABLE_C  := $(filter-out shim/arch/% shim/kernel/% shim/virtio/% shim/main.c shim/lib/libc.c, $(KERNEL_C))

# Nothing computed while make reads this file may depend on a package the
# project installs: such values (GCC_INCLUDE, CHECK_LIBS) come from a fragment
# that scripts/configure.sh writes after scripts/install-deps.sh has run. Make
# remakes the fragment first and then reads everything again. One fragment per
# compiler, so CC=clang does not reuse gcc's answers.
CONFIG_MK := $(BUILD)/config-$(notdir $(CC)).mk
NO_CONFIG_GOALS := clean deps test-fresh
ifneq ($(filter-out $(NO_CONFIG_GOALS),$(or $(MAKECMDGOALS),all)),)
include $(CONFIG_MK)
endif

COMMON_DEFS := -D__XEN_INTERFACE_VERSION__=0x00040e00
KCFLAGS := -std=gnu11 -O2 -g -Wall -Wextra -Werror -Wno-unused-parameter \
           -ffreestanding -nostdinc -isystem $(GCC_INCLUDE) \
           -Iinclude -Ipvops-compat -Ixen/local -I$(SYSINC) $(COMMON_DEFS) \
           -mno-red-zone -mgeneral-regs-only -mcmodel=small \
           -fpie -fvisibility=hidden -fno-plt -fno-stack-protector \
           -fno-omit-frame-pointer -fno-asynchronous-unwind-tables \
           -fno-tree-loop-distribute-patterns -fno-strict-aliasing -MMD -MP
NASMFLAGS := -f elf64 -g -I$(GEN)/ -Ishim/arch/x86/
LDFLAGS_K := -nostdlib -static -z max-page-size=0x1000 -z noexecstack \
             --no-warn-rwx-segments -T shim/arch/x86/pvshim.ld

KOBJ_C   := $(patsubst %.c,$(BUILD)/k/%.o,$(KERNEL_C))
KOBJ_ASM := $(patsubst %.asm,$(BUILD)/k/%.o,$(KERNEL_ASM))
KOBJS    := $(KOBJ_C) $(KOBJ_ASM)
MB_OBJ   := $(BUILD)/k/$(MB_ASM:.asm=.o)

.PHONY: all run test test-fresh test-sizes unit integration deps clean guests
all: $(BUILD)/pvshim $(BUILD)/pvshim-pvh guests

# The first thing every entry point does: make sure the tools are installed.
# (The stamp keeps this to one dpkg query per build directory.)
# Package builds (debian/rules) set DEPS_CHECK=true: their build
# dependencies are declared, never installed from inside the build.
DEPS_CHECK ?= scripts/install-deps.sh
$(BUILD)/.deps-ok: scripts/install-deps.sh
	$(Q)$(DEPS_CHECK)
	@mkdir -p $(BUILD)
	@touch $@

$(CONFIG_MK): scripts/configure.sh $(BUILD)/.deps-ok
	@mkdir -p $(@D)
	$(Q)scripts/configure.sh $(CC) > $@.tmp && mv $@.tmp $@

$(SYSINC)/xen: | $(BUILD)/.deps-ok
	@mkdir -p $(SYSINC)
	@test -d $(XEN_INCLUDE) || { echo "missing $(XEN_INCLUDE): run 'make deps' (libxen-dev)"; exit 1; }
	ln -sfn $(XEN_INCLUDE) $@

$(GEN)/layout.inc: include/pvshim/layout.h | $(BUILD)/.deps-ok
	@mkdir -p $(@D)
	sed -n 's/^#define \([A-Z0-9_]*\)[ \t]*\([0-9a-fx]*\).*/%define \1 \2/p' $< > $@

$(GEN)/asm_offsets.inc: $(ASM_OFFSETS_C) | $(SYSINC)/xen
	@mkdir -p $(@D)
	$(Q)$(CC) $(KCFLAGS) -MF $(GEN)/asm_offsets.d -MT $@ -S $< -o $(GEN)/asm_offsets.s
	$(Q)sed -n 's/.*->\([A-Z0-9_]*\) \([0-9]*\).*/%define \1 \2/p' $(GEN)/asm_offsets.s > $@.tmp
	$(Q)mv $@.tmp $@
-include $(GEN)/asm_offsets.d

$(BUILD)/k/%.o: %.c | $(SYSINC)/xen
	@mkdir -p $(@D)
	@echo "  CC      $<"
	$(Q)$(CC) $(KCFLAGS) -c $< -o $@

$(BUILD)/k/%.o: %.asm $(GEN)/layout.inc $(GEN)/asm_offsets.inc
	@mkdir -p $(@D)
	@echo "  NASM    $<"
	$(Q)$(NASM) $(NASMFLAGS) -MD $(@:.o=.d) -MP $< -o $@

$(BUILD)/pvshim: $(KOBJS) $(MB_OBJ) shim/arch/x86/pvshim.ld scripts/check-image-layout.sh
	@echo "  LD      $@"
	$(Q)$(LD) $(LDFLAGS_K) -o $@ $(MB_OBJ) $(KOBJS)
	$(Q)scripts/check-image-layout.sh $@

$(BUILD)/pvshim-pvh: $(KOBJS) shim/arch/x86/pvshim.ld
	@echo "  LD      $@"
	$(Q)$(LD) $(LDFLAGS_K) -o $@ $(KOBJS)

# ---------------------------------------------------------------- host tests
HOST_DEFS   := -DPVSHIM_HOSTED $(COMMON_DEFS)
HOST_CFLAGS := -std=gnu11 -O1 -g -Wall -Wextra -Werror -Wno-unused-parameter \
               -Iinclude -Ipvops-compat -Ixen/local -I$(SYSINC) -Itests/unit $(HOST_DEFS) \
               -fsanitize=address,undefined -fno-omit-frame-pointer -MMD -MP
UNIT_C      := $(sort $(wildcard tests/unit/*.c))
HOBJS       := $(patsubst %.c,$(BUILD)/h/%.o,$(PORTABLE_C) $(UNIT_C))

$(BUILD)/h/%.o: %.c | $(SYSINC)/xen
	@mkdir -p $(@D)
	@echo "  HOSTCC  $<"
	$(Q)$(HOSTCC) $(HOST_CFLAGS) -c $< -o $@

$(BUILD)/unit-tests: $(HOBJS)
	@echo "  HOSTLD  $@"
	$(Q)$(HOSTCC) $(HOST_CFLAGS) -o $@ $(HOBJS) $(CHECK_LIBS)

# ---------------------------------------------------------------- fragments
# Each area may add its own rules in mk/*.mk (fixtures, test guests, ...).
include tests/guests/guests.mk
-include $(sort $(wildcard mk/*.mk))

# ---------------------------------------------------------------- entry points
unit: $(BUILD)/unit-tests
	$(BUILD)/unit-tests

test: all $(BUILD)/unit-tests
	tests/run-tests.sh '$(value T)'

# The slower runs at other VM sizes and memory layouts (tests/sizes/), then
# a table of each boot's memory and trace=boot times.
test-sizes: all
	TESTS_DIR=tests/sizes LOGDIR=$(BUILD)/test-logs-sizes tests/run-tests.sh '$(value T)'; \
	status=$$?; LOGDIR=$(BUILD)/test-logs-sizes tests/sizes/report.sh; exit $$status

run: all
	scripts/run.sh

# The README's promise on a brand-new minimal Debian 12 root (as root).
test-fresh:
	scripts/fresh-machine-test.sh

deps:
	scripts/install-deps.sh
	@mkdir -p $(BUILD) && touch $(BUILD)/.deps-ok

clean:
	rm -rf $(BUILD)

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
