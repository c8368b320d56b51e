#!/bin/sh
# Writes the ELF vmlinux inside a Linux bzImage, gzip-compressed, for
# GRUB 2.06's Xen loader (PV-GRUB): it loads gzip-compressed ELF kernels but
# refuses bzImages ("not xen image").
#
#   scripts/bzimage-to-elf.sh BZIMAGE OUT.gz
#
# Boot protocol (Documentation/x86/boot.rst): the setup code is
# setup_sects (byte 0x1f1; 0 means 4) + 1 sectors of 512 bytes; the
# compressed kernel lies payload_offset (u32 at 0x248) bytes after that,
# payload_length (u32 at 0x24c) bytes long; its last 4 bytes give the
# uncompressed size (little-endian), which the result must match.
set -eu
in=$1 out=$2

die() { echo "bzimage-to-elf: $*" >&2; exit 1; }
u8() { od -An -tu1 -j "$1" -N 1 "$in" | tr -d ' '; }
u32() { od -An -tu4 -j "$1" -N 4 "$in" | tr -d ' '; }

[ "$(od -An -c -j 0x202 -N 4 "$in" | tr -d ' ')" = HdrS ] || die "$in is not a bzImage"
setup_sects=$(u8 $((0x1f1)))
[ "$setup_sects" = 0 ] && setup_sects=4
start=$(( (setup_sects + 1) * 512 + $(u32 $((0x248))) ))
length=$(u32 $((0x24c)))
[ "$length" -gt 4 ] || die "$in has no payload"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/bzimage-to-elf.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM
tail -c +$((start + 1)) "$in" | head -c "$length" > "$tmp/payload"
size=$(od -An -tu4 -j $((length - 4)) -N 4 "$tmp/payload" | tr -d ' ')

# The compressor, by the payload's magic.
case $(od -An -tx1 -N 4 "$tmp/payload" | tr -d ' ') in
1f8b*)     dec="gzip -dc" ;;
fd377a58)  dec="xz -dc" ;;
28b52ffd)  dec="zstd -dcq" ;;
02214c18)  dec="lz4 -dc" ;;      # legacy LZ4 frame, as Linux writes it
5d00*)     dec="xz --format=lzma -dc" ;;
425a68*)   dec="bzip2 -dc" ;;
894c5a4f)  dec="lzop -dc" ;;
*) die "unknown compression in $in" ;;
esac
# The decompressors may complain about the 4 size bytes after the stream;
# the size check below is what decides.
$dec < "$tmp/payload" > "$tmp/vmlinux" 2> "$tmp/err" || true
[ "$(od -An -c -N 4 "$tmp/vmlinux" | tr -d ' ')" = 177ELF ] ||
    die "no ELF in $in ($dec: $(head -n 1 "$tmp/err"))"
[ "$(stat -c %s "$tmp/vmlinux")" = "$size" ] ||
    die "the ELF from $in is $(stat -c %s "$tmp/vmlinux") bytes, expected $size"
gzip -9n < "$tmp/vmlinux" > "$out.tmp"
mv "$out.tmp" "$out"
