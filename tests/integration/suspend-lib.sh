# Suspending a guest out of pvshim, for the tests of both directions
# (tests/integration/test_suspend.sh, tests/migrate/test_pvshim_to_xen.sh).
# Source it after lib.sh.

. tests/integration/console-session.sh

SUSPEND_GUEST="$BUILD/guests/pvtest64 pvtest64-migrate"

# suspend_session QEMU_ARGS...: pvtest64-migrate under pvshim, asked to save part-way.
suspend_session() {
    session_start --mem "${SUSPEND_MEM:-64}" --timeout 900 --initrd "$SUSPEND_GUEST" "$@"
    session_expect "MIGRATE: step 3 " 600 || return 1
    session_send $'\x1d'save
}

# The size pvshim says it wrote.
written_bytes() {
    sed -n 's/.*save: wrote \([0-9]*\) bytes.*/\1/p' "$LOG" | tail -n 1
}

# suspend_to_file MEM_MIB FILE: pvtest64-migrate in a VM of MEM_MIB, saved
# part-way by the host's ^]save onto its save disk, the file cut to the size
# pvshim printed and checked by pvshim-save-info.
suspend_to_file() {
    local disk n
    disk=$(scratch save.img)
    truncate -s "$(($1 + 16))M" "$disk"
    SUSPEND_MEM=$1 suspend_session -append savedisk=0 \
        -drive "file=$disk,if=none,id=s0,format=raw" -device virtio-blk-pci,drive=s0 || return 1
    session_expect "guest shut down: suspend" 600 || return 1
    session_wait 120 || return 1
    expect_status 0 || return 1
    expect_log "host command: 'save' done"
    expect_log_re "save: wrote [0-9]+ bytes \([0-9]+ pages\) to "
    expect_no_log "MIGRATE: suspend returned"
    n=$(written_bytes)
    [ -n "$n" ] || { fail "no size in the save line"; return 1; }
    head -c "$n" "$disk" > "$2"
    rm -f "$disk"
    "$BUILD/pvshim-save-info" "$2" > "$2.info" 2>&1 ||
        { fail "pvshim-save-info refuses the file pvshim wrote: $(tail -n 2 "$2.info")"; return 1; }
}
