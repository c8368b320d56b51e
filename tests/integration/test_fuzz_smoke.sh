# A short libFuzzer run of every harness in tests/fuzz/ (make fuzz runs
# them for long): each replays its committed crash reproducers
# (tests/fuzz/crashes/<harness>/, so every bug found stays fixed), then
# fuzzes for FUZZ_SMOKE_SECONDS (default 5) from the committed seed corpus.

fuzz_smoke() {
    local h=$1 bin=$BUILD/fuzz/$1 out
    out=$(scratch fuzz.out)
    [ -x "$bin" ] || { fail "no $bin (make fuzz-build; needs clang)"; return 1; }
    tests/fuzz/run.sh "$bin" "${FUZZ_SMOKE_SECONDS:-5}" > "$out" 2>&1
    local rc=$?
    cat "$out" >> "$LOG"
    [ $rc = 0 ] || { fail "$(head -n 3 "$out" | tr '\n' ' ')"; return 1; }
    grep -q "^fuzz $h: .* no crash" "$out" || fail "no result line from tests/fuzz/run.sh"
}

test_fuzz_smoke_image() { fuzz_smoke image; }
test_fuzz_smoke_mmu() { fuzz_smoke mmu; }
test_fuzz_smoke_hypercall() { fuzz_smoke hypercall; }
test_fuzz_smoke_compat() { fuzz_smoke compat; }
test_fuzz_smoke_xenstore() { fuzz_smoke xenstore; }
test_fuzz_smoke_blkback() { fuzz_smoke blkback; }
test_fuzz_smoke_emulate() { fuzz_smoke emulate; }
test_fuzz_smoke_records() { fuzz_smoke records; }
test_fuzz_smoke_save_stream() { fuzz_smoke save_stream; }
test_fuzz_smoke_decompress_gzip() { fuzz_smoke decompress_gzip; }
test_fuzz_smoke_decompress_bzip2() { fuzz_smoke decompress_bzip2; }
test_fuzz_smoke_decompress_xz() { fuzz_smoke decompress_xz; }
test_fuzz_smoke_decompress_lzma() { fuzz_smoke decompress_lzma; }
test_fuzz_smoke_decompress_lzo() { fuzz_smoke decompress_lzo; }
test_fuzz_smoke_decompress_lz4() { fuzz_smoke decompress_lz4; }
test_fuzz_smoke_decompress_zstd() { fuzz_smoke decompress_zstd; }
