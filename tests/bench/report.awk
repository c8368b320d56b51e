# Turns the benchmark's runs.tsv into the report (Markdown on stdout) and
# a summary table (medians and ratios, to the file in -v summary=FILE).
#   awk -v summary=FILE -f report.awk meta.tsv runs.tsv runs.tsv
# runs.tsv is read twice: first which runs completed, then their values.
# Plain POSIX awk (Debian's default awk is mawk).

BEGIN {
    FS = "\t"
    nconf = split("native xen pvshim", conf, " ")
    title["native"] = "native"
    title["xen"] = "Xen PV dom0"
    title["pvshim"] = "pvshim"
    nmode = split("icount realtime parallel", modes, " ")
    mtitle["icount"] = "Deterministic: -icount shift=0,align=off,sleep=off"
    mtitle["realtime"] = "Real time: plain TCG, configurations alternated"
    mtitle["parallel"] = "Parallel: the same work on 1 and on 2 vCPUs (multi-threaded TCG, real time)"

    # metric key | label | unit | divisor | decimals
    nm = 0
    m[++nm] = "host_userspace_s|time to userspace, host clock (QEMU start to marker)|s|1|2"
    m[++nm] = "host_done_s|time to end of run, host clock|s|1|2"
    m[++nm] = "tsc_userspace_s|time to userspace, guest TSC (since power-on)|s|1|3"
    m[++nm] = "tsc_done_s|time to end of run, guest TSC (since power-on)|s|1|3"
    m[++nm] = "mono_userspace_s|guest CLOCK_MONOTONIC at userspace|s|1|3"
    m[++nm] = "memtotal_kb|MemTotal of the guest at 1 GiB|kB|1|0"
    m[++nm] = "op_getpid_ns|getpid (syscall)|ns|1|0"
    m[++nm] = "op_fork_ns|fork + exit + wait|us|1000|1"
    m[++nm] = "op_forkexec_ns|fork + exec (static, no libc) + wait|us|1000|1"
    m[++nm] = "op_mmap_ns|mmap 4 MiB + touch every page + munmap|us|1000|1"
    m[++nm] = "op_pipe_ns|pipe round trip between two processes|us|1000|2"
    m[++nm] = "op_compute_ns|compute-only control (3000 ALU ops)|us|1000|2"
    for (i = 1; i <= nm; i++) {
        split(m[i], f, "|")
        mkey[i] = f[1]; mlabel[i] = f[2]; munit[i] = f[3]; mdiv[i] = f[4]; mdec[i] = f[5]
    }
    nph = split("start bootinfo arch unpacked tables built guest-entry", phase, " ")
    phdesc["start"] = "first C instruction (firmware and QEMU's loader before it)"
    phdesc["bootinfo"] = "boot information, command line, memory map, frame pool"
    phdesc["arch"] = "CPU, TSC calibration, ACPI, APIC, IDT"
    phdesc["unpacked"] = "guest kernel decompressed and parsed"
    phdesc["tables"] = "M2P and frame table"
    phdesc["built"] = "PV domain built (p2m, page tables, start_info, initrd copy)"
    phdesc["guest-entry"] = "first guest instruction"
}

FNR == 1 { pass++ }

pass == 1 { meta[$1] = $2; next }
FNR == 1 { next }       # the header of runs.tsv

pass == 2 {
    id = $1 SUBSEP $2 SUBSEP $3
    if (!(id in counted)) {
        counted[id] = 1
        total[$1, $2]++
    }
    if ($4 == "outcome") {
        outcome[id] = $5
        if ($5 == "done") {
            done[id] = 1
            ok[$1, $2]++
        }
    }
    # "status" follows "outcome": a failure is told with QEMU's status.
    if ($4 == "status" && (id in outcome) && outcome[id] != "done") {
        sep = (($1, $2) in failures) ? ", " : ""
        failures[$1, $2] = failures[$1, $2] sep outcome[id] " " $5
    }
    if ($4 == "kernel")
        guest_kernel = $5
    next
}

