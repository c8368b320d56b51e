# pvshim-inventory --kernel (issue 16) on real kernels, and its verdict
# against pvshim's own at boot: what it refuses, pvshim refuses with the
# same words. (The inventory of a running Xen host's domains is checked by
# make test-l0's inventory test, tests/l0/; its logic by the unit tests.)

. tests/integration/linux-guest.sh

# inv_kernel FILE [--json]: INV_OUT (stdout and stderr) and INV_STATUS.
inv_kernel() {
    INV_STATUS=0
    INV_OUT=$("$BUILD/pvshim-inventory" --kernel "$@" 2>&1) || INV_STATUS=$?
}

# Debian 12's Xen-capable kernels (three packings: lz4, xz, zstd bzImages)
# and our test kernel: pvshim runs them, and they declare what they are.
test_inventory_real_kernels() {
    local log k v
    log=$(scratch fetch.log)
    scripts/fetch-guests.sh > "$log" 2>&1 || { fail "could not fetch Debian's kernels"; return 1; }
    for v in 6.1-cloud:lz4 6.1-generic:xz 6.12-cloud:zstd; do
        k=$(linux_guest_kernel "${v%:*}") || continue
        inv_kernel "$k"
        [ "$INV_STATUS" = 0 ] || fail "$k: status $INV_STATUS: $INV_OUT"
        case $INV_OUT in
        "$k: bzImage+${v#*:}, 64-bit, linux 2.6, xen-3.0, loader generic, "*"; requires writable_page_tables, "*"; pvshim runs it") ;;
        *) fail "$k: $INV_OUT" ;;
        esac
        inv_kernel "$k" --json
        case $INV_OUT in
        '{"pvshim":"kernel","kernel":"'"$k"'",'*'"verdict":"runs","image":{"container":"bzImage+'"${v#*:}"'","elf_class":64,"guest_os":"linux",'*'"features_required":["writable_page_tables"],'*'}') ;;
        *) fail "$k --json: $INV_OUT" ;;
        esac
    done
    inv_kernel "$BUILD/guests/pvtest64"
    case $INV_OUT in
    *": ELF, 64-bit, pvtest64 1, xen-3.0, loader generic, "*"; pvshim runs it") ;;
    *) fail "pvtest64: status $INV_STATUS: $INV_OUT" ;;
    esac
}

# A kernel the inventory refuses (pvshim's own PVH image, which has no Xen
# PV notes): status 3, and booted as the guest, pvshim stops with the
# bad-input status and the same reason.
test_inventory_refusal_is_the_shims() {
    local reason
    inv_kernel "$BUILD/pvshim-pvh"
    [ "$INV_STATUS" = 3 ] || fail "status $INV_STATUS for a PVH-only image: $INV_OUT"
    reason=${INV_OUT#*; pvshim refuses it: }
    [ "$reason" != "$INV_OUT" ] && [ -n "$reason" ] || { fail "no reason in: $INV_OUT"; return 1; }
    boot --initrd "$BUILD/pvshim-pvh"
    expect_status 7
    expect_log "bad input: guest kernel: $reason"
}
