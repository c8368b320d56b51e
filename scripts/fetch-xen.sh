#!/bin/sh
# Fetches Debian's Xen 4.17 hypervisor (package xen-hypervisor-4.17-amd64)
# into cache/xen/ and extracts it as a Multiboot ELF, cache/xen/xen-4.17:
# the reference host our test guests are checked against (nothing fetched
# is committed; cache/ is git-ignored). Idempotent: a verified copy is kept.
#
#   scripts/fetch-xen.sh        prints the path of the hypervisor image
#
# Needs apt-get (Debian 12's archive); runs `apt-get update` once if apt
# knows no candidate for the package (that needs root).
set -eu
cd "$(dirname "$0")/.."
PKG=xen-hypervisor-4.17-amd64
DIR=cache/xen
OUT=$DIR/xen-4.17
STAMP=$DIR/xen-4.17.source

die() { echo "fetch-xen: $*" >&2; exit 1; }

# Already there and intact?
if [ -s "$OUT" ] && [ -s "$STAMP" ] &&
   [ "$(sha256sum "$OUT" | cut -d' ' -f1)" = "$(sed -n 's/^image-sha256 //p' "$STAMP")" ]; then
    echo "$OUT"
    exit 0
fi

. scripts/lib/deb-download.sh
deb_download "$PKG" "$DIR"
trap 'rm -rf "$DEB_TMP"' EXIT INT TERM
tmp=$DEB_TMP deb=$DEB ver=$DEB_VERSION got=$DEB_SHA256

dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$tmp" ./boot/xen-4.17-amd64.gz ||
    die "no boot/xen-4.17-amd64.gz in $deb"
gunzip -c "$tmp/boot/xen-4.17-amd64.gz" > "$tmp/xen-4.17" || die "gunzip failed"

# A 32-bit ELF (QEMU's Multiboot loader takes no 64-bit ELF) carrying the
# Multiboot1 magic in its first 8 KiB.
magic=$(od -An -tx1 -N4 "$tmp/xen-4.17" | tr -d ' ')
[ "$magic" = "7f454c46" ] || die "the image is not an ELF file"
[ "$(od -An -tx1 -j4 -N1 "$tmp/xen-4.17" | tr -d ' ')" = "01" ] ||
    die "the image is not a 32-bit ELF"
od -An -tx1 -v -N8192 "$tmp/xen-4.17" | tr -d ' \n' | grep -q '02b0ad1b' ||
    die "no Multiboot header in the image"

mv "$tmp/xen-4.17" "$OUT"
mv "$deb" "$DIR/"
{
    echo "package $PKG"
    echo "version $ver"
    echo "deb-sha256 $got"
    echo "image-sha256 $(sha256sum "$OUT" | cut -d' ' -f1)"
} > "$STAMP"
echo "$OUT"