pass == 3 {
    id = $1 SUBSEP $2 SUBSEP $3
    # Boot phases count from any run: they end before the guest runs.
    if ($4 == "xen_longest_gap_after") {
        gap_after = $5
        gsub(/_/, " ", gap_after)
        next
    }
    if ($4 ~ /^(phase_|xen_)/ || (id in done)) {
        k = $1 SUBSEP $2 SUBSEP $4
        vals[k] = (k in vals) ? vals[k] " " $5 : $5
    }
    # The profile: rep is "NAME:N"; its trace=abi counters per run.
    if ($1 == "profile") {
        if ((id in done) && $4 ~ /^abi_/) {
            split($3, pr, ":")
            pcount[pr[1], pr[2], $4] = $5
            if (!((pr[1], $4) in pkind_seen)) {
                pkind_seen[pr[1], $4] = 1
                if (!($4 in pkind)) { pkind[$4] = 1; pkinds[++npk] = $4 }
            }
        }
        if ((id in done) && $4 ~ /^iters_/) {
            split($3, pr, ":")
            if (!(pr[1] in pbase) || pr[2] + 0 < pbase[pr[1]] + 0)
                pbase[pr[1]] = pr[2]
        }
        next
    }
    if ($4 ~ /^abi_/ && (id in done) && !(($1, $2, $4) in abi)) {
        abi[$1, $2, $4] = $5
        abikeys[$1] = abikeys[$1] " " $4
    }
    next
}

# The parallel row: rep is "N-ROUND"; N processes on N vCPUs (pvbench parN).
function parallel_table(    ci, c, n, t, sc, line, rest) {
    print "## " mtitle["parallel"]
    print ""
    print "pvbench's parallel mix (per round: fork + exit + wait, 256 KiB mapped, touched and unmapped,"
    print "200 getpid, a little arithmetic), " meta["par_rounds"] " rounds in all, as 1 process on a VM of"
    print "1 CPU and as 2 processes (half the rounds each) on a VM of 2 CPUs (Xen: dom0_max_vcpus"
    print "likewise). Wall time (guest CLOCK_MONOTONIC) until the last process is done, per round;"
    print "medians over " meta["par_reps"] " rounds, the configurations and vCPU counts alternated. Scaling ="
    print "time on 1 vCPU / time on 2 vCPUs (2.00 is perfect)."
    print ""
    print "This row runs under multi-threaded TCG in real time, the only mode where two vCPUs"
    print "really run at once: -icount makes QEMU run all vCPUs in turn on one host thread, so"
    print "the work of two vCPUs takes as long as that of one and no scaling could show. Real"
    print "time on a shared host is noisy: read the scaling next to the spread of the other rows,"
    print "and compare configurations measured in the same run."
    print ""
    print "| configuration | 1 vCPU, ms/round | 2 vCPUs, ms/round | scaling | vs native, 2 vCPUs |"
    print "|---|---:|---:|---:|---:|"
    for (ci = 1; ci <= nconf; ci++) {
        c = conf[ci]
        for (n = 1; n <= 2; n++)
            t[c, n] = median("parallel" SUBSEP c SUBSEP "op_par" n "_ns")
    }
    for (ci = 1; ci <= nconf; ci++) {
        c = conf[ci]
        if (t[c, 1] == "" && t[c, 2] == "")
            continue
        sc = ratio(t[c, 1], t[c, 2])
        print "| " title[c] " | " (t[c, 1] == "" ? "—" : sprintf("%.2f", t[c, 1] / 1e6)) " | " \
              (t[c, 2] == "" ? "—" : sprintf("%.2f", t[c, 2] / 1e6)) " | " rfmt(sc) " | " \
              rfmt(ratio(t[c, 2], t["native", 2])) " |"
    }
    for (n = 1; n <= 2; n++)
        printf "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", "parallel", "op_par" n "_ns", \
               "parallel mix, " n " vCPU(s), per round", t["native", n], t["xen", n], t["pvshim", n], \
               ratio(t["xen", n], t["native", n]), ratio(t["pvshim", n], t["native", n]), \
               ratio(t["pvshim", n], t["xen", n]) > summary
    print ""
}

