#!/bin/sh
# pvshim's Multiboot header gives the loader one flat load range, so every
# loadable segment must sit in the file at (physical address - load address).
# Fail the build if the linker ever lays the image out differently.
set -eu
image=$1
base=
bad=0
readelf -lW "$image" | awk '$1 == "LOAD" { print $2, $4 }' > "$image.segments"
while read -r off pa; do
    delta=$((pa - off))
    [ -n "$base" ] || base=$delta
    if [ "$delta" -ne "$base" ]; then
        echo "check-image-layout: segment at paddr $pa has file offset $off; image is not flat" >&2
        bad=1
    fi
done < "$image.segments"
rm -f "$image.segments"
exit $bad
