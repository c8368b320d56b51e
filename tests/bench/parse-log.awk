# Reads one log written by boot-one.sh and prints what it measured, one
# "KEY VALUE" pair a line (plain POSIX awk: Debian's default is mawk).
#
#   outcome              done | dead | exited | timeout   (and status N)
#   host_userspace_s     host seconds from QEMU's start to the guest's
#   host_done_s            "stamp userspace" / "stamp done" markers
#   tsc_userspace_s      the guest's TSC at those markers in seconds since
#   tsc_done_s             power-on: QEMU starts the TSC at 0 (under -icount
#                          it counts virtual ns; otherwise host ticks, scaled
#                          by the rate the guest kernel measured)
#   mono_userspace_s     the guest's CLOCK_MONOTONIC at those markers
#   mono_done_s
#   memtotal_kb          MemTotal of the guest
#   op_NAME_ns           nanoseconds per iteration of benchmark NAME
#   iters_NAME           its iteration count
#   ram_kb, pvshim_kb    pvshim's boot log: the VM's RAM and what pvshim keeps
#   phase_NAME_s         pvshim trace=boot: its boot phases (since power-on,
#                          scaled by pvshim's own TSC rate)
#   xen_start_s          Xen console_timestamps=raw: Xen's first line and
#   xen_dom0_entry_s       the last before dom0 runs (since power-on, scaled
#                          by the rate Xen measured)
#   xen_longest_gap_s    the longest time between two of Xen's lines before
#   xen_longest_gap_after  dom0 runs, and the line before it (spaces as _)
#   abi_NAME[/SUB]       pvshim trace=abi: calls per hypercall (sub-operation)
#   abi_trap_WHAT        pvshim trace=abi: emulated or trapped events
#   kernel               the guest's "Linux version" (first three words)

function hex(s,    i, c, v) {
    v = 0
    s = tolower(s)
    for (i = 1; i <= length(s); i++) {
        c = index("0123456789abcdef", substr(s, i, 1))
        if (c == 0)
            break
        v = v * 16 + c - 1
    }
    return v
}

# The value of "key=NUMBER" in the current line.
function field(key,    i) {
    for (i = 1; i <= NF; i++)
        if (index($i, key "=") == 1)
            return substr($i, length(key) + 2)
    return ""
}

function put(k, v) {
    if (!(k in seen)) {
        seen[k] = 1
        printf "%s %s\n", k, v
    }
}

BEGIN { FS = "[ \t]+" }

/^#mode / { icount = $2 == "icount"; next }
/^#end / { put("outcome", $2); put("status", $3); next }
/^#/ { next }

{
    us = $1 + 0
    text = $0
    sub(/^[0-9]+\t/, "", text)
}

text ~ /PVSHIM-BENCH: stamp / {
    n = split(text, w, / +/)
    for (i = 1; i <= n; i++)
        if (w[i] == "stamp")
            name = w[i + 1]
    if (!(("host_" name "_s") in seen)) {
        put("host_" name "_s", sprintf("%.3f", us / 1e6))
        put("mono_" name "_s", sprintf("%.6f", field("mono_ns") / 1e9))
        tsc_stamp[name] = field("tsc")
    }
    next
}

text ~ /PVSHIM-BENCH: memtotal_kb=/ { put("memtotal_kb", field("memtotal_kb")); next }

text ~ /PVSHIM-BENCH: result / {
    n = split(text, w, / +/)
    for (i = 1; i <= n; i++)
        if (w[i] == "result")
            name = w[i + 1]
    it = field("iters")
    ns = field("ns")
    if (it > 0) {
        put("iters_" name, it)
        put("op_" name "_ns", sprintf("%.1f", ns / it))
    }
    next
}

text ~ /^\(pvshim\) memory: [0-9]+ KiB RAM, guest [0-9]+ KiB, pvshim [0-9]+ KiB/ {
    n = split(text, w, / +/)
    for (i = 1; i <= n; i++) {
        if (w[i] == "RAM,") put("ram_kb", w[i - 2])
        if (w[i] == "pvshim") put("pvshim_kb", w[i + 1])
    }
    next
}

text ~ /trace=boot: phase / {
    put("phase_" $(NF - 2) "_s", sprintf("%.6f", field("ns") / 1e9))
    next
}

