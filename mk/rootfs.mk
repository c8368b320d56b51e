# The Debian 12 machine pvshim boots from disk (scripts/mkrootfs.sh) and
# the long tests that use it (tests/disk/).
#
#   make rootfs      build or reuse the image (cached in cache/rootfs/ by the
#                    hash of its inputs) and copy it to $(ROOTFS_IMAGE), anew
#                    only when the cached image changed; then
#                    make run DISK=$(ROOTFS_IMAGE)
#   make test-disk   the disk tests: a second boot, a killed VM, PV-GRUB,
#                    a read-only second disk (T=regex as for make test)

ROOTFS_IMAGE ?= $(BUILD)/rootfs.raw

.PHONY: rootfs test-disk

rootfs: | $(BUILD)/.deps-ok
	$(Q)dir=$$(scripts/mkrootfs.sh) || exit 1; \
	if [ ! -f $(ROOTFS_IMAGE) ] || [ "$$(cat $(ROOTFS_IMAGE).from 2> /dev/null)" != "$$dir" ]; then \
	    cp --sparse=always "$$dir/disk.raw" $(ROOTFS_IMAGE) && echo "$$dir" > $(ROOTFS_IMAGE).from; \
	fi; \
	echo "rootfs: $(ROOTFS_IMAGE) (root password pvshim): make run DISK=$(ROOTFS_IMAGE)"

test-disk: all
	TESTS_DIR=tests/disk LOGDIR=$(BUILD)/test-logs-disk tests/run-tests.sh '$(value T)'
