# Shared by profile-pvshim.sh and profile-boot.sh (sourced): QEMU's execution
# log of pvshim's own text (-d in_asm,exec,nochain with -dfilter), counted
# per translation block and attributed to pvshim's functions by address.

# pvshim_text_range IMAGE: "lo hi", the -dfilter range of pvshim's text
# (hi: the last text symbol plus 64 KiB, past the end of the last function).
pvshim_text_range() {
    local lo hi
    read -r lo hi < <(nm -n "$1" | awk '$2 ~ /^[tT]$/ && $1 ~ /^ffff/ {
        if (!lo) lo = $1; hi = $1 } END { print lo, hi }')
    [ -n "$lo" ] || return 1
    printf '%s %x\n' "$lo" $((0x$hi + 0x10000))
}

# pvshim_symbols IMAGE: "address name" of every text symbol, by address.
# NASM's macro-local labels (..@N.name) count as part of the label before.
pvshim_symbols() {
    nm -n "$1" | awk '$2 ~ /^[tT]$/ && $3 !~ /^\.\.@/ { print $1, $3 }'
}

# profiled_boot WORK TAG ENTRY QEMU_EXTRA HMP_AT_ENV BOOT-ONE-ARGS...
# Runs tests/bench/boot-one.sh with QEMU logging into a pipe that is counted
# on the fly into WORK/agg.TAG as "phase pc executions instructions-per-block"
# (phase 0 before the first execution of the block at ENTRY, 1 from there
# on; an empty ENTRY keeps everything in phase 0). Returns boot-one's status.
profiled_boot() {
    local work=$1 tag=$2 entry=$3 extra=$4 hmp=$5 agg status
    shift 5
    mkfifo "$work/log.$tag"
    # This shell holds a write end of the pipe for the whole run, so the
    # counter neither blocks on opening it nor waits forever for a QEMU that
    # never opens it (a run that fails early): it ends when fd 3 is closed.
    exec 3<> "$work/log.$tag"
    awk -v entry="$entry" '
        BEGIN { phase = 0 }
        /^IN:/ { inblk = 1; first = ""; cnt = 0; next }
        inblk && /^0x[0-9a-f]+:/ { if (first == "") first = substr($1, 3, length($1) - 3); cnt++; next }
        inblk && !/^0x/ { if (first != "" && cnt > insns[first]) insns[first] = cnt; inblk = 0 }
        /^Trace / {
            split($0, f, "/"); pc = f[2]; sub(/^0+/, "", pc)
            if (entry != "" && pc == entry) phase = 1
            runs[phase, pc]++
        }
        END { for (k in runs) { split(k, p, SUBSEP); print p[1], p[2], runs[k], insns[p[2]] + 0 } }
    ' < "$work/log.$tag" > "$work/agg.$tag" 3>&- &
    agg=$!
    BENCH_QEMU_EXTRA="$extra -D $work/log.$tag" BENCH_HMP_AT_ENV="$hmp" \
        tests/bench/boot-one.sh "$@" 3>&-
    status=$?
    exec 3>&-
    [ "$status" = 0 ] || kill "$agg" 2> /dev/null
    wait "$agg" 2> /dev/null
    return "$status"
}

# Awk functions for the attribution: hexval (awk numbers are doubles, so
# only the low 40 bits keep every address apart; pvshim's text lies inside
# one such window) and sym (the function containing an address, from the
# symbols loaded into sa[1..ns] / sn[1..ns] in address order).
PROFILE_AWK_SYM='
    function hexval(s,    i, v) {
        if (length(s) > 10) s = substr(s, length(s) - 9)
        v = 0
        for (i = 1; i <= length(s); i++)
            v = v * 16 + index("0123456789abcdef", substr(s, i, 1)) - 1
        return v
    }
    function sym(a,    l, h, m) {
        l = 1; h = ns
        if (a < sa[1]) return "?"
        while (l < h) { m = int((l + h + 1) / 2); if (sa[m] <= a) l = m; else h = m - 1 }
        return sn[l]
    }
'