# trace=abi table rows: "op hypercall sub [sub-operation] calls refused enosys".
text ~ /^\(pvshim\) trace=abi: hypercalls/ { in_abi = 1; next }
text ~ /^\(pvshim\) trace=abi: end/ { in_abi = 0; next }
in_abi && text ~ /^\(pvshim\) +[0-9]/ {
    n = split(text, w, / +/)
    # w[1] "(pvshim)", w[2] op, w[3] name, w[4] sub or "-", [w[5] sub name]
    kind = w[3]
    if (w[4] != "-")
        kind = kind "/" (n >= 8 ? w[5] : w[4])
    put("abi_" kind, w[n - 2])
    next
}
# "  emulated/trapped: WHAT (may have spaces)  COUNT"
in_abi && text ~ /^\(pvshim\) +emulated\/trapped: / {
    t = text
    sub(/^\(pvshim\) +emulated\/trapped: +/, "", t)
    n = split(t, w, / +/)
    what = w[1]
    for (i = 2; i < n; i++)
        what = what "_" w[i]
    put("abi_trap_" what, w[n])
    next
}

# Xen's longest silence before dom0 runs (its wait for the CMOS RTC's
# update edge, as it turns out): the gap and the line it follows.
text ~ /^\(XEN\) \[[0-9a-f]+\] / && !xen_dom0_entry {
    t = text
    sub(/^\(XEN\) \[/, "", t)
    sub(/\].*/, "", t)
    now = hex(t)
    if (xen_prev && now - xen_prev > xen_gap) {
        xen_gap = now - xen_prev
        xen_gap_after = xen_prev_text
    }
    xen_prev = now
    xen_prev_text = text
    sub(/^\(XEN\) \[[0-9a-f]+\] +/, "", xen_prev_text)
}

text ~ /^\(XEN\) \[[0-9a-f]+\] Xen version/ {
    t = text
    sub(/^\(XEN\) \[/, "", t)
    sub(/\].*/, "", t)
    xen_start = hex(t)
    next
}
text ~ /^\(XEN\) \[[0-9a-f]+\] Freed [0-9]+kB init memory/ {
    t = text
    sub(/^\(XEN\) \[/, "", t)
    sub(/\].*/, "", t)
    xen_dom0_entry = hex(t)
    next
}

# TSC rates: the guest kernel's (a refined calibration wins) and Xen's.
text ~ /tsc: Refined TSC clocksource calibration: [0-9.]+ MHz/ {
    t = text
    sub(/.*calibration: /, "", t)
    guest_mhz = t + 0
    guest_mhz_refined = 1
    next
}
text ~ /tsc: Detected [0-9.]+ MHz (TSC|processor)/ && !guest_mhz_refined {
    t = text
    sub(/.*Detected /, "", t)
    if (!guest_mhz || text ~ /MHz TSC/)
        guest_mhz = t + 0
    next
}
text ~ /^\(XEN\) .*Detected [0-9.]+ MHz processor/ {
    t = text
    sub(/.*Detected /, "", t)
    xen_mhz = t + 0
    next
}

text ~ /Linux version [0-9]/ {
    t = text
    sub(/.*Linux version /, "", t)
    split(t, w, / +/)
    put("kernel", w[1])
    next
}

# Under -icount the TSC runs at exactly 1 GHz of virtual time.
END {
    ghz_guest = icount ? 1 : guest_mhz / 1000
    ghz_xen = icount ? 1 : xen_mhz / 1000
    for (name in tsc_stamp)
        if (ghz_guest > 0)
            put("tsc_" name "_s", sprintf("%.6f", tsc_stamp[name] / ghz_guest / 1e9))
    if (xen_start && ghz_xen > 0)
        put("xen_start_s", sprintf("%.6f", xen_start / ghz_xen / 1e9))
    if (xen_dom0_entry && ghz_xen > 0) {
        put("xen_dom0_entry_s", sprintf("%.6f", xen_dom0_entry / ghz_xen / 1e9))
        put("xen_longest_gap_s", sprintf("%.6f", xen_gap / ghz_xen / 1e9))
        gsub(/[ \t]+/, "_", xen_gap_after)
        put("xen_longest_gap_after", xen_gap_after)
    }
}
