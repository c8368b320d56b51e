# make test-sizes: the slower runs at other VM sizes and memory layouts
# (make test covers 256 MiB, 1 GiB and 4 GiB). Run by tests/run-tests.sh
# with TESTS_DIR=tests/sizes; tests/sizes/report.sh then prints the memory
# map, pvshim's share and the trace=boot phases of each boot.
#
# Where the layouts come from (QEMU 7.2, x86):
#   -M pc, -m 4G and up: 3 GiB below the PCI hole, the rest from 4 GiB
#   -M pc,max-ram-below-4g=N: a hole from N to 4 GiB, the rest above
#   -M q35: 2 GiB below 4 GiB, then reserved ranges (MMCONFIG at 2.75 GiB,
#     the chipset's RCRB at 0xfed1c000) between RAM ranges
#   every map: a reserved range just below the end of low RAM, 640K-1M
#     reserved or hole, the firmware below 4 GiB, and 1 TiB - 12 GiB
#     reserved (AMD HyperTransport)
#   build/pvshim-pvh: the same map through PVH's hvm_start_info memmap
#     (one module only: pvtest64 gets its arguments after pvshim's "--")
#   pvshim's mem=: RAM at and above the limit ignored
# -numa with memory backends and pc-dimm devices do not change the E820
# map (DIMMs are announced through ACPI only); one NUMA layout is kept to
# show that.
. tests/integration/test_pvtest64.sh
. tests/integration/test_linux_pvshim.sh

SIZES_APPEND="trace=boot,abi"

# pvtest64 through build/pvshim-pvh (no module: PVH gives pvshim one).
pvtest64_pvh() { # MiB [boot options / QEMU args...]
    local mem=$1
    shift
    pvtest64_under_pvshim "$mem" --image "$BUILD/pvshim-pvh" --initrd "$BUILD/guests/pvtest64" \
        --append "$SIZES_APPEND -- pvtest64-cmdline-token pvtest64-no-module" "$@"
    expect_log "boot: PVH"
}

test_sizes_pvtest64_16g() {
    pvtest64_under_pvshim 16384 --append "$SIZES_APPEND"
    expect_log "0x000100000000 - 0x000440000000 RAM"
}

# RAM up to 3.25 GiB and no more: 0xc0000000 is RAM here, the PCI hole
# starts at the top of RAM.
test_sizes_pvtest64_3328m() {
    pvtest64_under_pvshim 3328 --append "$SIZES_APPEND"
    expect_log "0x000000100000 - 0x0000cffe0000 RAM"
}

# mem= inside the PCI hole: the RAM above 4 GiB is dropped.
test_sizes_pvtest64_mem_limit_in_hole() {
    pvtest64_under_pvshim 4096 --append "$SIZES_APPEND mem=3584M"
    expect_log "memory map (3071 MiB RAM)"
    expect_no_log "0x000100000000 - 0x000140000000 RAM"
}

# mem= inside the RAM above 4 GiB: cut there.
test_sizes_pvtest64_mem_limit_in_high_ram() {
    pvtest64_under_pvshim 6144 --append "$SIZES_APPEND mem=4608M"
    expect_log "0x000100000000 - 0x000120000000 RAM"
}

# PVH, q35: reserved ranges between RAM ranges, in hvm_start_info's memmap.
test_sizes_pvtest64_pvh_q35() {
    pvtest64_pvh 4096 -M q35
    expect_log "0x0000b0000000 - 0x0000c0000000 reserved"
    expect_log "0x0000fed1c000 - 0x0000fed20000 reserved"
    expect_log "0x000100000000 - 0x000180000000 RAM"
}

# PVH, a 3 GiB hole: 1 GiB of RAM below 4 GiB, 3 GiB above.
test_sizes_pvtest64_pvh_big_hole() {
    pvtest64_pvh 4096 -M pc,max-ram-below-4g=1G
    expect_log "0x00003ffe0000 - 0x000040000000 reserved"
    expect_log "0x000100000000 - 0x0001c0000000 RAM"
}

# Three NUMA nodes from three memory backends, 2 GiB below 4 GiB.
test_sizes_pvtest64_numa() {
    pvtest64_under_pvshim 6144 --append "$SIZES_APPEND" -M pc,max-ram-below-4g=2G \
        -object memory-backend-ram,id=m0,size=1G -object memory-backend-ram,id=m1,size=2G \
        -object memory-backend-ram,id=m2,size=3G \
        -numa node,memdev=m0 -numa node,memdev=m1 -numa node,memdev=m2
    expect_log "0x000100000000 - 0x000200000000 RAM"
}

# The oracle at the same sizes: pvtest64 as dom0 of Xen 4.17 (dom0_mem
# stays 256M; Xen's own map and frame table are what grows).
pvtest64_xen_at() {
    local results
    results=$(scratch results.txt)
    tests/guests/run-under-xen.sh --mem "$1" --log "$LOG" --timeout 240 > "$results" 2>&1 ||
        fail "run-under-xen --mem $1 exited with $?"
    grep '^FAIL ' "$results" | while read -r line; do fail "$line"; done
    grep -qE '^pvtest64: [0-9]+ passed, 0 failed$' "$results" ||
        fail "no final line \"pvtest64: N passed, 0 failed\""
}

test_sizes_pvtest64_under_xen_4g() {
    pvtest64_xen_at 4G
}

test_sizes_pvtest64_under_xen_16g() {
    pvtest64_xen_at 16G
}

test_sizes_pvshim_linux_16g() {
    LINUX_MEM=16384 pvshim_linux_full 6.1-cloud full --append "$SIZES_APPEND"
    expect_log "0x000100000000 - 0x000440000000 RAM"
}

# q35 with two NUMA nodes: reserved ranges between RAM ranges.
test_sizes_pvshim_linux_q35_6g() {
    LINUX_MEM=6144 pvshim_linux_full 6.1-cloud full --append "$SIZES_APPEND" -M q35 \
        -object memory-backend-ram,id=m0,size=2G -object memory-backend-ram,id=m1,size=4G \
        -numa node,memdev=m0 -numa node,memdev=m1
    expect_log "0x0000b0000000 - 0x0000c0000000 reserved"
}

# The hostile guest (tests/integration/test_hostile.sh) at 4 GiB and 16 GiB:
# its forged frames now fall in holes and reserved ranges below the top of RAM.
hostile_at() {
    local out
    out=$(scratch run.out)
    tests/guests/pvhostile64/run.sh --seed 7 --ops 20000 --mem "$1" --log "$LOG" --timeout 180 \
        > "$out" 2>&1 || fail "$(tr '\n' ' ' < "$out")"
    grep -a '^FAIL ' "$LOG" | while read -r line; do fail "$line"; done
    expect_log "pvhostile64: 20000 operations, pvshim healthy"
    expect_no_log "internal error"
}

test_sizes_hostile_4g() {
    hostile_at 4G
}

test_sizes_hostile_16g() {
    hostile_at 16G
}
