# Real Linux guests from Debian's archive, and the busybox test initramfs
# they boot with (scripts/fetch-guests.sh, scripts/mkinitramfs.sh).
#
#   make guests-debian           fetch what is missing, build the initramfs
#   make guests-debian-refresh   re-resolve the kernels and fetch them again
#
# Downloads land in cache/guests/ (kept across `make clean`, never
# committed); the initramfs in $(BUILD)/debian/.

GUEST_CACHE      ?= cache/guests
DEBIAN_INITRAMFS := $(BUILD)/debian/initramfs.cpio.gz

.PHONY: guests-debian guests-debian-fetch guests-debian-refresh

guests-debian: guests-debian-fetch $(DEBIAN_INITRAMFS)

# The script itself knows what is missing, and is quick when nothing is.
guests-debian-fetch: | $(BUILD)/.deps-ok
	$(Q)scripts/fetch-guests.sh

guests-debian-refresh: | $(BUILD)/.deps-ok
	$(Q)scripts/fetch-guests.sh --refresh

$(DEBIAN_INITRAMFS): guests-debian-fetch scripts/mkinitramfs.sh \
                     $(wildcard tests/guest-userspace/*) | $(BUILD)/.deps-ok
	$(Q)scripts/mkinitramfs.sh $@
