#!/bin/sh
# Writes the module pvtest64 expects as its initrd (boot.c, check_module):
# "PVTEST64-MODULE len=<total length>\n" then "0123456789abcdef" repeated,
# 5000 bytes in all (not a multiple of the page size on purpose).
set -eu
total=5000
header="PVTEST64-MODULE len=$total
"
body=$((total - ${#header}))
printf '%s' "$header"
i=0
while [ $i -lt $((body / 16 + 1)) ]; do
    printf '0123456789abcdef'
    i=$((i + 1))
done | head -c "$body"
