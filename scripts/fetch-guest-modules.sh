#!/bin/sh
# The few kernel modules the test initramfs needs from Debian's guest
# kernels (the PV disk and network frontends, built as modules there, and
# virtio-blk and virtio-net with their transport for the same tests booted
# natively),
# taken from the very package versions scripts/fetch-guests.sh recorded,
# into $BUILD/debian/modules/lib/modules/<release>/. Once per build dir.
#
#   scripts/fetch-guest-modules.sh
set -eu
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
CACHE=${GUEST_CACHE:-cache/guests}
OUT=$BUILD/debian/modules
MODULES="drivers/block/xen-blkfront.ko drivers/net/xen-netfront.ko
 drivers/virtio/virtio.ko drivers/virtio/virtio_ring.ko
 drivers/virtio/virtio_pci_legacy_dev.ko drivers/virtio/virtio_pci_modern_dev.ko
 drivers/virtio/virtio_pci.ko drivers/block/virtio_blk.ko
 net/core/failover.ko drivers/net/net_failover.ko drivers/net/virtio_net.ko"
# Bump when MODULES changes, so build directories fetch again.
STAMP=4

say() { echo "fetch-guest-modules: $*" >&2; }

[ -s "$CACHE/VERSIONS" ] || scripts/fetch-guests.sh
mkdir -p "$OUT"
exec 9> "$OUT.lock"
flock 9

tmp=$(mktemp -d "${TMPDIR:-/tmp}/pvshim-modules.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM
grep '^vmlinuz-' "$CACHE/VERSIONS" | while read -r _ pkg ver; do
    release=${pkg#linux-image-}
    [ -f "$OUT/$release.done$STAMP" ] && continue
    say "$pkg $ver"
    (cd "$tmp" && apt-get download -q "$pkg=$ver" > /dev/null 2>&1) || {
        say "error: apt-get download $pkg=$ver failed"
        exit 1
    }
    for m in $MODULES; do
        path=./lib/modules/$release/kernel/$m
        # Newer kernels ship them xz-compressed: busybox's insmod wants them plain.
        if dpkg-deb --fsys-tarfile "$tmp"/*.deb | tar -x -C "$OUT" "$path" 2> /dev/null; then
            :
        elif dpkg-deb --fsys-tarfile "$tmp"/*.deb | tar -x -C "$OUT" "$path.xz" 2> /dev/null; then
            xz -d -f "$OUT/$path.xz"
        else
            say "$release has no $m (built in?)"
        fi
    done
    rm -f "$tmp"/*.deb
    touch "$OUT/$release.done$STAMP"
done
