#!/bin/sh
# Builds the test initramfs (gzip-compressed newc cpio) for real Linux
# guests: Debian's busybox-static (fetched by fetch-guests.sh), the /init in
# tests/guest-userspace/, and the C tests there built with the host gcc
# -static into /tests/; the benchmark programs of tests/bench/guest/ into
# /bench/ (those in its nolibc/ without any C library).
#
#   scripts/mkinitramfs.sh [OUTPUT]   default: $BUILD/debian/initramfs.cpio.gz
#
# Does nothing when OUTPUT is newer than all of its inputs. Needs no root:
# the one device node (/dev/console, which the kernel opens for /init before
# anything is mounted) is written into the archive directly.
set -eu
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
OUT=${1:-$BUILD/debian/initramfs.cpio.gz}
CACHE=${GUEST_CACHE:-cache/guests}
BUSYBOX=$CACHE/busybox
SRC=tests/guest-userspace
BENCH_SRC=tests/bench/guest
MODULES=$BUILD/debian/modules   # scripts/fetch-guest-modules.sh, if it ran
CC=${HOSTCC:-gcc}

say() { echo "mkinitramfs: $*" >&2; }

[ -s "$BUSYBOX" ] || scripts/fetch-guests.sh
[ -s "$BUSYBOX" ] || { say "error: no $BUSYBOX"; exit 1; }

mkdir -p "$(dirname "$OUT")"
exec 9> "$OUT.lock"
flock 9

if [ -s "$OUT" ] &&
   [ -z "$(find "$SRC" "$BENCH_SRC" scripts/mkinitramfs.sh "$BUSYBOX" $MODULES/lib \
             -newer "$OUT" 2>/dev/null | head -n 1)" ]; then
    exit 0
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/pvshim-initramfs.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM
root=$work/root
mkdir -p "$root/bin" "$root/sbin" "$root/usr/bin" "$root/usr/sbin" \
    "$root/proc" "$root/sys" "$root/dev" "$root/tmp" "$root/tests" "$root/etc" \
    "$root/bench"

cp "$BUSYBOX" "$root/bin/busybox"
chmod 755 "$root/bin/busybox"
for applet in $("$BUSYBOX" --list-full); do
    [ "$applet" = bin/busybox ] && continue
    ln -sf /bin/busybox "$root/$applet"
done

for src in "$SRC"/*.c; do
    name=$(basename "$src" .c)
    say "CC $src"
    $CC -static -O2 -g0 -s -Wall -Wextra -Werror -pthread -I"$SRC" \
        -o "$root/tests/$name" "$src"
done
for src in "$BENCH_SRC"/*.c; do
    name=$(basename "$src" .c)
    say "CC $src"
    $CC -static -O2 -g0 -s -Wall -Wextra -Werror -o "$root/bench/$name" "$src"
done
for src in "$BENCH_SRC"/nolibc/*.c; do
    name=$(basename "$src" .c)
    say "CC $src (no libc)"
    $CC -static -nostdlib -ffreestanding -fno-stack-protector -fno-pie -no-pie \
        -O2 -g0 -s -Wall -Wextra -Werror -Wl,--build-id=none -o "$root/bench/$name" "$src"
done
if [ -d "$MODULES/lib" ]; then
    cp -r "$MODULES/lib" "$root/"
fi
cp "$SRC/init" "$root/init"
chmod 755 "$root/init"

# Fixed timestamps, sorted names: the same inputs give the same archive.
find "$root" -exec touch -h -d @0 {} +

# newc_node NAME MODE MAJOR MINOR INO: one cpio newc header for a device node.
newc_entry() {
    name=$1 mode=$2 major=$3 minor=$4 ino=$5
    namesize=$((${#name} + 1))
    printf '070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X' \
        "$ino" "$mode" 0 0 1 0 0 0 0 "$major" "$minor" "$namesize" 0
    printf '%s\000' "$name"
    pad=$(((4 - (110 + namesize) % 4) % 4))
    while [ $pad -gt 0 ]; do printf '\000'; pad=$((pad - 1)); done
}

(cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --reproducible --quiet) \
    > "$work/files.cpio"
# A second archive after the first: the kernel unpacks both in order.
{
    newc_entry dev/console $((0x2180)) 5 1 900001   # char device, mode 0600
    newc_entry TRAILER!!! 0 0 0 0
} > "$work/nodes.cpio"

cat "$work/files.cpio" "$work/nodes.cpio" | gzip -9n > "$work/initramfs.cpio.gz"
mv -f "$work/initramfs.cpio.gz" "$OUT"
say "$OUT: $(wc -c < "$OUT") bytes"
