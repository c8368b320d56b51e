#!/bin/sh
# The guest `make run` boots when none is given (scripts/run.sh evals this
# script's output): Debian's 6.1 cloud kernel, a Xen PV guest with no dom0
# support, and the test initramfs in shell mode, console on Xen's hvc0.
# Fetches and builds what is missing; progress goes to stderr, only the
# assignments to stdout.
set -eu
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
CACHE=${GUEST_CACHE:-cache/guests}
initrd=$BUILD/debian/initramfs.cpio.gz

scripts/fetch-guests.sh >&2
# The PV frontends are modules in Debian's kernels (disks and NICs of
# DISK= and NET=); without them the shell still comes up.
scripts/fetch-guest-modules.sh >&2 || echo "default-guest: no frontend modules" >&2
scripts/mkinitramfs.sh "$initrd" >&2

printf "KERNEL='%s'\n" "$CACHE/vmlinuz-6.1-cloud"
printf "INITRD='%s'\n" "$initrd"
printf "CMDLINE='%s'\n" "console=hvc0 earlyprintk=xen pvshim.test=shell"
