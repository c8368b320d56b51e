# Guest image loader: a host tool that runs the parser on real kernels.
#
#   make guest-image-info          build build/guest-image-info
#   make check-guest-images        run it on every kernel in cache/guests/ (if any)

# The parser only: the domain builder (pv_build.c) needs pvshim's frame pool.
GUEST_IMAGE_INFO_SRC  := $(filter-out shim/loader/pv_build.c, \
                           $(filter shim/loader/% shim/decompress/% shim/lib/format.c \
                           shim/lib/strings.c shim/lib/error.c, $(PORTABLE_C))) \
                         tests/tools/guest_image_info.c
GUEST_IMAGE_INFO_OBJS := $(patsubst %.c,$(BUILD)/h/%.o,$(GUEST_IMAGE_INFO_SRC))

$(BUILD)/guest-image-info: $(GUEST_IMAGE_INFO_OBJS)
	@echo "  HOSTLD  $@"
	$(Q)$(HOSTCC) $(HOST_CFLAGS) -o $@ $^

.PHONY: guest-image-info check-guest-images
guest-image-info: $(BUILD)/guest-image-info

check-guest-images: $(BUILD)/guest-image-info
	@kernels=$$(find cache/guests -type f \( -name 'vmlinu[xz]*' -o -name '*.elf' \) \
	            2>/dev/null | sort); \
	if [ -z "$$kernels" ]; then echo "no kernels in cache/guests/"; exit 0; fi; \
	$(BUILD)/guest-image-info $$kernels
