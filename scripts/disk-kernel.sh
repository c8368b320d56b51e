#!/bin/sh
# What a PV guest booted from its own disk needs from that disk (pygrub's
# way, done on the host): the newest /boot/vmlinuz-RELEASE and its
# /boot/initrd.img-RELEASE of the ext2/3/4 file system that fills IMAGE,
# copied into DIR, read with debugfs (no mount, no root).
#
#   scripts/disk-kernel.sh IMAGE DIR
#
# Prints KERNEL=, INITRD= and CMDLINE= assignments (root=/dev/xvda: IMAGE is
# the guest's first disk) for scripts/run.sh to eval; status 1, and nothing
# printed, when IMAGE holds no such file system or kernel.
set -eu
img=$1 dir=$2

listing=$(debugfs -R 'ls -p /boot' "$img" 2> /dev/null) || exit 1
# ls -p: /inode/mode/uid/gid/name/size/ per entry; symlinks (vmlinuz) have
# no "-RELEASE" after their names.
release=$(printf '%s\n' "$listing" |
    awk -F/ '$6 ~ /^vmlinuz-./ { print substr($6, 9) }' | sort -V | tail -n 1)
[ -n "$release" ] || exit 1
printf '%s\n' "$listing" | awk -F/ '{ print $6 }' | grep -qx "initrd.img-$release" || exit 1
mkdir -p "$dir"
debugfs -R "dump /boot/vmlinuz-$release $dir/vmlinuz" "$img" > /dev/null 2>&1 || exit 1
debugfs -R "dump /boot/initrd.img-$release $dir/initrd.img" "$img" > /dev/null 2>&1 || exit 1
[ -s "$dir/vmlinuz" ] && [ -s "$dir/initrd.img" ] || exit 1
printf "KERNEL='%s'\n" "$dir/vmlinuz"
printf "INITRD='%s'\n" "$dir/initrd.img"
printf "CMDLINE='%s'\n" "root=/dev/xvda ro console=hvc0"
