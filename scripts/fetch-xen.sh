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

command -v apt-get >/dev/null 2>&1 || die "apt-get is needed (Debian)"
candidate() { apt-cache policy "$PKG" 2>/dev/null | sed -n 's/^ *Candidate: //p'; }
ver=$(candidate)
if [ -z "$ver" ] || [ "$ver" = "(none)" ]; then
    echo "fetch-xen: no candidate for $PKG, running apt-get update" >&2
    apt-get update -q >&2 || die "apt-get update failed (needs root)"
    ver=$(candidate)
    [ -n "$ver" ] && [ "$ver" != "(none)" ] || die "Debian's archive has no $PKG"
fi

mkdir -p "$DIR"
tmp=$(mktemp -d "$DIR/fetch.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
# apt-get verifies the download against the signed archive index; we also
# compare it with the index's SHA256 ourselves.
(cd "$tmp" && apt-get -q -o APT::Sandbox::User=root download "$PKG=$ver" >&2) ||
    die "apt-get download $PKG=$ver failed"
deb=$(ls "$tmp"/*.deb 2>/dev/null | head -1)
[ -n "$deb" ] || die "no .deb downloaded"
want=$(apt-cache show "$PKG=$ver" | sed -n 's/^SHA256: //p' | head -1)
got=$(sha256sum "$deb" | cut -d' ' -f1)
[ -n "$want" ] && [ "$want" = "$got" ] || die "SHA256 of $deb is $got, the archive says $want"
[ "$(dpkg-deb -f "$deb" Package)" = "$PKG" ] || die "$deb is not $PKG"

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
