# PV-GRUB from Debian's grub-xen-host (scripts/fetch-grub-xen.sh): real PV
# guests nobody here wrote, and the only 32-bit PV guest in Debian 12's
# archive. Each boots through pvshim to its prompt (no disk: the embedded
# config finds nothing to load), runs one command typed on the console and
# powers off with `halt`. The i386 image issues its hypercalls with
# `int $0x82` (no hypercall page) from ring 1.

grub_xen_prompt() {
    local image=$1 dir
    dir=$(scripts/fetch-grub-xen.sh 2> "$(scratch fetch.log)") ||
        { fail "cannot fetch grub-xen-host: $(tail -n 1 "$(scratch fetch.log)")"; return 1; }
    printf 'echo pvgrub-answers-%s\nhalt\n' "$image" |
        RUN_PROMPT='grub> ' RUN_TIMEOUT=120 KERNEL="$dir/$image" MEM=512 \
        SHIM_ARGS="loglevel=3 trace=abi" scripts/run.sh > "$LOG" 2>&1
    STATUS=$?
    grep -aq "GNU GRUB  version" "$LOG" || fail "no GRUB banner"
    tr -d "\r" < "$LOG" | grep -aqx "pvgrub-answers-$image" || fail "GRUB did not run the typed command"
    expect_log "guest shut down: poweroff"
    expect_status 0
}

test_grub_i386_xen_prompt() {
    grub_xen_prompt grub-i386-xen.bin
    expect_log "guest kernel: ELF, 32-bit"
}

test_grub_x86_64_xen_prompt() {
    grub_xen_prompt grub-x86_64-xen.bin
    expect_log "guest kernel: ELF, 64-bit"
}
