# Installing pvshim, and its Debian package.
#
#   make install        images, the host tools, man pages and docs under
#                       $(DESTDIR)$(PREFIX) (default PREFIX=/usr/local)
#   make deb            the Debian package, built with debhelper
#                       (dpkg-buildpackage -b -us -uc) in a copy of the tree
#                       under $(BUILD)/deb/; the .deb lands in $(BUILD)/deb/
#   make deb-check      make deb, then check the package: its file list, the
#                       tool it ships, and lintian (no errors allowed)
#
# The host tool is built with the distribution's CPPFLAGS/CFLAGS/LDFLAGS
# (dpkg-buildflags under debhelper), without the test sanitizers.

PREFIX      ?= /usr/local
BINDIR      ?= $(PREFIX)/bin
LIBDIR      ?= $(PREFIX)/lib
MANDIR      ?= $(PREFIX)/share/man
DOCDIR      ?= $(PREFIX)/share/doc/pvshim
INSTALL     ?= install
CFLAGS      ?= -O2 -g
PVSHIM_LIBDIR := $(LIBDIR)/pvshim

# ---------------------------------------------------------------- the bundle tool
BUNDLE_TOOL_SRC := xen/tools/pvshim-bundle.c shim/boot/bundle.c shim/lib/error.c \
                   shim/lib/format.c shim/lib/strings.c
TOOL_CFLAGS := -std=gnu11 -Wall -Wextra -Wno-unused-parameter -Iinclude -I$(SYSINC) \
               -DPVSHIM_HOSTED -DPVSHIM_BUNDLE_TOOL $(COMMON_DEFS)

$(BUILD)/pvshim-bundle: $(BUNDLE_TOOL_SRC) include/pvshim/bundle.h | $(SYSINC)/xen
	@echo "  HOSTCC  $@"
	$(Q)$(HOSTCC) $(TOOL_CFLAGS) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $(BUNDLE_TOOL_SRC)

XL_CONVERT_SRC := xen/tools/pvshim-xl-convert.c xen/tools/xlcfg.c xen/tools/read_all.c

$(BUILD)/pvshim-xl-convert: $(XL_CONVERT_SRC) xen/tools/xlcfg.h xen/tools/read_all.h
	@echo "  HOSTCC  $@"
	$(Q)$(HOSTCC) $(TOOL_CFLAGS) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $(XL_CONVERT_SRC)

ABI_REPORT_SRC := xen/tools/pvshim-abi-report.c xen/tools/abitrace.c xen/tools/jsonparse.c \
                  xen/tools/read_all.c

$(BUILD)/pvshim-abi-report: $(ABI_REPORT_SRC) xen/tools/abitrace.h xen/tools/jsonparse.h \
                           xen/tools/read_all.h
	@echo "  HOSTCC  $@"
	$(Q)$(HOSTCC) $(TOOL_CFLAGS) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $(ABI_REPORT_SRC)

