# Restoring an `xl save` file of a classic PV guest (issue 20): pvtest64 in
# its pvtest64-migrate mode, saved part-way by Debian's Xen 4.17
# (tests/migrate/mksave.sh, made on first use into cache/migrate: Xen and a
# dom0 under TCG, a few minutes), resumes in pvshim with no Xen and checks
# its own state; then the same file made malformed in each way the issue
# names must stop pvshim with the bad-input status (QEMU 7) and one line
# naming the record. The Linux workload's restore is `make test-migrate`.

restore_fixture() {
    local dir=${MIGRATE_CACHE:-cache/migrate}
    local f=$dir/pvtest64.xlsave
    mkdir -p "$dir"
    # One test makes it (the tests run in parallel), the others wait for it.
    # The file holds the guest's code: remade when the workload's code changed.
    (
        flock 9
        if [ ! -s "$f" ] || [ tests/guests/pvtest64/migrate.c -nt "$f" ]; then
            tests/migrate/mksave.sh --only pvtest64 > "$(scratch mksave.log)" 2>&1 ||
                { echo "cannot make $f with tests/migrate/mksave.sh: $(tail -n 3 "$(scratch mksave.log)")"; exit 1; }
        fi
    ) 9> "$dir/.lock" > "$(scratch fixture.err)" || { fail "$(cat "$(scratch fixture.err)")"; return 1; }
    echo "$f"
}

# The offset of a record's header (by name, first one) in a save file.
record_at() {
    "$BUILD/pvshim-save-info" --records "$1" | awk -v n="$2" '$1 == "record" && $3 == n { print $5; exit }' | tr -d ,
}

# patch FILE OFFSET FORMAT VALUE: perl pack()ed VALUE written at OFFSET.
patch() {
    perl -e 'my ($f, $off, $fmt, @v) = @ARGV;
             open(my $h, "+<:raw", $f) or die "$f: $!";
             seek($h, $off, 0); print $h pack($fmt, @v); close($h) or die;' "$@"
}

# restore_bad FILE REGEX: pvshim refuses FILE with a bad-input line matching REGEX.
restore_bad() {
    boot --mem 256 --timeout 300 --initrd "$1"
    expect_status 7
    expect_log_re "bad input: .*$2"
    expect_no_log "entering the guest"
}

test_restore_pvtest64_from_xen() {
    local f
    f=$(restore_fixture) || return 1
    "$BUILD/pvshim-save-info" "$f" > "$(scratch info)" || fail "pvshim-save-info refuses $f"
    boot --mem 256 --timeout 300 --initrd "$f"
    expect_log "restore: xl save file, libxc stream v3 from Xen 4.17"
    expect_log "MIGRATE: suspend returned 0 (resumed in a new domain)"
    for c in resumed counter_continues memory_intact clock_forward system_time_forward \
             start_info m2p_consistent ports_masked xenstore; do
        expect_log "PASS migrate.$c"
    done
    expect_log_re "^pvtest64: 9 passed, 0 failed"
    expect_log "guest shut down: poweroff"
    expect_status 0
}

test_restore_truncated() {
    local f g
    f=$(restore_fixture) || return 1
    g=$(scratch half.xlsave)
    head -c $(( $(wc -c < "$f") / 2 )) "$f" > "$g"
    restore_bad "$g" "save stream: libxc record type 0x1 \(PAGE_DATA\) at offset .*runs past the end"
}

copy_fixture() {
    local g
    g=$(scratch "$1.xlsave")
    cp "$2" "$g"
    echo "$g"
}

test_restore_oversized_record() {
    local f g
    f=$(restore_fixture) || return 1
    g=$(copy_fixture big "$f")
    patch "$g" $(( $(record_at "$f" PAGE_DATA) + 4 )) V 2147483647
    restore_bad "$g" "record type 0x1 at offset .*: length 2147483647 exceeds"
}

test_restore_reordered() {
    local f g
    f=$(restore_fixture) || return 1
    g=$(copy_fixture reordered "$f")
    # STATIC_DATA_END becomes an unknown optional record: P2M_FRAMES then comes too early.
    patch "$g" $(( $(record_at "$f" STATIC_DATA_END) )) V $(( 0x80000077 ))
    restore_bad "$g" "record 5 \(X86_PV_P2M_FRAMES\) at offset .*: before STATIC_DATA_END"
}

