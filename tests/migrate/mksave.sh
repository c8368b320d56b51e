#!/bin/sh
# Makes real `xl save` files of classic 64-bit PV guests with Debian's Xen
# 4.17 (the L0 harness: Xen + a Linux dom0 with xl, under QEMU TCG; see
# tests/l0/README.md) and keeps them in $MIGRATE_CACHE (default
# cache/migrate):
#   pvtest64.xlsave  pvtest64 in "pvtest64-migrate" mode (a step counter and
#                    a buffer in memory), 32 MiB, saved at step >= 3
#   linux.xlsave     Debian's 6.1 cloud kernel, the test initramfs with
#                    tests/migrate/linux-workload as init (a counter, a file
#                    with its checksum, a child process), 128 MiB, saved at
#                    step >= 5
#   linuxsmp.xlsave  the same with 2 vCPUs (a worker pinned to each), saved
#                    at step >= 5
#   linuxdisk.xlsave the same with 1 vCPU and a disk (xvda from dom0's
#                    blkback, migrate.disk: every step writes and reads it),
#                    saved at step >= 5; linuxdisk.disk is the disk image as
#                    it was at the save
# and, next to each, NAME.info (md5, size, seconds xl save took, whether
# Xen's own `xl restore` of the file finished the workload).
#
#   tests/migrate/mksave.sh [--only "pvtest64 linux linuxsmp linuxdisk"] [--timeout S]
#
# dom0 runs tests/migrate/dom0-save.sh; the files come back on a virtio
# disk (a scratch raw image) at the offsets dom0 prints. Exit status: 0 all
# saved and Xen's restore of each passed; 1 a save or restore failed; 2 the
# run did not finish; 3 setup problem. Takes minutes (TCG); not in make test.
set -u
cd "$(dirname "$0")/../.." || exit 3
BUILD=${BUILD:-build}
OUTDIR=${MIGRATE_CACHE:-cache/migrate}
only="pvtest64 linux linuxsmp linuxdisk"
timeout=2400
while [ $# -gt 0 ]; do
    case $1 in
    --only) only=$2; shift 2 ;;
    --timeout) timeout=$2; shift 2 ;;
    *) echo "mksave: unknown option $1" >&2; exit 3 ;;
    esac
done
say() { echo "mksave: $*" >&2; }
die() { say "$*"; exit 3; }

xen=$(scripts/fetch-xen.sh) || die "cannot fetch Xen"
base=$(tests/l0/mkdom0.sh) || die "cannot build the dom0 initramfs"
scripts/mkinitramfs.sh || die "cannot build the guest initramfs"
dom0_kernel=${GUEST_CACHE:-cache/guests}/vmlinuz-6.1-generic
kdeb=$(ls cache/l0/linux-image-*.deb 2>/dev/null | tail -n 1)
[ -n "$kdeb" ] || die "no linux-image package in cache/l0 (tests/l0/mkdom0.sh)"
for f in "$BUILD/guests/pvtest64" "$dom0_kernel" cache/guests/vmlinuz-6.1-cloud \
         "$BUILD/debian/initramfs.cpio.gz"; do
    [ -s "$f" ] || die "no $f (make all; scripts/fetch-guests.sh)"
done

