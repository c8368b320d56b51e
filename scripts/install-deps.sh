#!/bin/sh
# Installs the Debian 12 packages pvshim needs to build, run and test, when
# any is missing. Quick no-op when everything is there. Needs root (or sudo)
# only when something has to be installed. With --deb: the packaging tools
# `make deb` needs instead.
set -eu

PACKAGES="
    make gcc libc6-dev binutils nasm pkg-config check libxen-dev
    clang libclang-rt-14-dev
    qemu-system-x86 qemu-utils
    gzip bzip2 xz-utils lzma lzop lz4 zstd
    cpio busybox-static apt-utils ca-certificates
    e2fsprogs mmdebstrap
"

# --deb: what `make deb` needs on top (debhelper, lintian); not for every build.
if [ "${1:-}" = --deb ]; then
    PACKAGES="build-essential dpkg-dev debhelper lintian man-db"
fi

missing=
for p in $PACKAGES; do
    status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
    case $status in
    *"install ok installed"*) ;;
    *) missing="$missing $p" ;;
    esac
done
[ -z "$missing" ] && exit 0

echo "install-deps: installing:$missing"
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
        SUDO=sudo
    else
        echo "install-deps: need root to install:$missing" >&2
        exit 1
    fi
else
    SUDO=
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
# shellcheck disable=SC2086
$SUDO apt-get install -y -q --no-install-recommends $missing