test_restore_pfn_past_end() {
    local f g
    f=$(restore_fixture) || return 1
    g=$(copy_fixture pfn "$f")
    patch "$g" $(( $(record_at "$f" PAGE_DATA) + 16 )) 'Q<' $(( 0x10000 ))
    restore_bad "$g" "\(PAGE_DATA\) at offset .*: entry 0: pfn 0x10000 past the end \(end_pfn 0x1fff\)"
}

test_restore_table_maps_itself_writable() {
    local f g l1
    f=$(restore_fixture) || return 1
    g=$(copy_fixture selfmap "$f")
    # The first L1 of the boot tables (reachable from the pinned L4): its
    # last entry maps the L1 itself, present and writable.
    l1=$("$BUILD/pvshim-save-info" --records "$f" | awk '$1 == "L1" { print $3, $5; exit }')
    set -- $l1
    patch "$g" $(( $2 + 511 * 8 )) 'Q<' $(( ($1 << 12) | 0x67 ))
    restore_bad "$g" "save stream: PAGE_DATA: the pinned L4 table at pfn 0x[0-9a-f]+ does not validate"
}

test_restore_ring0_selector() {
    local f g
    f=$(restore_fixture) || return 1
    g=$(copy_fixture ring0 "$f")
    # The context follows the record header (8) and the vCPU header (8); cs at 656.
    patch "$g" $(( $(record_at "$f" X86_PV_VCPU_BASIC) + 16 + 656 )) v $(( 0xe030 ))
    restore_bad "$g" "X86_PV_VCPU_BASIC of vcpu 0: cs selector 0xe030 is ring 0"
}

test_restore_noncanonical_rip() {
    local f g
    f=$(restore_fixture) || return 1
    g=$(copy_fixture rip "$f")
    patch "$g" $(( $(record_at "$f" X86_PV_VCPU_BASIC) + 16 + 648 )) 'Q<' $(( 0x0000800000000000 ))
    restore_bad "$g" "X86_PV_VCPU_BASIC of vcpu 0: rip 0x800000000000 is not canonical"
}

test_restore_cpu_feature_missing() {
    local f g
    f=$(restore_fixture) || return 1
    g=$(copy_fixture avx512 "$f")
    # Leaf 7/0 ebx of the saved policy gains AVX512F (bit 16), which QEMU's
    # TCG CPU does not have: the guest could have patched its code for it.
    perl -e 'my ($f, $at) = @ARGV;
             open(my $h, "+<:raw", $f) or die; seek($h, $at, 0); read($h, my $hdr, 8);
             my ($t, $len) = unpack("VV", $hdr); read($h, my $b, $len);
             for (my $o = 0; $o < $len; $o += 24) {
                 my ($leaf, $sub, $a, $ebx) = unpack("VVVV", substr($b, $o, 16));
                 next unless $leaf == 7 && $sub == 0;
                 seek($h, $at + 8 + $o + 12, 0); print $h pack("V", $ebx | (1 << 16)); last;
             }
             close($h) or die;' "$g" $(( $(record_at "$f" X86_CPUID_POLICY) ))
    restore_bad "$g" "X86_CPUID_POLICY: the saved guest saw 1 CPU feature pvshim does not offer here .*: AVX512F"
}

# A guest that had more vCPUs than the VM has CPUs (its config's max_vcpus
# made 2; the test VM has one CPU): refused before anything is built.
test_restore_more_vcpus_than_cpus() {
    local f g at
    f=$(restore_fixture) || return 1
    g=$(copy_fixture vcpus "$f")
    at=$(grep -boa '"max_vcpus": 1,' "$g" | head -n 1 | cut -d: -f1)
    [ -n "$at" ] || { fail "no \"max_vcpus\": 1 in the config of $f"; return 1; }
    patch "$g" $((at + 13)) 'a' 2
    restore_bad "$g" "save file: the guest had 2 vCPUs; pvshim can give it 1 here"
}
