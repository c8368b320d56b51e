#!/bin/sh
# Fetches the real guests pvshim is tested with from Debian's archive into
# cache/guests/ (never committed):
#   vmlinuz-6.1-cloud    kernel package linux-image-cloud-amd64 depends on
#   vmlinuz-6.1-generic  kernel package linux-image-amd64 depends on
#   vmlinuz-6.12-cloud   the same from bookworm-backports (cloud if it has one,
#                        else generic; the name follows the version fetched)
#   config-*             each kernel's build configuration, for reference
#   busybox              from busybox-static
#   VERSIONS             "name package version" per line
#
#   scripts/fetch-guests.sh            fetch whatever is missing (no network
#                                      access when everything is there)
#   scripts/fetch-guests.sh --refresh  re-resolve and fetch everything again
#
# The metapackages are resolved with apt-cache, so the kernel ABI number
# is never written down here. bookworm-backports is added to apt's sources
# (a file of our own) when no source lists it. Needs root or sudo only for
# that and for apt-get update.
set -eu
cd "$(dirname "$0")/.."
OUT=${GUEST_CACHE:-cache/guests}
BPO_SOURCES=/etc/apt/sources.list.d/pvshim-bookworm-backports.sources
refresh=0
[ "${1:-}" = "--refresh" ] && refresh=1

say() { echo "fetch-guests: $*" >&2; }
die() { say "error: $*"; exit 1; }

as_root() {
    if [ "$(id -u)" -eq 0 ]; then
        "$@"
    elif command -v sudo > /dev/null 2>&1; then
        sudo "$@"
    else
        die "need root to run: $*"
    fi
}

mkdir -p "$OUT"
# Parallel test runs may call us at once: one fetcher at a time.
exec 9> "$OUT/.lock"
flock 9

have() { [ -s "$OUT/$1" ] && grep -q "^$1 " "$OUT/VERSIONS" 2>/dev/null; }
# The backports kernel is recorded with its ~bpo version, whatever its name.
have_bpo() {
    name=$(awk '$1 ~ /^vmlinuz-/ && $3 ~ /~bpo/ { print $1; exit }' \
        "$OUT/VERSIONS" 2>/dev/null)
    [ -n "$name" ] && have "$name"
}

# Nothing to do? Then do not touch apt or the network at all.
if [ $refresh = 0 ] && have busybox &&
   have vmlinuz-6.1-cloud && have vmlinuz-6.1-generic && have_bpo; then
    exit 0
fi

command -v apt-get > /dev/null || die "apt-get not found (Debian host needed)"
command -v dpkg-deb > /dev/null || die "dpkg-deb not found"

apt_update() {
    say "apt-get update"
    as_root apt-get update -q >&2 ||
        die "apt-get update failed: is deb.debian.org reachable?"
}