work=$(mktemp -d "${TMPDIR:-/tmp}/pvshim-mksave.XXXXXX")
qpid=
cleanup() {
    [ -n "$qpid" ] && kill "$qpid" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 2' INT TERM

# The payload: the saver script, virtio modules for dom0, the guests.
mkdir -p "$work/l0/modules" "$work/kdeb" "$work/wl"
dpkg-deb -x "$kdeb" "$work/kdeb" || die "cannot unpack $kdeb"
for m in virtio virtio_ring virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci; do
    find "$work/kdeb/lib/modules" -name "$m.ko" -exec cp {} "$work/l0/modules/" \;
done
find "$work/kdeb/lib/modules" -name virtio_blk.ko -exec cp {} "$work/l0/modules/" \;
rm -rf "$work/kdeb"
[ "$(ls "$work/l0/modules" | wc -l)" = 6 ] || die "virtio modules missing in $kdeb"
cp "$BUILD/guests/pvtest64" "$work/l0/"
cp cache/guests/vmlinuz-6.1-cloud "$work/l0/vmlinuz"
# The Linux guest: the test initramfs plus the workload as /migrate-init.
cp tests/migrate/linux-workload "$work/wl/migrate-init"
chmod 755 "$work/wl/migrate-init"
(cd "$work/wl" && echo migrate-init | cpio -o -H newc -R 0:0 --quiet) | gzip -1 > "$work/wl.cpio.gz"
cat "$BUILD/debian/initramfs.cpio.gz" "$work/wl.cpio.gz" > "$work/l0/initramfs.cpio.gz"
cp tests/migrate/dom0-save.sh "$work/l0/tests.sh"
cp tests/l0/hotplug-disk "$work/l0/"
{
    echo "SAVES='$only'"
    echo "DOMAIN_TIMEOUT=600"
    echo "KERNEL_pvtest64=/l0/pvtest64 RAMDISK_pvtest64= CMDLINE_pvtest64=pvtest64-migrate"
    echo "MEMORY_pvtest64=32 READY_pvtest64='MIGRATE: step 3 '"
    echo "DONE_pvtest64='pvtest64: [0-9]+ passed, 0 failed'"
    echo "KERNEL_linux=/l0/vmlinuz RAMDISK_linux=/l0/initramfs.cpio.gz"
    echo "CMDLINE_linux='console=hvc0 rdinit=/migrate-init'"
    echo "MEMORY_linux=128 READY_linux='MIGRATE: step 5 '"
    echo "DONE_linux='MIGRATE: done '"
    echo "KERNEL_linuxsmp=/l0/vmlinuz RAMDISK_linuxsmp=/l0/initramfs.cpio.gz VCPUS_linuxsmp=2"
    echo "CMDLINE_linuxsmp='console=hvc0 rdinit=/migrate-init'"
    echo "MEMORY_linuxsmp=128 READY_linuxsmp='MIGRATE: step 5 '"
    echo "DONE_linuxsmp='MIGRATE: done '"
    echo "KERNEL_linuxdisk=/l0/vmlinuz RAMDISK_linuxdisk=/l0/initramfs.cpio.gz DISK_linuxdisk=yes"
    echo "CMDLINE_linuxdisk='console=hvc0 rdinit=/migrate-init migrate.disk'"
    echo "MEMORY_linuxdisk=128 READY_linuxdisk='MIGRATE: step 5 '"
    echo "DONE_linuxdisk='MIGRATE: done '"
} > "$work/l0/config"
(cd "$work" && find l0 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) | gzip -1 > "$work/payload.cpio.gz"
cat "$base" "$work/payload.cpio.gz" > "$work/dom0.cpio.gz"
disk=$work/disk.raw
truncate -s 1G "$disk"

# One log per set of guests: a test making one fixture may run beside another.
log=$BUILD/migrate/mksave-$(echo $only | tr ' ' -).log
mkdir -p "$(dirname "$log")"
: > "$log"
xen_cmdline="console=com1 com1=115200,8n1 dom0_mem=768M,max:768M dom0_max_vcpus=1 noreboot x2apic=false loglvl=all guest_loglvl=all smap=0"
start=$(date +%s)
say "QEMU (log $log)"
qemu-system-x86_64 -accel tcg -cpu max -m 2048 -smp 1 -display none -nodefaults -no-reboot \
    -serial "file:$log" -kernel "$xen" -append "$xen_cmdline" \
    -initrd "$dom0_kernel console=hvc0 loglevel=4,$work/dom0.cpio.gz" \
    -drive "file=$disk,if=none,id=d0,format=raw" -device virtio-blk-pci,drive=d0 \
    > "$log.qemu" 2>&1 < /dev/null &
qpid=$!
end=$((start + timeout))
outcome=timeout
while kill -0 "$qpid" 2>/dev/null; do
    if grep -q '^L0: END' "$log"; then outcome=end; sleep 1; break; fi
    if grep -qE '^\(XEN\) .*(Panic on CPU|Hardware Dom0 crashed)' "$log"; then outcome=dead; sleep 2; break; fi
    [ "$(date +%s)" -ge "$end" ] && break
    sleep 2
done
grep -q '^L0: END' "$log" && outcome=end
kill "$qpid" 2>/dev/null
wait "$qpid" 2>/dev/null
qpid=
say "QEMU ran $(( $(date +%s) - start ))s, outcome: $outcome"
tr -d '\r' < "$log" | grep -E '^L0: '

status=0
mkdir -p "$OUTDIR"
for name in $only; do
    line=$(tr -d '\r' < "$log" | grep "^L0: SAVED $name " | tail -n 1)
    if [ -z "$line" ]; then say "$name: not saved"; status=1; continue; fi
    set -- $line
    off=$4 bytes=$5 sum=$6 secs=$7 last=${8:-0}
    dd if="$disk" of="$work/$name.xlsave" bs=1M skip="$off" count=$(( (bytes + 1048575) / 1048576 )) 2>/dev/null
    truncate -s "$bytes" "$work/$name.xlsave"
    [ "$(md5sum < "$work/$name.xlsave" | cut -d' ' -f1)" = "$sum" ] ||
        { say "$name: md5 differs after the copy"; status=1; continue; }
    restore=$(tr -d '\r' < "$log" | sed -n "s/^L0: RESULT xen $name-restore //p" | tail -n 1)
    mv "$work/$name.xlsave" "$OUTDIR/$name.xlsave"
    dline=$(tr -d '\r' < "$log" | grep "^L0: SAVED $name.disk " | tail -n 1)
    if [ -n "$dline" ]; then
        set -- $dline
        dd if="$disk" of="$OUTDIR/$name.disk" bs=1M skip="$4" count=$(( ($5 + 1048575) / 1048576 )) 2>/dev/null
        truncate -s "$5" "$OUTDIR/$name.disk"
        [ "$(md5sum < "$OUTDIR/$name.disk" | cut -d" " -f1)" = "$6" ] ||
            { say "$name: the disk image's md5 differs after the copy"; status=1; }
    fi
    {
        echo "md5 $sum"
        echo "bytes $bytes"
        echo "xl-save-seconds $secs"
        echo "last-step-before-save $last"
        echo "xen-restore $restore"
        echo "made $(date -u +%Y-%m-%dT%H:%MZ) by tests/migrate/mksave.sh"
    } > "$OUTDIR/$name.info"
    say "$OUTDIR/$name.xlsave: $bytes bytes, xl save ${secs}s, Xen's restore: $restore"
    case $restore in PASS*) ;; *) status=1 ;; esac
done
[ "$outcome" = end ] || status=2
exit $status
