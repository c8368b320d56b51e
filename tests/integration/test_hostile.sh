# pvhostile64 (tests/guests/pvhostile64): a PV guest that throws seeded
# random hypercalls, page-table writes, forged iret frames and broken trap
# handlers at pvshim, then checks that pvshim still answers exactly as it
# did at the start. make test runs a fixed seed and a small count; make fuzz
# runs at least a million operations for several seeds.

# Runs pvhostile64 (run.sh ARGS, the log in $LOG; --guest pvhostile32 for
# the 32-bit one) and fails on its status and on each FAIL line; returns 1
# only when the guest is not built.
hostile_run() {
    local guest=pvhostile64
    [ "${1:-}" = --guest ] && guest=$2
    [ -f "$BUILD/guests/$guest" ] || { fail "no $BUILD/guests/$guest (make guests)"; return 1; }
    local out
    out=$(scratch run.out)
    tests/guests/pvhostile64/run.sh "$@" --log "$LOG" > "$out" 2>&1 ||
        fail "$(tr '\n' ' ' < "$out")"
    grep -a '^FAIL ' "$LOG" | while read -r line; do fail "$line"; done
}

test_hostile_guest() {
    hostile_run --seed 7 --ops 20000 --timeout 120 || return 1
    expect_log "pvhostile64: 20000 operations, pvshim healthy"
    expect_log_re "linear page-table entries made [1-9]"
    expect_no_log "internal error"
    expect_log "guest shut down: poweroff"
}

# pvhostile64 with a disk (blk=1): its own frontend for xvda posts garbage
# (bad grant refs, segments past the page, last_sect < first_sect, sectors
# past the end, grants of its page tables and of frames not its own,
# indirect pages naming page tables, and finally a producer index a ring
# ahead). Each bad request is answered with an error, the good ones in
# between still work, the ring ends with a log line, and the image changes
# only where the one good write went (sectors 64-71).
test_hostile_blkfront() {
    [ -f "$BUILD/guests/pvhostile64" ] || { fail "no $BUILD/guests/pvhostile64 (make guests)"; return 1; }
    local disk orig
    disk=$(scratch disk.raw)
    orig=$(scratch disk.orig)
    rm -f "$disk"
    printf 'PVHOSTILE-DISK' > "$disk"
    truncate -s 4M "$disk"
    head -c 4194304 /dev/urandom | dd of="$disk" bs=512 seek=1 count=8000 conv=notrunc 2> /dev/null
    cp "$disk" "$orig"
    hostile_run --seed 7 --ops 2000 --disk "$disk" --timeout 240
    expect_log_re "pvhostile64: blk: [0-9]+ bad requests refused, 3 good ones answered"
    expect_log_re "xvda: request 0x[0-9a-f]+: grant [0-9]+ refused"
    expect_log "xvda: frontend's request producer"
    expect_log "pvhostile64: 2000 operations, pvshim healthy"
    expect_no_log "internal error"
    cmp -s <(head -c 32768 "$disk") <(head -c 32768 "$orig") ||
        fail "the image changed before sector 64"
    cmp -s <(tail -c +36865 "$disk") <(tail -c +36865 "$orig") ||
        fail "the image changed after sector 71"
    [ "$(dd if="$disk" bs=512 skip=64 count=1 2> /dev/null | head -c 15)" = PVHOSTILE-WRITE ] ||
        fail "the good write did not reach sector 64"
}

