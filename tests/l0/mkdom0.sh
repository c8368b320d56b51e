#!/bin/sh
# Builds the dom0 initramfs of the L0 harness (tests/l0/run-l0.sh): Debian
# 12's busybox-static, the toolstack of xen-utils-4.17 (xl, xenstored,
# xenconsoled, xenconsole, xen-init-dom0) with the shared libraries it
# needs, xenstore-utils (xenstore-read/-write for the harness's own disk and
# NIC hotplug scripts), Debian's xen-shim (the reference shim), and the dom0
# kernel's Xen device modules (evtchn, privcmd, gntdev, gntalloc, xenfs,
# blkback, netback, loop) taken from the linux-image package whose vmlinuz
# fetch-guests.sh put in cache/guests.
#
#   tests/l0/mkdom0.sh [OUTPUT]   default: $BUILD/l0/dom0-base.cpio.gz
#
# Packages are fetched with `apt-get download` (verified by apt against the
# signed archive index) into $L0_CACHE (default cache/l0) and unpacked with
# dpkg-deb; libraries the packages do not carry (libc, libyajl, libxen*)
# come from this host (Debian 12, where the build needs libxen-dev anyway),
# found with ldd. Does nothing when OUTPUT is newer than its inputs.
set -eu
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
OUT=${1:-$BUILD/l0/dom0-base.cpio.gz}
CACHE=${L0_CACHE:-cache/l0}
GUESTS=${GUEST_CACHE:-cache/guests}
BUSYBOX=$GUESTS/busybox

say() { echo "mkdom0: $*" >&2; }
die() { say "error: $*"; exit 1; }

[ -s "$BUSYBOX" ] && [ -s "$GUESTS/VERSIONS" ] || scripts/fetch-guests.sh
kpkg=$(sed -n 's/^vmlinuz-6.1-generic //p' "$GUESTS/VERSIONS" | cut -d' ' -f1)
[ -n "$kpkg" ] || die "no vmlinuz-6.1-generic in $GUESTS/VERSIONS"
PKGS="xen-utils-4.17 xenstore-utils $kpkg"

mkdir -p "$CACHE" "$(dirname "$OUT")"
exec 9> "$CACHE/.lock"
flock 9
for p in $PKGS; do
    ls "$CACHE/${p}_"*.deb > /dev/null 2>&1 && continue
    say "apt-get download $p"
    (cd "$CACHE" && apt-get -q -o APT::Sandbox::User=root download "$p" >&2) ||
        die "apt-get download $p failed"
done
debs=
for p in $PKGS; do debs="$debs $(ls "$CACHE/${p}_"*.deb | tail -n 1)"; done
exec 9>&-

if [ -s "$OUT" ] &&
   [ -z "$(find $debs tests/l0/mkdom0.sh tests/l0/dom0-init "$BUSYBOX" -newer "$OUT" | head -n 1)" ]; then
    echo "$OUT"
    exit 0
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/pvshim-dom0.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM
for d in $debs; do dpkg-deb -x "$d" "$work/pkgs"; done
root=$work/root
X=usr/lib/xen-4.17
mkdir -p "$root/bin" "$root/sbin" "$root/usr/bin" "$root/usr/sbin" "$root/proc" \
    "$root/sys" "$root/dev" "$root/tmp" "$root/run" "$root/etc/xen" "$root/lib/modules" \
    "$root/$X/bin" "$root/$X/boot" "$root/var/lib/xen" "$root/var/log/xen" \
    "$root/var/lib/xenstored" "$root/l0"
cp "$BUSYBOX" "$root/bin/busybox"
for applet in $("$BUSYBOX" --list-full); do
    [ "$applet" = bin/busybox ] && continue
    ln -sf /bin/busybox "$root/$applet"
done
ln -s /run "$root/var/run"

bins="xl xenstored xenconsoled xenconsole xen-init-dom0 libxl-save-helper"
for b in $bins; do
    cp "$work/pkgs/$X/bin/$b" "$root/$X/bin/$b" || die "no $X/bin/$b in xen-utils-4.17"
    ln -sf "/$X/bin/$b" "$root/usr/sbin/$b"
done
cp "$work/pkgs/$X/boot/xen-shim" "$root/$X/boot/xen-shim" || die "no xen-shim in xen-utils-4.17"
cp "$work/pkgs/usr/bin/xenstore" "$root/usr/bin/xenstore" || die "no xenstore in xenstore-utils"
for t in read write rm ls exists; do ln -sf xenstore "$root/usr/bin/xenstore-$t"; done
# The shared libraries: those in the packages first, then this host's.
LD_LIBRARY_PATH="$work/pkgs/usr/lib/x86_64-linux-gnu" ldd "$work/pkgs/usr/bin/xenstore" > "$work/ldd-xenstore"
for b in $bins; do
    LD_LIBRARY_PATH="$work/pkgs/usr/lib/x86_64-linux-gnu" ldd "$work/pkgs/$X/bin/$b"
done | cat - "$work/ldd-xenstore" | awk '/=>/ { print $3 } /^\t\/lib64\/ld-linux/ { print $1 }' | sort -u > "$work/libs"
# Loaded with dlopen by glibc for pthread_cancel (xl aborts without it).
gcc_s=$(ldconfig -p | awk '/libgcc_s.so.1 .*x86-64/ { print $NF; exit }')
[ -n "$gcc_s" ] || die "no libgcc_s.so.1 on this host"
echo "$gcc_s" >> "$work/libs"
grep -q . "$work/libs" || die "ldd found no libraries"
if LD_LIBRARY_PATH="$work/pkgs/usr/lib/x86_64-linux-gnu" ldd "$work/pkgs/$X/bin/xl" | grep -q 'not found'; then
    die "xl needs libraries this host lacks (install libxen-dev libyajl2): $(ldd "$work/pkgs/$X/bin/xl" | grep 'not found' | tr -d '\t' | tr '\n' ' ')"
fi
while read -r lib; do
    dest=$root/$(echo "$lib" | sed "s|^$work/pkgs/||; s|^/||")
    mkdir -p "$(dirname "$dest")"
    cp -L "$lib" "$dest"
done < "$work/libs"
mkdir -p "$root/lib64" "$root/usr/lib/x86_64-linux-gnu" "$root/lib/x86_64-linux-gnu"
[ -e "$root/lib64/ld-linux-x86-64.so.2" ] || cp -L /lib64/ld-linux-x86-64.so.2 "$root/lib64/"

kmods=$(ls -d "$work/pkgs/lib/modules/"* | head -n 1)
for m in drivers/xen/xen-evtchn drivers/xen/xen-privcmd drivers/xen/xen-gntdev \
         drivers/xen/xen-gntalloc drivers/xen/xenfs/xenfs \
         drivers/block/xen-blkback/xen-blkback drivers/net/xen-netback/xen-netback \
         drivers/block/loop; do
    cp "$kmods/kernel/$m.ko" "$root/lib/modules/" || die "no $m.ko in $kpkg"
done
# xl's global configuration: no autoballooning of dom0 (dom0_mem is fixed).
printf 'autoballoon="off"\n' > "$root/etc/xen/xl.conf"
cp tests/l0/dom0-init "$root/init"
chmod 755 "$root/init"

find "$root" -exec touch -h -d @0 {} +
(cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --reproducible --quiet) \
    | gzip -6n > "$work/out.cpio.gz"
mv -f "$work/out.cpio.gz" "$OUT"
say "$OUT: $(wc -c < "$OUT") bytes"
echo "$OUT"
