#!/bin/sh
# Fetches Debian's PV-GRUB images (package grub-xen-host, which ships GRUB
# built with grub-mkimage for i386-xen and x86_64-xen as
# usr/lib/grub-xen/grub-{i386,x86_64}-xen.bin) into cache/grub-xen/: real
# 32-bit and 64-bit PV guests nobody here wrote. Nothing fetched is
# committed (cache/ is git-ignored). Idempotent: a verified copy is kept.
#
#   scripts/fetch-grub-xen.sh       prints the directory holding the images
#
# Needs apt-get (Debian 12's archive); runs `apt-get update` once if apt
# knows no candidate for the package (that needs root).
set -eu
cd "$(dirname "$0")/.."
PKG=grub-xen-host
DIR=cache/grub-xen
STAMP=$DIR/source
IMAGES="grub-i386-xen.bin grub-x86_64-xen.bin"

die() { echo "fetch-grub-xen: $*" >&2; exit 1; }

intact() {
    [ -s "$STAMP" ] || return 1
    for f in $IMAGES; do
        [ -s "$DIR/$f" ] || return 1
        [ "$(sha256sum "$DIR/$f" | cut -d' ' -f1)" = \
          "$(sed -n "s/^$f-sha256 //p" "$STAMP")" ] || return 1
    done
}
if intact; then
    echo "$DIR"
    exit 0
fi
# Tests run in parallel: one fetch at a time, the others use its result.
mkdir -p "$DIR"
exec 9> "$DIR/.lock"
flock 9
if intact; then
    echo "$DIR"
    exit 0
fi

. scripts/lib/deb-download.sh
deb_download "$PKG" "$DIR"
trap 'rm -rf "$DEB_TMP"' EXIT INT TERM
tmp=$DEB_TMP deb=$DEB ver=$DEB_VERSION got=$DEB_SHA256

for f in $IMAGES; do
    dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$tmp" "./usr/lib/grub-xen/$f" ||
        die "no usr/lib/grub-xen/$f in $deb"
    [ "$(od -An -tx1 -N4 "$tmp/usr/lib/grub-xen/$f" | tr -d ' ')" = "7f454c46" ] ||
        die "$f is not an ELF file"
done
{
    echo "package $PKG"
    echo "version $ver"
    echo "deb-sha256 $got"
    for f in $IMAGES; do
        mv "$tmp/usr/lib/grub-xen/$f" "$DIR/$f"
        echo "$f-sha256 $(sha256sum "$DIR/$f" | cut -d' ' -f1)"
    done
} > "$STAMP"
echo "$DIR"
