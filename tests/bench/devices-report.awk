# devices.md from devices-meta.tsv (key, value) and devices.tsv (rep,
# config, row, value, unit): per row the median over the rounds of native
# and of pvshim, their range, and pvshim's speed as a fraction of native's
# (for the fsync latency: native's latency over pvshim's, so that above 1
# is faster on every row). Called by tests/bench/devices.sh with -F'\t'.

FNR == 1 { file++ }
file == 1 { meta[$1] = $2; next }
FNR == 1 { next }      # the header
{
    key = $2 SUBSEP $3
    n[key]++
    v[key, n[key]] = $4 + 0
    unit[$3] = $5
}

function median(key,    i, j, t, m, a) {
    m = n[key]
    if (!m)
        return ""
    for (i = 1; i <= m; i++)
        a[i] = v[key, i]
    for (i = 2; i <= m; i++)
        for (j = i; j > 1 && a[j - 1] > a[j]; j--) {
            t = a[j]; a[j] = a[j - 1]; a[j - 1] = t
        }
    return m % 2 ? a[(m + 1) / 2] : (a[m / 2] + a[m / 2 + 1]) / 2
}

function range(key,    i, lo, hi) {
    if (!n[key])
        return "no result"
    lo = hi = v[key, 1]
    for (i = 2; i <= n[key]; i++) {
        if (v[key, i] < lo) lo = v[key, i]
        if (v[key, i] > hi) hi = v[key, i]
    }
    return sprintf("%s-%s (%d)", num(lo), num(hi), n[key])
}

function num(x) {
    return x >= 1000 ? sprintf("%.0f", x) : sprintf("%.4g", x)
}

function cell(x) {
    return x == "" ? "-" : num(x)
}

END {
    split("seq-read seq-write rand-qd1 rand-qd32 fsync tcp-to-guest tcp-from-guest", rows, " ")
    desc["seq-read"] = "disk: sequential read, 128 KiB O_DIRECT"
    desc["seq-write"] = "disk: sequential write, 128 KiB O_DIRECT + fdatasync"
    desc["rand-qd1"] = "disk: 4 KiB random read, queue depth 1"
    desc["rand-qd32"] = "disk: 4 KiB random read, queue depth 32"
    desc["fsync"] = "disk: 4 KiB write + fdatasync latency (lower is better)"
    desc["tcp-to-guest"] = "net: TCP host -> guest"
    desc["tcp-from-guest"] = "net: TCP guest -> host"

    print "# pvshim devices benchmark: PV disk and network vs native virtio"
    print ""
    printf "Written by `make bench-devices` (tests/bench/devices.sh) on %s in %s s. ", meta["date"], meta["elapsed_s"]
    print "Timings are measurements, never pass/fail."
    print ""
    print "**The host was shared with other work while this ran** (2 CPUs; load average " meta["load"] "):"
    print "every number is real time under TCG and moves with the host's load; the ranges show by how much."
    print ""
    print "| setting | value |"
    print "|---|---|"
    print "| host CPU | " meta["host_cpu"] " |"
    print "| QEMU | " meta["qemu"] ", TCG, -cpu max, -m 1024 MiB, -smp 1 |"
    print "| guest kernel | " meta["kernel"] " |"
    print "| pvshim | " meta["pvshim"] " |"
    print "| disk | " meta["disk"] " |"
    print "| network | " meta["net"] " |"
    print "| rounds | " meta["reps"] " (each: disk, then network; the disk's odd rounds boot pvshim first, its even rounds native first; the network's pvshim first); medians below |"
    print ""
    print "pvshim: the guest's xen-blkfront / xen-netfront, pvshim's vbd / vif backends, pvshim's"
    print "virtio-blk / virtio-net drivers. native: the same kernel's virtio-blk / virtio-net on the"
    print "same QEMU devices. Target: pvshim at >= 0.8 x native on every throughput row."
    print ""
    print "| row | unit | native | pvshim | pvshim / native | native range (rounds) | pvshim range (rounds) |"
    print "|---|---|---|---|---|---|---|"
    for (i = 1; i in rows; i++) {
        r = rows[i]
        nat = median("native" SUBSEP r)
        pv = median("pvshim" SUBSEP r)
        ratio = "-"
        if (nat != "" && pv != "" && nat > 0 && pv > 0)
            ratio = sprintf("%.2f", r == "fsync" ? nat / pv : pv / nat)
        printf "| %s | %s | %s | %s | %s | %s | %s |\n", desc[r], unit[r] == "" ? "-" : unit[r],
            cell(nat), cell(pv), ratio, range("native" SUBSEP r), range("pvshim" SUBSEP r)
    }
}
