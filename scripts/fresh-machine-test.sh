#!/bin/bash
# Proves the README on a machine that has never seen this project: a new
# minimal Debian 12 root (mmdebstrap --variant=minbase, plus git, make and
# ca-certificates only), a clean clone of the committed HEAD inside it, and
# the README's commands run there as root.
#
#   scripts/fresh-machine-test.sh                 make test, then a scripted make run
#   scripts/fresh-machine-test.sh -- CMD...       run CMD (a shell command line) in the clone
#   FRESH_BASE=path     the pristine base tarball (default /var/tmp/pvshim-bookworm-minbase.tar;
#                       made once, about a minute; delete it to make it anew)
#   FRESH_KEEP=1        keep the root afterwards (its path is printed)
#
# Nothing from this machine is copied in but the clone and resolv.conf: every
# package the project needs is installed inside by its own scripts. The root
# runs in its own mount and PID namespaces, so its mounts and processes end
# with it on every exit path; the directory is removed by the trap.
# Exit status: that of the commands inside (or 2 for a set-up failure).
set -euo pipefail

die() { echo "fresh-machine-test: $*" >&2; exit 2; }
[ "$(id -u)" -eq 0 ] || die "needs root (chroot, mounts, apt-get)"

repo=$(git -C "$(dirname "$0")/.." rev-parse --show-toplevel)
cmd=
if [ "${1:-}" = "--" ]; then
    shift
    cmd="$*"
    [ -n "$cmd" ] || die "nothing to run after --"
fi
# The default: the README's two commands, make run fed a command and a
# power-off on its standard input (its scripted mode); the guest must have
# evaluated the command and powered off cleanly.
[ -n "$cmd" ] || cmd='make test && { printf "echo run-reached-\$((6*7))\npoweroff -f\n" |
    make run > run.log 2>&1; s=$?; cat run.log; [ $s = 0 ] && grep -q "^run-reached-42" run.log ||
    { echo "make run: no clean power-off after the typed command (status $s)"; exit 1; }; }'

[ -n "$(git -C "$repo" status --porcelain --untracked-files=no)" ] &&
    echo "fresh-machine-test: note: uncommitted changes are not tested (clone of HEAD)" >&2

base=${FRESH_BASE:-/var/tmp/pvshim-bookworm-minbase.tar}
mirror=http://deb.debian.org/debian
if [ ! -s "$base" ]; then
    if ! command -v mmdebstrap > /dev/null; then
        apt-get update -q > /dev/null
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q mmdebstrap > /dev/null ||
            die "cannot install mmdebstrap"
    fi
    echo "fresh-machine-test: building the pristine bookworm base in $base (once)"
    mmdebstrap --quiet --format=tar --variant=minbase --include=ca-certificates,git,make \
        bookworm "$base.tmp" "deb $mirror bookworm main" "deb $mirror bookworm-updates main" \
        "deb $mirror-security bookworm-security main" || die "mmdebstrap failed"
    mv "$base.tmp" "$base"
fi

root=$(mktemp -d /var/tmp/pvshim-fresh-root.XXXXXX)
cleanup() {
    # The namespaces took the mounts with them; these are for a killed unshare.
    for m in dev/pts dev sys proc; do
        mountpoint -q "$root/$m" 2> /dev/null && umount -l "$root/$m"
    done
    if [ -n "${FRESH_KEEP:-}" ]; then
        echo "fresh-machine-test: root kept in $root"
    else
        rm -rf --one-file-system "$root"
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

tar -C "$root" -xf "$base"
git clone -q --no-local "$repo" "$root/src"
cp /etc/resolv.conf "$root/etc/resolv.conf" 2> /dev/null || true

echo "fresh-machine-test: in a new Debian 12 minbase root, clone of $(git -C "$repo" rev-parse --short HEAD): $cmd"
status=0
unshare --mount --pid --fork --kill-child -- /bin/sh -s "$root" "$cmd" <<'INNER' || status=$?
set -e
root=$1
for m in sys dev dev/pts; do mkdir -p "$root/$m"; mount --bind "/$m" "$root/$m"; done
# A proc of the new PID namespace: the host's would name other processes
# (a sanitizer's /proc/self/task would be the wrong one).
mkdir -p "$root/proc"; mount -t proc proc "$root/proc"
exec chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root \
    TERM=dumb LANG=C.UTF-8 CI=${CI:-} /bin/sh -c "cd /src && $2" < /dev/null
INNER
echo "fresh-machine-test: exit status $status"
exit $status