function median(k,    n, a, i, j, t) {
    if (!(k in vals))
        return ""
    n = split(vals[k], a, " ")
    for (i = 2; i <= n; i++) {
        t = a[i] + 0
        for (j = i - 1; j >= 1 && a[j] + 0 > t; j--)
            a[j + 1] = a[j]
        a[j + 1] = t
    }
    return (n % 2) ? a[(n + 1) / 2] + 0 : (a[n / 2] + a[n / 2 + 1]) / 2
}

function spread(k,    n, a, i, lo, hi, md) {
    if (!(k in vals))
        return ""
    n = split(vals[k], a, " ")
    if (n < 2)
        return ""
    lo = hi = a[1] + 0
    for (i = 2; i <= n; i++) {
        if (a[i] + 0 < lo) lo = a[i] + 0
        if (a[i] + 0 > hi) hi = a[i] + 0
    }
    md = median(k)
    return md > 0 ? (hi - lo) / md : ""
}

function fmt(v, i) {
    if (v == "")
        return "—"
    return sprintf("%." mdec[i] "f", v / mdiv[i])
}

function ratio(a, b) {
    if (a == "" || b == "" || b + 0 == 0)
        return ""
    return a / b
}

function rfmt(r) {
    return r == "" ? "—" : sprintf("%.2f", r)
}