# pvhostile64 with a NIC (net=1, QEMU user-mode networking with
# restrict=on): its own frontend for vif 0 posts garbage tx requests (bad
# grant refs, grants of its L4 and of frames not its own, offset + size past
# the page, size 0, short and oversized packets, more slots than the limit,
# unknown extra-info and GSO kinds) and rx requests with bad or read-only
# grants, with good ARP requests to the gateway in between; then a tx
# producer a ring ahead. Each bad request is answered with an error (its
# rx frame dropped), the good ones still work, the rings end with a log line.
test_hostile_netfront() {
    hostile_run --seed 7 --ops 2000 --net --timeout 240 || return 1
    expect_log "pvhostile64: net: 20 bad requests refused, 9 good ones answered"
    expect_log_re "vif0: tx grant [0-9]+ refused"
    expect_log_re "vif0: rx grant [0-9]+ refused"
    expect_log "vif0: tx request 10 refused: more data slots than XEN_NETIF_NR_SLOTS_MIN"
    expect_log "vif0: frontend's tx request producer"
    expect_log "pvhostile64: 2000 operations, pvshim healthy"
    expect_no_log "internal error"
}

# pvhostile64 on 4 vCPUs at once (MTTCG): vCPU 0 attacks as above while the
# other three race it and each other on one pool of frames and one run of
# L1 entries (pins and unpins at every level, mmu_update, update_va_mapping,
# ptwr stores, writes through their own mappings, MMUEXT shootdowns), then
# serve stale-mapping probes (a racer's cached writable translation of a
# frame vCPU 0 turns into an L1 must be flushed: its next write faults).
# Afterwards no writable entry names a table of the pool, no write through a
# stale mapping sits in a live table, every pool frame is plain memory once
# its pins and mappings are gone, and pvshim answers as at the start.
test_hostile_smp() {
    hostile_run --seed 11 --ops 400 --smp 4 --timeout 900 || return 1
    expect_log_re "pvhostile64: seed 11, 400 operations, 4 vCPUs"
    expect_log_re "pvhostile64: 4 vCPUs raced [0-9]+ pool operations \([1-9][0-9]* [1-9][0-9]* [1-9][0-9]* [1-9][0-9]*\), 12 stale-mapping probes"
    expect_log "pvhostile64: 400 operations, pvshim healthy"
    expect_no_log "internal error"
    expect_log "guest shut down: poweroff"
}

# pvhostile32 (tests/guests/pvhostile32): the same kind of attack on the
# compat seam of a 32-bit PAE guest: int $0x82 with any number and 32-bit
# arguments, mmu_update and mmuext on PAE tables, PTEs written in halves
# through ptwr, bad 32-bit descriptors and GDT frame lists, 32-byte
# multicall entries, grant, vcpu, event and memory operations in their
# 32-bit layouts, callbacks, trap tables and forged HYPERVISOR_iret frames
# (VM86 ones among them); then pvshim answers as at the start.
test_hostile32_guest() {
    hostile_run --guest pvhostile32 --seed 7 --ops 20000 --timeout 240 || return 1
    expect_log_re "pvhostile32: seed 7, 20000 operations"
    expect_log_re "forged HYPERVISOR_iret: [1-9][0-9]*"
    expect_log_re "PTE halves stored through ptwr: [1-9][0-9]*"
    expect_log "pvhostile32: 20000 operations, pvshim healthy"
    expect_no_log "internal error"
    expect_log "guest shut down: poweroff"
}

# pvhostile32 on 2 vCPUs (MTTCG): vCPU 0 attacks as above while vCPU 1,
# brought up from a 32-bit context, races it on one pool of frames (pins
# at each PAE level, 8-byte entries by mmu_update, update_va_mapping and
# ptwr halves, writes through its mappings, shootdowns by 32-bit vCPU
# bitmap). Afterwards no writable entry names a table, every pool frame is
# plain memory once its pins and mappings are gone, and pvshim answers as
# at the start.
test_hostile32_smp() {
    hostile_run --guest pvhostile32 --seed 11 --ops 300 --smp 2 --timeout 300 || return 1
    expect_log "pvhostile32: 2 vCPUs"
    expect_log_re "pvhostile32: 2 vCPUs raced [0-9]+ pool operations \([1-9][0-9]* [1-9][0-9]*\)"
    expect_log "pvhostile32: 300 operations, pvshim healthy"
    expect_no_log "internal error"
    expect_log "guest shut down: poweroff"
}
