# tests/bench/scale.sh's report: reads scale-meta.tsv then scale.tsv
# (mem_mib config key value) and writes the markdown table to md and a
# two-panel SVG chart to svg (both file names given with -v).
#   awk -v md=scale.md -v svg=scale.svg -f scale-report.awk scale-meta.tsv scale.tsv

BEGIN { FS = "\t" }

FNR == 1 { file++ }
file == 1 { meta[$1] = $2; next }
FNR == 1 { next }       # the header
{
    if (!($1 in seen)) { seen[$1] = 1; mems[++nm] = $1 }
    v[$1, $2, $3] = $4
}

function num(x) { if (x == "") return -1; return x + 0 }
function fmt(f, x) { if (x < 0) return "—"; return sprintf(f, x) }
function ratio(a, b) { if (a < 0 || b <= 0) return -1; return a / b }

END {
    first = mems[1]
    e0 = num(v[first, "pvshim", "phase_guest-entry_s"])
    print "# pvshim at four VM sizes" > md
    print "" > md
    printf "%s, %s, QEMU `-cpu %s`, %s. Each VM boots the benchmark kernel and initramfs " \
           "under `-icount shift=0,align=off,sleep=off` to userspace, reads MemTotal and " \
           "powers off (`pvshim.bench=boot`); pvshim runs with `trace=boot`. " \
           "Made by `make bench-scale` (tests/bench/scale.sh) on %s.\n", \
           meta["kernel"], meta["qemu"], meta["qemu_cpu"], "pvshim " meta["pvshim"], meta["date"] > md
    print "" > md
    print "| RAM (QEMU -m) | pvshim: first guest instruction | × vs " first " MiB | pvshim keeps | share of RAM | MemTotal through pvshim | MemTotal native | boot to userspace, pvshim | native | pvshim / native |" > md
    print "|---|---|---|---|---|---|---|---|---|---|" > md
    for (i = 1; i <= nm; i++) {
        m = mems[i]
        e = num(v[m, "pvshim", "phase_guest-entry_s"])
        keep = num(v[m, "pvshim", "pvshim_kb"]); ram = num(v[m, "pvshim", "ram_kb"])
        share = -1
        if (keep >= 0 && ram > 0) share = keep * 100 / ram
        mp = num(v[m, "pvshim", "memtotal_kb"]); mn = num(v[m, "native", "memtotal_kb"])
        up = num(v[m, "pvshim", "tsc_userspace_s"]); un = num(v[m, "native", "tsc_userspace_s"])
        printf "| %d MiB | %s s | %s | %s KiB | %s | %s kB | %s kB | %s s | %s s | %s |\n", m,
               fmt("%.4f", e), fmt("%.2f", ratio(e, e0)), fmt("%d", keep), fmt("%.2f%%", share),
               fmt("%d", mp), fmt("%d", mn), fmt("%.3f", up), fmt("%.3f", un),
               fmt("%.2f", ratio(up, un)) > md
        ent[i] = e; shr[i] = share
    }
    print "" > md
    print "Targets (issue 17): the first column grows at most 1.2× from 256 MiB to 16 GiB; " \
          "pvshim keeps at most 0.5% of RAM at every size. A run that did not finish shows —." > md
    print "![time to the first guest instruction and pvshim's share of RAM](scale.svg)" > md

    # Two panels of bars, one bar per size.
    w = 760; ph = 220; top = 40; left = 70; bw = 90; gap = (w - left - 40) / nm
    emax = 0; smax = 0.5
    for (i = 1; i <= nm; i++) {
        if (ent[i] > emax) emax = ent[i]
        if (shr[i] > smax) smax = shr[i]
    }
    if (emax <= 0) emax = 1
    emax *= 1.15; smax *= 1.15
    h = 2 * ph + 3 * top + 20
    printf "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" font-family=\"sans-serif\" font-size=\"12\">\n", w, h > svg
    printf "<rect width=\"%d\" height=\"%d\" fill=\"white\"/>\n", w, h > svg
    for (p = 0; p < 2; p++) {
        y0 = top + p * (ph + top + 10)
        title = "what pvshim keeps, % of RAM (target 0.5%)"
        if (p == 0) title = "pvshim: time to the first guest instruction (s, icount)"
        printf "<text x=\"%d\" y=\"%d\" font-weight=\"bold\">%s</text>\n", left, y0 - 12, title > svg
        printf "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"black\"/>\n", left, y0 + ph, w - 20, y0 + ph > svg
        max = smax
        if (p == 0) max = emax
        if (p == 1) {
            ty = y0 + ph - 0.5 / max * ph
            printf "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#d62728\" stroke-dasharray=\"4 3\"/>\n", left, ty, w - 20, ty > svg
            printf "<text x=\"%d\" y=\"%.1f\" fill=\"#d62728\">0.5%%</text>\n", w - 55, ty - 4 > svg
        } else if (ent[1] > 0) {
            ty = y0 + ph - ent[1] * 1.2 / max * ph
            printf "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#d62728\" stroke-dasharray=\"4 3\"/>\n", left, ty, w - 20, ty > svg
            printf "<text x=\"%d\" y=\"%.1f\" fill=\"#d62728\">1.2× %d MiB</text>\n", w - 110, ty - 4, first > svg
        }
        for (i = 1; i <= nm; i++) {
            val = p == 0 ? ent[i] : shr[i]
            x = left + (i - 1) * gap + (gap - bw) / 2
            if (val >= 0) {
                bh = val / max * ph
                colour = "#ff7f0e"; vlabel = sprintf("%.2f%%", val)
                if (p == 0) { colour = "#1f77b4"; vlabel = sprintf("%.3f s", val) }
                printf "<rect x=\"%.1f\" y=\"%.1f\" width=\"%d\" height=\"%.1f\" fill=\"%s\"/>\n", x, y0 + ph - bh, bw, bh, colour > svg
                printf "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%s</text>\n", x + bw / 2, y0 + ph - bh - 4, vlabel > svg
            }
            slabel = mems[i] " MiB"
            if (mems[i] >= 1024) slabel = (mems[i] / 1024) " GiB"
            printf "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%s</text>\n", x + bw / 2, y0 + ph + 15, slabel > svg
        }
    }
    print "</svg>" > svg
}
