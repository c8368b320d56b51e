#!/bin/sh
# Builds the xz, lzma and zstd fixtures for test_decompress_b.c with the
# system tools (xz-utils, lzma, zstd). Inputs are generated here, the same
# on every run of the same tools: text from a seeded awk, incompressible
# bytes from xz's and zstd's own output, zeros, an ELF (argument 2, debug info
# stripped), and a multi-megabyte mix of them.
#   decompress_b_fixtures.sh OUTDIR ELF
set -eu
out=$1
elf=$(cd "$(dirname "$2")" && pwd)/$(basename "$2")
mkdir -p "$out"
cd "$out"

# ------------------------------------------------------------ inputs
: > empty.bin
head -c 1048576 /dev/zero > zeros.bin
awk 'BEGIN {
    srand(1);
    split("the quick brown fox jumps over lazy dog kernel guest shim page frame event channel grant table", w, " ");
    for (i = 0; i < 12000; i++) {
        n = 3 + int(rand() * 8);
        line = "";
        for (j = 0; j < n; j++)
            line = line w[1 + int(rand() * 19)] " ";
        printf "%05d %s%d\n", i, line, int(rand() * 100000);
    }
}' > text.bin
{ xz -9 -c text.bin; zstd -q -1 -c text.bin; } | head -c 262144 > random.bin
head -c 300 text.bin > small.bin
# Code rather than debug info, so the BCJ x86 filter has calls to convert.
strip --strip-debug -o elf.bin "$elf"
{
    cat text.bin random.bin
    head -c 65536 /dev/zero
    cat elf.bin random.bin text.bin elf.bin text.bin
} > mixed.bin

# ------------------------------------------------------------ xz
for c in crc32 crc64 none sha256; do
    xz -c -6 --check=$c text.bin > text.$c.xz
done
xz -c --check=crc32 --x86 --lzma2=preset=9e elf.bin > elf.x86.xz
xz -c --check=crc32 --x86 --lzma2=preset=9e mixed.bin > mixed.x86.xz
xz -c --check=crc64 --block-size=65536 mixed.bin > mixed.blocks.xz
# Multi-threaded: block headers carry the compressed and uncompressed sizes.
xz -c -T2 --check=crc32 --block-size=65536 mixed.bin > mixed.mt.xz
xz -c --check=crc32 --x86 --lzma2=preset=6 --block-size=100000 elf.bin > elf.x86blocks.xz
xz -c --delta=dist=4 --lzma2=preset=6 text.bin > text.delta.xz
xz -c --lzma2=preset=6,lc=0,lp=2,pb=0 text.bin > text.props.xz
xz -c random.bin > random.xz
xz -c zeros.bin > zeros.xz
xz -c empty.bin > empty.xz
xz -c small.bin > small.xz
xz -c --check=none small.bin > small.none.xz
xz -c --arm --lzma2 text.bin > text.arm.xz
# Concatenated streams, the second after four and eight bytes of stream padding.
{ cat text.crc32.xz; head -c 4 /dev/zero; cat elf.x86.xz; head -c 8 /dev/zero; cat small.xz; } > concat.xz
cat text.bin elf.bin small.bin > concat.xz.bin

# ------------------------------------------------------------ lzma
# xz writes an unknown size and an end marker; the LZMA SDK's lzma writes
# the size when compressing a named file and an end marker from a pipe.
xz -c --format=lzma text.bin > text.lzma
xz -c --format=lzma -9 mixed.bin > mixed.lzma
lzma -9 -c elf.bin > elf.sized.lzma
lzma -9 -c < elf.bin > elf.pipe.lzma
xz -c --format=lzma empty.bin > empty.lzma
xz -c --format=lzma small.bin > small.lzma
lzma -c small.bin > small.sized.lzma

# ------------------------------------------------------------ zstd
zstd -q -f -1 -c text.bin > text.1.zst
zstd -q -f -19 -c mixed.bin > mixed.19.zst
zstd -q -f --ultra -22 -c elf.bin > elf.22.zst
zstd -q -f --ultra -22 -c mixed.bin > mixed.22.zst
zstd -q -f -3 --long=27 -c mixed.bin > mixed.long.zst
zstd -q -f -3 --no-check -c text.bin > text.nocheck.zst
zstd -q -f -3 -c < mixed.bin > mixed.pipe.zst     # no content size in the header
zstd -q -f -c random.bin > random.zst
zstd -q -f -c zeros.bin > zeros.zst
zstd -q -f -c empty.bin > empty.zst
zstd -q -f -c small.bin > small.zst
zstd -q -f -19 -c text.bin > text.19.zst
# Two frames, and a skippable frame (magic 0x184d2a53, 5 bytes) before a frame.
cat text.1.zst elf.22.zst > multi.zst
cat text.bin elf.bin > multi.zst.bin
{ printf '\123\052\115\030\005\000\000\000hello'; cat small.zst; } > skip.zst
