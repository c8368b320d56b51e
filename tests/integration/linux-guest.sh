# Helpers for tests that boot Debian's Linux kernels (natively, or as PV
# guests through pvshim) with the test initramfs, and judge them by the
# markers its /init prints (tests/guest-userspace/init). Source it from a
# test file after lib.sh:  . tests/integration/linux-guest.sh
#
#   linux_guest_prepare || return 1   fetch kernels + busybox, build initramfs;
#                                     sets LINUX_INITRD
#   k=$(linux_guest_kernel 6.1-cloud) the kernel's path, or a failure
#   expect_guest_tests_passed         every test's PASS marker, none failed

: "${GUEST_CACHE:=cache/guests}"
LINUX_INITRD=$BUILD/debian/initramfs.cpio.gz

# The tests /init runs in full mode, in its order.
LINUX_GUEST_TESTS="forkexec mmap pipes signals threads timing proc sys dmesg"

# QEMU 7.2's TCG gets RFLAGS wrong around cmpxchg16b in some contexts:
# Debian's 6.12 kernels (whose SLUB fast path uses it) crash within a second
# of boot with garbage in EFLAGS. Hiding CX16 from the guest avoids it.
LINUX_6_12_QEMU_CPU="-cpu max,cx16=off"

linux_guest_prepare() {
    local log
    log=$(scratch prepare.log)
    if ! scripts/fetch-guests.sh > "$log" 2>&1; then
        fail "could not fetch Debian guest kernels (is deb.debian.org reachable?):" \
            "$(grep -E 'error|E:' "$log" | tail -n 2 | tr '\n' ' ')"
        return 1
    fi
    # Only the PV disk tests need these (xen-blkfront is a module in Debian's
    # kernels): without them those tests fail on their own, the rest run
    # (prepare.log says why).
    scripts/fetch-guest-modules.sh >> "$log" 2>&1 || true
    if ! scripts/mkinitramfs.sh "$LINUX_INITRD" >> "$log" 2>&1; then
        fail "could not build the test initramfs: $(tail -n 3 "$log" | tr '\n' ' ')"
        return 1
    fi
}

linux_guest_kernel() {
    local k=$GUEST_CACHE/vmlinuz-$1
    if [ ! -s "$k" ]; then
        fail "no $k after fetching (see $GUEST_CACHE/VERSIONS)"
        return 1
    fi
    echo "$k"
}

# The console log must show userspace, a PASS marker for every test, no
# FAIL marker, and the final count with nothing failed.
expect_guest_tests_passed() {
    local t n
    expect_log "PVSHIM-TEST: userspace up"
    for t in $LINUX_GUEST_TESTS; do
        expect_log "PVSHIM-TEST: PASS $t"
    done
    grep -E 'PVSHIM-TEST: FAIL ' "$LOG" | sed 's/^\[[ 0-9.]*\] //' | sort -u |
        while read -r line; do fail "guest: $line"; done
    n=$(echo $LINUX_GUEST_TESTS | wc -w)
    expect_log "PVSHIM-TEST: done $n passed 0 failed"
}