# The inventory judges kernels with the shim's own image parser (shim/loader,
# shim/decompress, the bundle reader), built for the host as the unit tests
# build it; only inventory_xen.c talks to libxenctrl and libxenstore.
INVENTORY_SRC := xen/tools/pvshim-inventory.c xen/tools/inventory.c \
                 xen/tools/inventory_format.c xen/tools/inventory_xen.c \
                 xen/tools/jsonparse.c xen/tools/read_all.c \
                 $(filter-out shim/loader/pv_build.c shim/loader/pv_layout.c, \
                              $(wildcard shim/loader/*.c)) \
                 $(wildcard shim/decompress/*.c) shim/boot/bundle.c shim/lib/error.c \
                 shim/lib/format.c shim/lib/strings.c
INVENTORY_HDR := xen/tools/inventory.h xen/tools/inventory_host.h xen/tools/inventory_xen.h xen/tools/jsonparse.h \
                 xen/tools/read_all.h include/pvshim/guest_image.h include/pvshim/pv_features.h \
                 $(wildcard shim/loader/*.h shim/decompress/*.h)

$(BUILD)/pvshim-inventory: $(INVENTORY_SRC) $(INVENTORY_HDR) | $(SYSINC)/xen
	@echo "  HOSTCC  $@"
	$(Q)$(HOSTCC) $(TOOL_CFLAGS) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $(INVENTORY_SRC) \
	    $$(pkg-config --libs xencontrol xenstore)

# The parsers, the converter, the report and the inventory (less its
# libxenctrl layer, which the tests fake) are unit-tested too.
TOOL_HOBJS := $(BUILD)/h/xen/tools/xlcfg.o $(BUILD)/h/xen/tools/abitrace.o \
              $(BUILD)/h/xen/tools/jsonparse.o $(BUILD)/h/xen/tools/inventory.o \
              $(BUILD)/h/xen/tools/inventory_format.o
HOBJS += $(TOOL_HOBJS)
$(BUILD)/unit-tests: $(TOOL_HOBJS)

.PHONY: tools install deb deb-check
TOOLS := $(BUILD)/pvshim-bundle $(BUILD)/pvshim-xl-convert $(BUILD)/pvshim-abi-report \
         $(BUILD)/pvshim-inventory $(BUILD)/pvshim-save-info
tools: $(TOOLS)
all: tools

# ---------------------------------------------------------------- install
INSTALL_DOCS := README.md DEPRECATION.md

install: $(BUILD)/pvshim $(BUILD)/pvshim-pvh $(TOOLS)
	$(INSTALL) -d $(DESTDIR)$(PVSHIM_LIBDIR) $(DESTDIR)$(BINDIR) \
	    $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man7 $(DESTDIR)$(DOCDIR)
	$(INSTALL) -m 0644 $(BUILD)/pvshim $(BUILD)/pvshim-pvh $(DESTDIR)$(PVSHIM_LIBDIR)/
	$(INSTALL) -m 0755 $(TOOLS) $(DESTDIR)$(BINDIR)/
	$(INSTALL) -m 0644 doc/pvshim.7 $(DESTDIR)$(MANDIR)/man7/
	$(INSTALL) -m 0644 doc/pvshim-bundle.1 doc/pvshim-xl-convert.1 doc/pvshim-abi-report.1 \
	    doc/pvshim-inventory.1 doc/pvshim-save-info.1 $(DESTDIR)$(MANDIR)/man1/
	$(INSTALL) -m 0644 $(INSTALL_DOCS) $(DESTDIR)$(DOCDIR)/

# ---------------------------------------------------------------- Debian package
DEB_DIR     := $(BUILD)/deb
DEB_VERSION  = $(shell dpkg-parsechangelog -l debian/changelog -S Version 2>/dev/null)
DEB_SRC      = $(DEB_DIR)/pvshim-$(DEB_VERSION)
DEB_FILE     = $(DEB_DIR)/pvshim_$(DEB_VERSION)_amd64.deb

# The tools only this path needs; scripts/install-deps.sh --deb installs them.
$(BUILD)/.deb-deps-ok: scripts/install-deps.sh | $(BUILD)/.deps-ok
	$(Q)scripts/install-deps.sh --deb
	@touch $@

# The copy: the working tree as it is (tracked or not), less build output,
# the download cache and git's own directory.
deb: $(BUILD)/.deb-deps-ok
	$(Q)rm -rf $(DEB_DIR) && mkdir -p $(DEB_SRC)
	$(Q)tar -cf - --exclude=./$(BUILD) --exclude=./build --exclude=./cache \
	    --exclude=./.git --exclude=./.ci . | tar -xf - -C $(DEB_SRC)
	cd $(DEB_SRC) && dpkg-buildpackage -b -us -uc
	@ls -l $(DEB_DIR)/*.deb

deb-check: deb
	tests/tools/check-deb.sh $(DEB_FILE)
