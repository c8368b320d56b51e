#!/bin/sh
# Checks a built pvshim .deb (make deb-check): the files it must install,
# its images and tool in working order, its dependencies satisfiable here,
# and lintian without errors (warnings are printed, not fatal).
#   tests/tools/check-deb.sh build/deb/pvshim_VERSION_amd64.deb
set -eu
deb=$1
[ -f "$deb" ] || { echo "check-deb: no $deb (make deb)"; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failed=0
bad() { echo "check-deb: FAIL: $*"; failed=1; }

dpkg-deb -c "$deb" | awk '{print $6}' | sed 's|^\./|/|' > "$tmp/list"
for f in /usr/lib/pvshim/pvshim /usr/lib/pvshim/pvshim-pvh /usr/bin/pvshim-bundle \
         /usr/bin/pvshim-xl-convert /usr/share/man/man1/pvshim-xl-convert.1.gz \
         /usr/bin/pvshim-abi-report /usr/share/man/man1/pvshim-abi-report.1.gz \
         /usr/bin/pvshim-inventory /usr/share/man/man1/pvshim-inventory.1.gz \
         /usr/bin/pvshim-save-info /usr/share/man/man1/pvshim-save-info.1.gz \
         /usr/share/man/man7/pvshim.7.gz /usr/share/man/man1/pvshim-bundle.1.gz \
         /usr/share/doc/pvshim/copyright /usr/share/doc/pvshim/README.md.gz; do
    grep -qx "$f" "$tmp/list" || bad "the package lacks $f"
done
if grep -v -e '^/usr/' -e '^/$' "$tmp/list" | grep -q .; then
    bad "files outside /usr: $(grep -v -e '^/usr/' -e '^/$' "$tmp/list" | tr '\n' ' ')"
fi

dpkg-deb -x "$deb" "$tmp/root"
r=$tmp/root
readelf -n "$r/usr/lib/pvshim/pvshim-pvh" | grep -q 'Xen.*0x00000012' ||
    bad "pvshim-pvh has no PVH entry note (XEN_ELFNOTE_PHYS32_ENTRY)"
"$r/usr/bin/pvshim-bundle" --version | grep -q '^pvshim-bundle ' ||
    bad "pvshim-bundle --version"
head -c 5000 /dev/urandom > "$tmp/k"
"$r/usr/bin/pvshim-bundle" -k "$tmp/k" -c "console=hvc0" -o "$tmp/b" &&
    "$r/usr/bin/pvshim-bundle" --show "$tmp/b" | grep -q 'cmdline: "console=hvc0"' ||
    bad "the packaged pvshim-bundle does not round-trip a bundle"
printf 'kernel = "/boot/vmlinuz"\nvcpus = 2\n' |
    "$r/usr/bin/pvshim-xl-convert" -q - | grep -qx 'type = "pvh"' ||
    bad "the packaged pvshim-xl-convert does not convert"
printf '%s\n' 'guest line' '{"pvshim":"exit","reason":"poweroff","code":0,"qemu_status":0}' |
    "$r/usr/bin/pvshim-abi-report" -s -n g - | grep -q '^g: exit poweroff (QEMU status 0)' ||
    bad "the packaged pvshim-abi-report does not read a record"
# No Xen here: the inventory judges one file, the packaged PVH image, which
# is no PV kernel (exit status 3, refused, with the parser's reason).
set +e
"$r/usr/bin/pvshim-inventory" -k "$r/usr/lib/pvshim/pvshim-pvh" > "$tmp/inv" 2>&1
inv_status=$?
set -e
[ $inv_status = 3 ] && grep -q 'pvshim refuses it: kernel has only a PVH entry point' "$tmp/inv" ||
    bad "the packaged pvshim-inventory does not judge a kernel (status $inv_status: $(cat "$tmp/inv"))"
man -l "$r/usr/share/man/man7/pvshim.7.gz" 2> /dev/null | grep -q 'EXIT STATUS' ||
    bad "pvshim(7) does not render"

# Every dependency names a package installed here (a Debian 12 system).
for dep in $(dpkg-deb -f "$deb" Depends | tr ',' '\n' | sed 's/[ (].*//; s/^ *//'); do
    [ -z "$dep" ] && continue
    dpkg-query -W -f='${Status}' "$dep" 2> /dev/null | grep -q 'install ok installed' ||
        bad "dependency $dep is not installed on this system"
done

lintian --tag-display-limit 0 "$deb" > "$tmp/lintian" 2>&1 || true
grep -v '^running with root' "$tmp/lintian" | sed 's/^/  lintian: /'
grep -q '^E: ' "$tmp/lintian" && bad "lintian reports errors"

[ $failed = 0 ] && echo "check-deb: $deb: contents, tool, dependencies and lintian OK"
exit $failed
