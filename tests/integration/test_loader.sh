# Module 0 that is not a usable PV kernel: each case ends with one clear
# "bad input" line naming the problem, and the bad-input status.

guest() { echo "$BUILD/guests/pvtest64"; }

test_kernel_not_elf() {
    f=$(scratch notakernel.txt)
    printf 'this is just text, not a kernel\n' > "$f"
    boot --initrd "$f"
    expect_status 7
    expect_log_re "bad input: guest kernel: .*(not an ELF|not a kernel|unknown format|not recognised)"
}

test_kernel_truncated() {
    f=$(scratch truncated)
    head -c 3000 "$(guest)" > "$f"
    boot --initrd "$f"
    expect_status 7
    expect_log_re "bad input: guest kernel: .*(truncated|beyond|outside|past)"
}

test_kernel_wrong_type() {
    # A host executable: ELF, but position-independent and without Xen notes.
    boot --initrd "/bin/true"
    expect_status 7
    expect_log "bad input: guest kernel:"
}

test_kernel_empty() {
    f=$(scratch empty)
    : > "$f"
    boot --initrd "$f"
    expect_status 7
    expect_log "bad input: guest kernel"
}

test_kernel_corrupt_gzip() {
    f=$(scratch corrupt.gz)
    gzip -c "$(guest)" > "$f"
    # Flip bytes in the middle of the deflate stream.
    size=$(stat -c %s "$f")
    printf '\377\377\377\377\377\377\377\377' |
        dd of="$f" bs=1 seek=$((size / 2)) conv=notrunc status=none
    boot --initrd "$f"
    expect_status 7
    expect_log_re "bad input: guest kernel: .*gzip"
}

test_kernel_truncated_xz() {
    f=$(scratch truncated.xz)
    xz -c --check=crc32 "$(guest)" | head -c 20000 > "$f"
    boot --initrd "$f"
    expect_status 7
    expect_log_re "bad input: guest kernel: .*xz.*(truncated|corrupt)"
}

test_too_little_memory_for_guest() {
    # A 60 MB initrd in a 64 MB VM cannot fit next to the guest's boot region.
    f=$(scratch big-initrd)
    head -c $((60 * 1024 * 1024)) /dev/zero > "$f"
    boot --mem 96 --initrd "$(guest) pvtest64-cmdline-token,$f"
    expect_status 7
    expect_log_re "bad input: .*too little memory"
}

test_pvh_only_kernel_refused() {
    # pvshim itself has a PVH note but no PV notes.
    boot --initrd "$BUILD/pvshim-pvh"
    expect_status 7
    expect_log "bad input: guest kernel:"
    expect_log "PHYS32_ENTRY"
}
