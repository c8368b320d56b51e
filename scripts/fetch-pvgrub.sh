#!/bin/sh
# Fetches PV-GRUB, the 64-bit Xen PV build of GRUB that Debian's
# grub-xen-host ships (/usr/lib/grub-xen/grub-x86_64-xen.bin), into
# cache/guests/grub-x86_64-xen.bin, its package and version in
# grub-x86_64-xen.bin.version. Booted as the PV kernel, it finds the
# guest's disk through the PV block backend and reads its
# /boot/grub/grub.cfg. Nothing is installed on this machine; no network
# access when the file is there.
#
#   scripts/fetch-pvgrub.sh
set -eu
cd "$(dirname "$0")/.."
OUT=${GUEST_CACHE:-cache/guests}
BIN=grub-x86_64-xen.bin

say() { echo "fetch-pvgrub: $*" >&2; }
die() { say "error: $*"; exit 1; }

[ -s "$OUT/$BIN" ] && [ -s "$OUT/$BIN.version" ] && exit 0
mkdir -p "$OUT"
exec 9> "$OUT/.pvgrub.lock"
flock 9
[ -s "$OUT/$BIN" ] && [ -s "$OUT/$BIN.version" ] && exit 0

tmp=$(mktemp -d "$OUT/.pvgrub.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM
# apt drops privileges to _apt while downloading when it can.
chmod 777 "$tmp"
if ! (cd "$tmp" && apt-get download -q grub-xen-host > /dev/null 2>&1); then
    say "apt-get update"
    apt-get update -q > /dev/null 2>&1 || die "apt-get update failed"
    (cd "$tmp" && apt-get download -q grub-xen-host > /dev/null 2>&1) ||
        die "apt-get download grub-xen-host failed: is deb.debian.org reachable?"
fi
deb=$(ls "$tmp"/*.deb)
dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$tmp" "./usr/lib/grub-xen/$BIN" ||
    die "grub-xen-host has no /usr/lib/grub-xen/$BIN"
mv -f "$tmp/usr/lib/grub-xen/$BIN" "$OUT/$BIN"
echo "grub-xen-host $(dpkg-deb -f "$deb" Version)" > "$OUT/$BIN.version"
say "$BIN: $(cat "$OUT/$BIN.version")"
