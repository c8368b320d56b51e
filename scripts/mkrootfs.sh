#!/bin/sh
# Builds the Debian 12 machine pvshim boots from disk: a raw ext4 image of
# a whole root file system (no partition table; the guest's xvda), made
# with mmdebstrap. In it:
#   - systemd, udev, a login on hvc0 (serial-getty@hvc0): root, password
#     "pvshim" (a test machine: never expose it)
#   - Debian's 6.1 cloud kernel, the very package version the default guest
#     kernel comes from (cache/guests/VERSIONS), with its modules and an
#     initramfs that loads xen-blkfront before mounting root=/dev/xvda
#   - /boot/vmlinux.gz (that kernel's ELF, gzipped) and /boot/grub/grub.cfg
#     for PV-GRUB, which cannot load a bzImage
#   - systemd-networkd: DHCP on eth0; the network service: busybox httpd on
#     port 80 serving /srv/www (pvshim-httpd.service)
# The files it adds are in scripts/rootfs/ (copied over the root first).
#
#   scripts/mkrootfs.sh     prints the image's directory on stdout, building
#                           it first if missing (progress on stderr):
#     DIR/disk.raw          the image (sparse, ROOTFS_SIZE, default 2G)
#     DIR/vmlinuz, DIR/initrd.img   copies of the image's kernel and initrd
#
# DIR is ${ROOTFS_CACHE:-cache/rootfs}/<key>, the key a hash of this
# script, scripts/rootfs/, scripts/bzimage-to-elf.sh, the kernel's package
# version and ROOTFS_SIZE: any change builds a new image; an unchanged one
# is reused (callers copy disk.raw before writing to it). Needs root
# (mmdebstrap --mode=root; the image keeps the files' owners) and
# deb.debian.org. About 150 MB of downloads.
set -eu
cd "$(dirname "$0")/.."
CACHE=${GUEST_CACHE:-cache/guests}
OUT=${ROOTFS_CACHE:-cache/rootfs}
SIZE=${ROOTFS_SIZE:-2G}
MIRROR=http://deb.debian.org/debian
PASSWORD=pvshim

say() { echo "mkrootfs: $*" >&2; }
die() { say "error: $*"; exit 1; }

[ -s "$CACHE/VERSIONS" ] || scripts/fetch-guests.sh >&2
# The default guest kernel's package, so modules and kernel always match.
# shellcheck disable=SC2046
set -- $(awk '$1 == "vmlinuz-6.1-cloud" { print $2, $3 }' "$CACHE/VERSIONS")
[ $# = 2 ] || die "no vmlinuz-6.1-cloud in $CACHE/VERSIONS"
kpkg=$1 kver=$2
release=${kpkg#linux-image-}

key=$( { cat scripts/mkrootfs.sh scripts/bzimage-to-elf.sh
         (cd scripts/rootfs && find . -type f | LC_ALL=C sort |
             while read -r f; do echo "$f $(stat -c %a "$f")"; cat "$f"; done)
         echo "$kpkg=$kver $SIZE"; } | sha256sum | cut -c1-16)
dir=$OUT/$key
if [ -f "$dir/complete" ]; then
    echo "$dir"
    exit 0
fi

mkdir -p "$OUT"
exec 9> "$OUT/.lock"
flock 9
if [ -f "$dir/complete" ]; then
    echo "$dir"
    exit 0
fi
[ "$(id -u)" = 0 ] || die "needs root (mmdebstrap --mode=root, file owners in the image)"
command -v mmdebstrap > /dev/null || die "no mmdebstrap: run 'make deps'"

rm -rf "$dir"
mkdir -p "$dir"
root=$dir/root
trap 'rm -rf "$root"' EXIT
trap 'exit 130' INT TERM HUP

say "building the Debian 12 image in $dir ($kpkg $kver)"
# The customize hook runs on this machine with the root's path as $1.
mmdebstrap --mode=root --variant=apt --format=directory --quiet \
    --include="systemd,systemd-sysv,udev,dbus,login,passwd,kmod,procps,iproute2" \
    --include="e2fsprogs,initramfs-tools,busybox,$kpkg=$kver" \
    --dpkgopt='path-exclude=/usr/share/man/*' \
    --dpkgopt='path-exclude=/usr/share/doc/*' \
    --dpkgopt='path-include=/usr/share/doc/*/copyright' \
    --dpkgopt='path-exclude=/usr/share/locale/*' \
    --setup-hook='sync-in scripts/rootfs /' \
    --customize-hook='echo pvshim > "$1/etc/hostname"' \
    --customize-hook='printf "127.0.0.1 localhost\n127.0.1.1 pvshim\n" > "$1/etc/hosts"' \
    --customize-hook="echo root:$PASSWORD | chroot \"\$1\" chpasswd" \
    --customize-hook='chroot "$1" systemctl enable -q systemd-networkd pvshim-httpd serial-getty@hvc0' \
    --customize-hook='chroot "$1" systemctl mask -q systemd-networkd-wait-online.service' \
    bookworm "$root" \
    "deb $MIRROR bookworm main" "deb $MIRROR bookworm-updates main" \
    "deb $MIRROR-security bookworm-security main" >&2 || die "mmdebstrap failed"

boot=$root/boot
[ -s "$boot/vmlinuz-$release" ] && [ -s "$boot/initrd.img-$release" ] ||
    die "no vmlinuz-$release and initrd.img-$release in the image's /boot"
gzip -dc "$boot/initrd.img-$release" | cpio -t 2> /dev/null | grep -q 'xen-blkfront.ko' ||
    die "the image's initramfs lacks xen-blkfront"
scripts/bzimage-to-elf.sh "$boot/vmlinuz-$release" "$boot/vmlinux-$release.gz"
# Names GRUB's config (and run.sh) use, whatever the kernel's release.
ln -sf "vmlinuz-$release" "$boot/vmlinuz"
ln -sf "initrd.img-$release" "$boot/initrd.img"
ln -sf "vmlinux-$release.gz" "$boot/vmlinux.gz"
cp "$boot/vmlinuz-$release" "$dir/vmlinuz"
cp "$boot/initrd.img-$release" "$dir/initrd.img"

say "making the ext4 image ($SIZE)"
# (mke2fs says "Creating regular file" on stdout, which is for the path.)
mke2fs -q -t ext4 -L pvshim-root -d "$root" "$dir/disk.raw.tmp" "$SIZE" >&2 ||
    die "mke2fs failed"
e2fsck -fn "$dir/disk.raw.tmp" > /dev/null 2>&1 || die "the new image does not pass e2fsck"
mv "$dir/disk.raw.tmp" "$dir/disk.raw"
rm -rf "$root"
echo "$kpkg $kver" > "$dir/complete"
say "done: $dir/disk.raw"
echo "$dir"
