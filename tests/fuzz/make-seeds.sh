#!/usr/bin/env bash
# Regenerates the generated seed corpora under tests/fuzz/corpus/:
#   tests/fuzz/make-seeds.sh build/fuzz-make-seeds
# Image and operation-sequence seeds come from the seed tool (built from the
# unit tests' image builder); decompressor seeds are small inputs packed by
# the system's compressors in the variants the decoders handle.
set -eu
tool=$1
cd "$(dirname "$0")"
"$tool" corpus

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
printf 'pvshim decompresses the guest kernel: hello, hello, hello, page table, page table\n' > "$tmp/text"
head -c 3000 /dev/zero > "$tmp/zeros"
# Deterministic bytes with some repetition (no dependency on /dev/urandom).
perl -e 'my $x = 7; for (1..600) { $x = ($x * 1103515245 + 12345) % 2147483648; print chr(($x >> 16) % 23 + 97) }' > "$tmp/mixed"
: > "$tmp/empty"
# lzop records the input's time: a fixed one keeps the seeds stable.
touch -d @946684800 "$tmp"/*

for d in gzip bzip2 xz lzma lzo lz4 zstd; do mkdir -p "corpus/decompress_$d"; done
for f in text zeros mixed empty; do
    gzip -9 -n -c "$tmp/$f" > "corpus/decompress_gzip/$f.gz"
    gzip -1 -n -c "$tmp/$f" > "corpus/decompress_gzip/$f.1.gz"
    bzip2 -9 -c "$tmp/$f" > "corpus/decompress_bzip2/$f.bz2"
    xz -c "$tmp/$f" > "corpus/decompress_xz/$f.xz"
    xz -C crc32 --x86 --lzma2 -c "$tmp/$f" > "corpus/decompress_xz/$f.bcj.xz"
    xz -C sha256 -c "$tmp/$f" > "corpus/decompress_xz/$f.sha.xz"
    xz -C none --delta=dist=4 --lzma2 -c "$tmp/$f" > "corpus/decompress_xz/$f.delta.xz"
    lzma -c "$tmp/$f" > "corpus/decompress_lzma/$f.lzma"
    lzop -9 --no-name --no-mode --no-time -c "$tmp/$f" > "corpus/decompress_lzo/$f.lzo"
    lzop -1 --no-checksum --no-name --no-mode --no-time -c "$tmp/$f" > "corpus/decompress_lzo/$f.nock.lzo" 2>/dev/null ||
        lzop -1 -c "$tmp/$f" > "corpus/decompress_lzo/$f.nock.lzo"
    lz4 -q -l -c "$tmp/$f" > "corpus/decompress_lz4/$f.legacy.lz4"
    lz4 -q -9 --content-size -c "$tmp/$f" > "corpus/decompress_lz4/$f.frame.lz4"
    lz4 -q -BD -BX -c "$tmp/$f" > "corpus/decompress_lz4/$f.dep.lz4"
    zstd -q -19 -c "$tmp/$f" > "corpus/decompress_zstd/$f.zst"
    zstd -q -1 --no-check -c "$tmp/$f" > "corpus/decompress_zstd/$f.1.zst"
done
# A real stream, cut down: pvtest64 saved by Xen 4.17 (tests/migrate/mksave.sh),
# every record kept but the PAGE_DATA ones, of which the first 8 entries of
# the first (pfns 0-7 with their pages) stay.
real=${MIGRATE_CACHE:-../../cache/migrate}/pvtest64.xlsave
if [ -s "$real" ]; then
    perl -e 'my ($in, $out) = @ARGV;
        open(my $h, "<:raw", $in) or die; local $/; my $d = <$h>;
        my $optlen = unpack("V", substr($d, 44, 4));
        my $p = 48 + $optlen + 16 + 8 + 24 + 16;      # xl, libxl hdr, LIBXC_CONTEXT, libxc hdrs
        my $o = substr($d, 0, $p); my $first = 1;
        while (1) {
            my ($t, $l) = unpack("VV", substr($d, $p, 8));
            my $pad = ($l + 7) & ~7;
            if ($t == 1) {
                if ($first) {
                    my $n = 8; my $body = substr($d, $p + 8, 8 + 8 * 1024 + 4096 * 1024);
                    my $count = unpack("V", $body);
                    my $ents = substr($body, 8, 8 * $n);
                    my $pages = substr($body, 8 + 8 * $count, 4096 * $n);
                    $o .= pack("VVVV", 1, 8 + 8 * $n + 4096 * $n, $n, 0) . $ents . $pages;
                    $first = 0;
                }
            } else {
                $o .= substr($d, $p, 8 + $pad);
            }
            $p += 8 + $pad;
            last if $t == 0;
        }
        $o .= substr($d, $p);                        # the libxl END
        open(my $w, ">:raw", $out) or die; print $w $o; close($w) or die;' \
        "$real" corpus/save_stream/pvtest64-xen417-cut.xlsave
fi
du -sh corpus | sed 's/^/seed corpora: /'
