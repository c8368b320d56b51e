# Restoring `xl save` files (shim/restore/, include/pvshim/save_stream.h).
#
#   build/pvshim-save-info FILE   check a save file with pvshim's parser
#                                 (a host tool for the runbook; make install
#                                 installs it, mk/install.mk)
#   tests/migrate/mksave.sh       make real save files with Debian's Xen 4.17
#                                 (minutes, under QEMU TCG; not in make test)
#   make test-migrate             Debian 6.1 saved by Xen 4.17 resumes in pvshim
#                                 and finishes its workload (slow: minutes)

SAVE_INFO_SRC := xen/tools/pvshim-save-info.c xen/tools/read_all.c shim/restore/save_stream.c \
                 shim/lib/error.c shim/lib/format.c shim/lib/strings.c

$(BUILD)/pvshim-save-info: $(SAVE_INFO_SRC) include/pvshim/save_stream.h | $(SYSINC)/xen
	@echo "  HOSTCC  $@"
	$(Q)$(HOSTCC) $(TOOL_CFLAGS) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $(SAVE_INFO_SRC)

all: $(BUILD)/pvshim-save-info

.PHONY: test-migrate
test-migrate: all
	TESTS_DIR=tests/migrate LOGDIR=$(BUILD)/test-logs-migrate tests/run-tests.sh '$(value T)'
