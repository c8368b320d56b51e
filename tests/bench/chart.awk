# Draws the ratios of summary.tsv (report.awk's) as an SVG bar chart on
# stdout: one panel per mode, one row per metric, three bars per row
# (Xen/native, pvshim/native, pvshim/Xen) on a log2 axis with 1 marked.
#   awk -f chart.awk summary.tsv > ratios.svg
# summary.tsv: mode key label native xen pvshim xen/native pvshim/native pvshim/xen

BEGIN {
    FS = "\t"
    nser = 3
    sname[1] = "Xen / native";    scol[1] = "#9e9e9e"; sfield[1] = 7
    sname[2] = "pvshim / native"; scol[2] = "#1f77b4"; sfield[2] = 8
    sname[3] = "pvshim / Xen";    scol[3] = "#ff7f0e"; sfield[3] = 9
    mtitle["icount"] = "deterministic (-icount shift=0): ratio of medians"
    mtitle["realtime"] = "real time (TCG, alternated runs): ratio of medians"
    mtitle["parallel"] = "parallel mix on 1 and 2 vCPUs (MTTCG, real time): ratio of medians"
    lo = -2         # log2 of the smallest ratio on the axis (1/4)
    hi = 2          # grows to fit the data
}

{
    if (!($1 in seen)) { seen[$1] = 1; modes[++nmodes] = $1 }
    n = ++rows[$1]
    label[$1, n] = $3
    for (s = 1; s <= nser; s++) {
        v = $(sfield[s])
        val[$1, n, s] = v
        if (v != "" && v > 0) {
            l = log(v) / log(2)
            while (l > hi) hi++
            while (l < lo) lo--
        }
    }
}

function esc(t) {
    gsub(/&/, "\\&amp;", t); gsub(/</, "\\&lt;", t); gsub(/>/, "\\&gt;", t)
    return t
}

function x_of(v) { return left + (log(v) / log(2) - lo) / (hi - lo) * plotw }

END {
    left = 330; plotw = 520; width = left + plotw + 60
    rowh = 30; barh = 7
    y = 60
    total_h = 70
    for (i = 1; i <= nmodes; i++)
        total_h += 70 + rows[modes[i]] * rowh
    if (nmodes == 0)
        total_h = 120
    printf "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" font-family=\"sans-serif\" font-size=\"12\">\n", width, total_h
    printf "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n"
    printf "<text x=\"10\" y=\"22\" font-size=\"16\" font-weight=\"bold\">pvshim benchmarks: ratios (lower is better for pvshim; 1 = equal)</text>\n"
    for (s = 1; s <= nser; s++) {
        lx = 10 + (s - 1) * 170
        printf "<rect x=\"%d\" y=\"34\" width=\"14\" height=\"10\" fill=\"%s\"/>", lx, scol[s]
        printf "<text x=\"%d\" y=\"43\">%s</text>\n", lx + 20, sname[s]
    }
    if (nmodes == 0)
        printf "<text x=\"10\" y=\"80\">no results</text>\n"
    for (i = 1; i <= nmodes; i++) {
        md = modes[i]
        y += 20
        printf "<text x=\"10\" y=\"%d\" font-size=\"14\" font-weight=\"bold\">%s</text>\n", y, esc(mtitle[md])
        y += 14
        top = y
        bottom = y + rows[md] * rowh
        # Axis: a line per power of two, 1 in black.
        for (e = lo; e <= hi; e++) {
            xx = left + (e - lo) / (hi - lo) * plotw
            printf "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"%s\" stroke-width=\"%s\"/>\n", \
                   xx, top, xx, bottom, e == 0 ? "black" : "#dddddd", e == 0 ? "1.5" : "1"
            t = e >= 0 ? sprintf("%d", 2 ^ e) : sprintf("1/%d", 2 ^ -e)
            printf "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\" fill=\"#555\">%s</text>\n", xx, bottom + 14, t
        }
        for (r = 1; r <= rows[md]; r++) {
            ry = top + (r - 1) * rowh
            printf "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%s</text>\n", left - 8, ry + rowh / 2 + 4, esc(label[md, r])
            for (s = 1; s <= nser; s++) {
                v = val[md, r, s]
                by = ry + 4 + (s - 1) * (barh + 1)
                if (v == "" || v <= 0) {
                    printf "<text x=\"%d\" y=\"%d\" font-size=\"8\" fill=\"%s\">%s: no data</text>\n", \
                           left + 4, by + barh, scol[s], sname[s]
                    continue
                }
                x0 = x_of(1); x1 = x_of(v)
                bx = x1 < x0 ? x1 : x0
                bw = x1 < x0 ? x0 - x1 : x1 - x0
                if (bw < 1) bw = 1
                printf "<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"%d\" fill=\"%s\"><title>%s %s: %.3f</title></rect>\n", \
                       bx, by, bw, barh, scol[s], esc(label[md, r]), sname[s], v
                printf "<text x=\"%.1f\" y=\"%d\" font-size=\"8\" fill=\"#333\">%.2f</text>\n", \
                       (x1 > x0 ? x1 : x0) + 3, by + barh, v
            }
        }
        y = bottom + 30
    }
    print "</svg>"
}