# Any active apt source for bookworm-backports (one-line or deb822 form)?
bpo_configured() {
    cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list \
        /etc/apt/sources.list.d/*.sources 2>/dev/null |
        grep -v '^[[:space:]]*#' | grep -qw 'bookworm-backports'
}

# Does apt know a candidate for the package?
apt_knows() {
    apt-cache policy "$1" 2>/dev/null | grep -q 'Candidate: [^(]'
}
# Does the package exist in the given release (suite)?
apt_has_in() { # PACKAGE SUITE
    apt-cache policy "$1" 2>/dev/null | grep -q " $2/main "
}

if ! bpo_configured; then
    say "adding bookworm-backports to apt sources ($BPO_SOURCES)"
    printf '%s\n' \
        "# Added by pvshim's scripts/fetch-guests.sh: backports kernels for tests." \
        "Types: deb" \
        "URIs: http://deb.debian.org/debian" \
        "Suites: bookworm-backports" \
        "Components: main" \
        "Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg" |
        as_root tee "$BPO_SOURCES" > /dev/null
fi
if [ $refresh = 1 ] || ! apt_knows linux-image-cloud-amd64 ||
   ! apt_knows busybox-static ||
   ! apt-cache policy 2>/dev/null | grep -q 'bookworm-backports/main'; then
    apt_update
fi

# The kernel package a metapackage depends on, as apt resolves it now.
resolve_kernel() { # META [RELEASE]
    apt-cache ${2:+-t "$2"} depends --no-recommends --no-suggests "$1" 2>/dev/null |
        awk '$1 == "Depends:" && $2 ~ /^linux-image-/ { print $2; exit }'
}

TMP=$(mktemp -d "$OUT/.tmp.XXXXXX")
trap 'rm -rf "$TMP"' EXIT INT TERM
new_versions=$TMP/VERSIONS
touch "$new_versions"
[ $refresh = 0 ] && [ -f "$OUT/VERSIONS" ] && cp "$OUT/VERSIONS" "$new_versions"

# download PACKAGE [RELEASE]: the .deb into $TMP, its path on stdout.
download() {
    rm -rf "$TMP/dl" && mkdir "$TMP/dl"
    # apt drops privileges to _apt while downloading when it can.
    chmod 755 "$TMP" && chmod 777 "$TMP/dl"
    say "downloading $1${2:+ from $2}"
    (cd "$TMP/dl" && apt-get download -q ${2:+-t "$2"} "$1" >&2) || return 1
    deb=$(ls "$TMP"/dl/*.deb 2>/dev/null | head -n 1)
    [ -n "$deb" ] || return 1
    echo "$deb"
}

updated=0
# fetch_deb PACKAGE-COMMAND...: the .deb's path on stdout. The command
# prints the package name; if the download fails, apt's lists may be stale
# (the archive drops superseded kernels): update once (per package) and
# resolve again.
fetch_deb() { # RELEASE RESOLVER [ARGS]
    rel=$1
    shift
    pkg=$("$@")
    [ -n "$pkg" ] || die "cannot resolve: $*"
    if deb=$(download "$pkg" "$rel"); then
        echo "$deb"
        return 0
    fi
    if [ $updated = 0 ]; then
        updated=1
        apt_update
        pkg=$("$@")
        [ -n "$pkg" ] || die "cannot resolve: $*"
        deb=$(download "$pkg" "$rel") && { echo "$deb"; return 0; }
    fi
    die "apt-get download $pkg failed: is deb.debian.org reachable?"
}

record() { # NAME PACKAGE VERSION
    grep -v "^$1 " "$new_versions" > "$TMP/v" || true
    echo "$1 $2 $3" >> "$TMP/v"
    sort "$TMP/v" > "$new_versions"
}

# fetch_kernel NAME META [RELEASE]: vmlinuz-NAME and config-NAME.
fetch_kernel() {
    name=$1 meta=$2 rel=${3:-}
    if [ $refresh = 0 ] && have "vmlinuz-$name"; then
        return 0
    fi
    deb=$(fetch_deb "$rel" resolve_kernel "$meta" "$rel")
    pkg=$(dpkg-deb -f "$deb" Package)
    ver=$(dpkg-deb -f "$deb" Version)
    rm -rf "$TMP/x" && mkdir "$TMP/x"
    # Only /boot is needed; the modules stay in the package.
    dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$TMP/x" --wildcards './boot/*'
    kernel=$(ls "$TMP"/x/boot/vmlinuz-* 2>/dev/null | head -n 1)
    config=$(ls "$TMP"/x/boot/config-* 2>/dev/null | head -n 1)
    [ -n "$kernel" ] && [ -n "$config" ] || die "$pkg has no /boot/vmlinuz-* and config-*"
    mv -f "$config" "$OUT/config-$name"
    mv -f "$kernel" "$OUT/vmlinuz-$name"
    record "vmlinuz-$name" "$pkg" "$ver"
    rm -rf "$TMP/x" "$deb"
    say "vmlinuz-$name: $pkg $ver"
}

fetch_kernel 6.1-cloud linux-image-cloud-amd64
fetch_kernel 6.1-generic linux-image-amd64

# Backports: cloud flavour if backports has one; named by the version found.
if [ $refresh = 1 ] || ! have_bpo; then
    flavour=cloud meta=linux-image-cloud-amd64
    if ! apt_has_in "$meta" bookworm-backports; then
        flavour=generic meta=linux-image-amd64
    fi
    pkg=$(resolve_kernel "$meta" bookworm-backports)
    [ -n "$pkg" ] || die "cannot resolve $meta in bookworm-backports"
    series=$(echo "$pkg" | sed -n 's/^linux-image-\([0-9]*\.[0-9]*\)\..*/\1/p')
    [ -n "$series" ] || die "cannot read a kernel series from $pkg"
    [ "$series" = 6.12 ] || say "warning: bookworm-backports now has $series, not 6.12"
    fetch_kernel "$series-$flavour" "$meta" bookworm-backports
fi

if [ $refresh = 1 ] || ! have busybox; then
    deb=$(fetch_deb "" echo busybox-static)
    ver=$(dpkg-deb -f "$deb" Version)
    rm -rf "$TMP/x" && mkdir "$TMP/x"
    dpkg-deb -x "$deb" "$TMP/x"
    [ -x "$TMP/x/bin/busybox" ] || die "busybox-static has no /bin/busybox"
    mv -f "$TMP/x/bin/busybox" "$OUT/busybox"
    record busybox busybox-static "$ver"
    rm -rf "$TMP/x" "$deb"
    say "busybox: busybox-static $ver"
fi

mv -f "$new_versions" "$OUT/VERSIONS"

# Every guest kernel must be able to run as a Xen PV guest.
status=0
for config in "$OUT"/config-*; do
    if grep -q '^CONFIG_XEN_PV=y' "$config"; then
        say "$(basename "$config"): CONFIG_XEN_PV=y"
    else
        say "error: $(basename "$config") lacks CONFIG_XEN_PV=y"
        status=1
    fi
done
exit $status
