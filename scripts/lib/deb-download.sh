# Sourced by the fetch scripts: one verified download of a package from
# the bookworm archive this machine's apt knows.
#
#   deb_download PKG DIR    downloads PKG's candidate version into a new
#                           directory under DIR and sets DEB (its path),
#                           DEB_VERSION and DEB_SHA256; dies on failure
#
# apt verifies the download against the signed archive index; the SHA256
# is compared with the index again here, and the package name with the
# one asked for, so a wrong file in the directory cannot pass. Needs
# die() from the caller. Runs `apt-get update` once (root) if apt knows
# no candidate. The caller removes $DEB_TMP when done.

deb_candidate() {
    apt-cache policy "$1" 2>/dev/null | sed -n 's/^ *Candidate: //p'
}

deb_download() {
    command -v apt-get >/dev/null 2>&1 || die "apt-get is needed (Debian)"
    DEB_VERSION=$(deb_candidate "$1")
    if [ -z "$DEB_VERSION" ] || [ "$DEB_VERSION" = "(none)" ]; then
        echo "no candidate for $1, running apt-get update" >&2
        apt-get update -q >&2 || die "apt-get update failed (needs root)"
        DEB_VERSION=$(deb_candidate "$1")
        [ -n "$DEB_VERSION" ] && [ "$DEB_VERSION" != "(none)" ] ||
            die "Debian's archive has no $1"
    fi
    mkdir -p "$2"
    DEB_TMP=$(mktemp -d "$2/fetch.XXXXXX")
    # apt drops privileges to _apt while downloading when it can.
    chmod 777 "$DEB_TMP"
    (cd "$DEB_TMP" && apt-get -q -o APT::Sandbox::User=root download "$1=$DEB_VERSION" >&2) ||
        die "apt-get download $1=$DEB_VERSION failed: is deb.debian.org reachable?"
    DEB=$(ls "$DEB_TMP"/*.deb 2>/dev/null | head -1)
    [ -n "$DEB" ] || die "no .deb downloaded for $1"
    want=$(apt-cache show "$1=$DEB_VERSION" | sed -n 's/^SHA256: //p' | head -1)
    DEB_SHA256=$(sha256sum "$DEB" | cut -d' ' -f1)
    [ -n "$want" ] && [ "$want" = "$DEB_SHA256" ] ||
        die "SHA256 of $DEB is $DEB_SHA256, the archive says $want"
    [ "$(dpkg-deb -f "$DEB" Package)" = "$1" ] || die "$DEB is not $1"
}