END {
    print "# pvshim benchmarks: native, Xen 4.17 PV dom0, pvshim"
    print ""
    print "Written by `make bench" (meta["size"] == "quick" ? " QUICK=1" : "") "` (tests/bench/) on " meta["date"] \
          " in " meta["elapsed_s"] " s. Timings are measurements, never pass/fail."
    print ""
    print "| setting | value |"
    print "|---|---|"
    print "| host CPU | " meta["host_cpu"] " |"
    print "| QEMU | " meta["qemu"] " |"
    print "| QEMU settings, all configurations | TCG, -cpu " meta["qemu_cpu"] ", -m " meta["qemu_mem"] ", -smp 1 |"
    print "| guest kernel | " meta["kernel"] (guest_kernel != "" ? " (" guest_kernel ")" : "") " |"
    print "| Xen | " meta["xen"] ", as dom0 host: console=com1 noreboot x2apic=false dom0_max_vcpus=1 " meta["xen_args"] " |"
    print "| pvshim | " meta["pvshim"] " (trace=boot; trace=boot,abi in the untimed counts and profile runs) |"
    print "| suite | " meta["size"] "; real time: " meta["reps"] " rounds; icount: " meta["icount_reps"] " run(s) per configuration |"
    print ""

    # Which runs completed.
    print "## Runs"
    print ""
    print "| mode | configuration | completed | failed (how) |"
    print "|---|---|---|---|"
    for (mi = 1; mi <= nmode; mi++)
        for (ci = 1; ci <= nconf; ci++) {
            md = modes[mi]; c = conf[ci]
            if (!((md, c) in total))
                continue
            print "| " md " | " title[c] " | " (ok[md, c] + 0) " of " total[md, c] " | " \
                  ((md, c) in failures ? failures[md, c] : "") " |"
        }
    print ""
    print "A run completes when the guest prints its final marker. `exited N`: QEMU ended first"
    print "(pvshim's exit statuses: 5 guest crash, 7 bad input, 9 internal error); `dead`: Xen"
    print "reported dom0's death; `timeout`: no final marker in time. Failed runs count nowhere below."
    print ""

    for (mi = 1; mi <= nmode; mi++) {
        md = modes[mi]
        any = 0
        for (ci = 1; ci <= nconf; ci++)
            if ((md, conf[ci]) in total)
                any = 1
        if (!any)
            continue
        if (md == "parallel") {
            parallel_table()
            continue
        }
        print "## " mtitle[md]
        print ""
        print "Medians" (md == "realtime" ? " over " meta["reps"] " rounds" : "") \
              ". Per-operation figures are the guest's CLOCK_MONOTONIC over a fixed iteration count."
        print ""
        print "| metric | unit | native | Xen PV | pvshim | Xen/native | pvshim/native | pvshim/Xen |"
        print "|---|---|---:|---:|---:|---:|---:|---:|"
        for (i = 1; i <= nm; i++) {
            k = mkey[i]
            for (ci = 1; ci <= nconf; ci++)
                med[conf[ci]] = median(md SUBSEP conf[ci] SUBSEP k)
            if (med["native"] == "" && med["xen"] == "" && med["pvshim"] == "")
                continue
            rxn = ratio(med["xen"], med["native"])
            rpn = ratio(med["pvshim"], med["native"])
            rpx = ratio(med["pvshim"], med["xen"])
            print "| " mlabel[i] " | " munit[i] " | " fmt(med["native"], i) " | " fmt(med["xen"], i) " | " \
                  fmt(med["pvshim"], i) " | " rfmt(rxn) " | " rfmt(rpn) " | " rfmt(rpx) " |"
            printf "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", md, k, mlabel[i], \
                   med["native"], med["xen"], med["pvshim"], rxn, rpn, rpx > summary
        }
        print ""
        # How well the deterministic runs repeat.
        if (md == "icount" && meta["icount_reps"] + 0 >= 2) {
            line = ""
            for (ci = 1; ci <= nconf; ci++) {
                worst = ""; wk = ""
                for (i = 1; i <= nm; i++) {
                    if (mkey[i] ~ /^host_/)
                        continue        # host wall time is not deterministic
                    s = spread(md SUBSEP conf[ci] SUBSEP mkey[i])
                    if (s != "" && (worst == "" || s > worst)) { worst = s; wk = mkey[i] }
                }
                if (worst != "")
                    line = line (line != "" ? "; " : "") title[conf[ci]] sprintf(" %.2f%%", worst * 100) " (" wk ")"
            }
            if (line != "")
                print "Repeatability, largest (max - min) / median over the icount runs of any guest-side metric: " line "."
            print ""
        }
    }

    # pvshim's and Xen's own boot, before the guest kernel's first instruction.
    print "## Boot before the guest kernel runs"
    print ""
    print "Seconds since power-on (the TSC: QEMU starts it at 0; under -icount it counts"
    print "virtual nanoseconds), medians; pvshim from `trace=boot`, Xen from"
    print "`console_timestamps=raw` (its first line, and `Freed ... init memory`, the last before dom0 runs)."
    print ""
    print "| phase | what ends there | icount | real time |"
    print "|---|---|---:|---:|"
    for (p = 1; p <= nph; p++) {
        k = "phase_" phase[p] "_s"
        a = median("icount" SUBSEP "pvshim" SUBSEP k)
        b = median("realtime" SUBSEP "pvshim" SUBSEP k)
        if (a == "" && b == "")
            continue
        print "| pvshim " phase[p] " | " phdesc[phase[p]] " | " (a == "" ? "—" : sprintf("%.3f", a)) \
              " | " (b == "" ? "—" : sprintf("%.3f", b)) " |"
    }
    split("xen_start_s xen_dom0_entry_s xen_longest_gap_s", xk, " ")
    xd["xen_start_s"] = "Xen start | its first console line"
    xd["xen_dom0_entry_s"] = "Xen dom0 entry | `Freed ... init memory`, dom0 about to run"
    xd["xen_longest_gap_s"] = "(Xen's longest wait) | a duration, not a time: its longest silence before dom0, after \"" \
        gap_after "\" (it waits for the CMOS RTC's update edge: up to 1 s, on the virtual clock under icount)"
    for (p = 1; p <= 3; p++) {
        a = median("icount" SUBSEP "xen" SUBSEP xk[p])
        b = median("realtime" SUBSEP "xen" SUBSEP xk[p])
        if (a == "" && b == "")
            continue
        print "| " xd[xk[p]] " | " (a == "" ? "—" : sprintf("%.3f", a)) " | " \
              (b == "" ? "—" : sprintf("%.3f", b)) " |"
    }
    print ""

    # Per operation: each benchmark alone with N and 2N iterations; the
    # difference covers 1.1 N operations (the warm-up is a tenth).
    nb = split("getpid fork forkexec mmap pipe compute", bn, " ")
    have_profile = 0
    for (b = 1; b <= nb; b++)
        if (bn[b] in pbase)
            have_profile = 1
    if (have_profile) {
        print "## pvshim per operation: hypercalls and trapped instructions (`trace=abi`)"
        print ""
        print "Each benchmark alone under icount, N and 2N iterations; the difference in pvshim's"
        print "counters divided by the operations between them. Kinds under 0.01 per operation in"
        print "every column are left out."
        print ""
        hdr = "| kind |"; sep = "|---|"
        for (b = 1; b <= nb; b++) {
            hdr = hdr " " bn[b] " |"; sep = sep "---:|"
        }
        print hdr
        print sep
        # Rows: by their largest per-operation count, largest first.
        nrow = 0
        for (i = 1; i <= npk; i++) {
            k = pkinds[i]; worst = 0
            for (b = 1; b <= nb; b++) {
                pp[k, b] = ""
                if (!(bn[b] in pbase))
                    continue
                n1 = pbase[bn[b]]
                c1 = ((bn[b], n1, k) in pcount) ? pcount[bn[b], n1, k] : 0
                c2 = ((bn[b], 2 * n1, k) in pcount) ? pcount[bn[b], 2 * n1, k] : 0
                if (!((bn[b], 2 * n1, "abi_iret") in pcount))
                    continue    # the 2N run did not complete
                pp[k, b] = (c2 - c1) / (1.1 * n1)
                if (pp[k, b] < 0.005 && pp[k, b] > -0.005)
                    pp[k, b] = 0
                if (pp[k, b] > worst) worst = pp[k, b]
            }
            if (worst >= 0.01) {
                rowk[++nrow] = k; roww[nrow] = worst
            }
        }
        for (i = 2; i <= nrow; i++) {
            t = rowk[i]; tw = roww[i]
            for (j = i - 1; j >= 1 && roww[j] < tw; j--) {
                rowk[j + 1] = rowk[j]; roww[j + 1] = roww[j]
            }
            rowk[j + 1] = t; roww[j + 1] = tw
        }
        for (i = 1; i <= nrow; i++) {
            k = rowk[i]
            name = k
            sub(/^abi_/, "", name)
            if (sub(/^trap_/, "trapped: ", name))
                gsub(/_/, " ", name)
            line = "| " name " |"
            for (b = 1; b <= nb; b++)
                line = line " " (pp[k, b] == "" ? "—" : sprintf("%.2f", pp[k, b])) " |"
            print line
        }
        print ""
    }

    # What pvshim's guest asked of it over a whole run: the untimed
    # icount run with trace=abi (mode "counts"; the timed runs count nothing).
    for (md in abikeys) {
        if (md != "counts")
            continue
        print "## pvshim: hypercalls and trapped instructions over one whole icount run (`trace=abi`, the 25 most frequent)"
        print ""
        print "| kind | count |"
        print "|---|---:|"
        n = split(abikeys[md], ks, " ")
        # Largest first (insertion sort on the counts).
        for (i = 2; i <= n; i++) {
            t = ks[i]
            for (j = i - 1; j >= 1 && abi[md, "pvshim", ks[j]] + 0 < abi[md, "pvshim", t] + 0; j--)
                ks[j + 1] = ks[j]
            ks[j + 1] = t
        }
        for (i = 1; i <= n && i <= 25; i++) {
            name = ks[i]
            sub(/^abi_/, "", name)
            if (sub(/^trap_/, "trapped: ", name))
                gsub(/_/, " ", name)
            print "| " name " | " abi[md, "pvshim", ks[i]] " |"
        }
        print ""
        break
    }
}
