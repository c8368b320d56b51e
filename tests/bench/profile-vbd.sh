#!/usr/bin/env bash
# pvshim's share of one guest disk read, from QEMU's execution log: the
# disk benchmark guest of tests/bench/vbd-speed.sh (xen-blkfront -> pvshim's
# vbd -> virtio-blk-pci), booted twice, with R and then 2R random 4 KiB
# reads per queue depth (1 and 32); QEMU logs every translation block
# executed inside pvshim's image (-d in_asm,exec,nochain limited to its
# text), and the difference between the two runs, divided by the 2R reads
# between them, is what one read costs in pvshim: instructions per pvshim
# function, and how often each function is entered per read (kicks,
# interrupts, hypercalls, grant checks, guest events: one line each).
#
#   tests/bench/profile-vbd.sh [R [OUTDIR]]      R default 200
#     writes OUTDIR/profile-vbd-read.txt (default bench/results/profile)
#   Environment: KERNEL (default the 6.1 cloud kernel), INITRD, PVSHIM, QEMU.
#   Slow (QEMU runs without block chaining while it logs): ~10 minutes on
#   an idle host. Real time, not -icount: under the log the guest runs ~10x
#   slower in real time, so what its own timers cost per read (VIRQ_TIMER,
#   set_singleshot, soft_timer_*, program_hardware) shows ~10x larger than
#   at full speed. The device path (vbd, blkback, virtio-blk, grants, the
#   event channel) does not depend on time. (-icount, which would fix the
#   timer rows, made pvshim's own boot under the log take over 7 minutes.)
set -u
cd "$(dirname "$0")/../.."
r=${1:-200} out=${2:-bench/results/profile}
BUILD=${BUILD:-build}
: "${KERNEL:=cache/guests/vmlinuz-6.1-cloud}" "${INITRD:=$BUILD/debian/initramfs.cpio.gz}"
: "${PVSHIM:=$BUILD/pvshim}" "${QEMU:=qemu-system-x86_64}"
for f in "$KERNEL" "$INITRD" "$PVSHIM"; do
    [ -s "$f" ] || { echo "profile-vbd: no $f (make test T=test_vbd builds them)" >&2; exit 1; }
done
mkdir -p "$out"
work=$(mktemp -d "${TMPDIR:-/tmp}/pvshim-profile-vbd.XXXXXX")
trap 'rm -rf "$work"' EXIT

. tests/bench/profile-lib.sh
read -r lo hi < <(pvshim_text_range "$PVSHIM")
[ -n "${lo:-}" ] || { echo "profile-vbd: no pvshim text symbols" >&2; exit 1; }

# One boot with k*R reads per depth: WORK/agg.k, "pc executions instructions".
run() {
    local k=$1 ops=$(($1 * r)):10
    dd if=/dev/zero of="$work/disk.raw" bs=1M count=4 conv=fsync status=none
    mkfifo "$work/log.$k"
    exec 3<> "$work/log.$k"
    awk '
        /^IN:/ { inblk = 1; first = ""; cnt = 0; next }
        inblk && /^0x[0-9a-f]+:/ { if (first == "") first = substr($1, 3, length($1) - 3); cnt++; next }
        inblk && !/^0x/ { if (first != "" && cnt > insns[first]) insns[first] = cnt; inblk = 0 }
        /^Trace / { split($0, f, "/"); pc = f[2]; sub(/^0+/, "", pc); runs[pc]++ }
        END { for (k in runs) print k, runs[k], insns[k] + 0 }
    ' < "$work/log.$k" > "$work/agg.$k" 3>&- &
    local agg=$!
    timeout 3600 "$QEMU" -accel tcg -cpu max -m 1024 -display none -no-reboot -nodefaults \
        -device isa-debug-exit,iobase=0xf4,iosize=0x04 -serial "file:$work/con.$k" \
        -drive "file=$work/disk.raw,if=none,id=d0,format=raw" -device virtio-blk-pci,drive=d0 \
        -d in_asm,exec,nochain -dfilter "0x$lo..0x$hi" -D "$work/log.$k" -kernel "$PVSHIM" \
        -initrd "$KERNEL console=hvc0 pvshim.test=vbd pvshim.vbd=speed:$ops,$INITRD" \
        > /dev/null 2>&1 3>&-
    exec 3>&-
    wait "$agg"
    grep -q "DISKBENCH: rand-qd32" "$work/con.$k" ||
        { echo "profile-vbd: the run with $ops failed: $(tail -n 3 "$work/con.$k")" >&2; exit 1; }
}
run 1
run 2

pvshim_symbols "$PVSHIM" > "$work/syms"
awk -v ops="$((2 * r))" "$PROFILE_AWK_SYM"'
    FILENAME ~ /syms$/ { ns++; sa[ns] = hexval($1); sn[ns] = $2; start[$1] = $2; next }
    FILENAME ~ /agg.1$/ { r1[$1] = $2; i1[$1] = $3; next }
    { r2[$1] = $2; i2[$1] = $3 }
    END {
        for (a in start) { s = a; sub(/^0+/, "", s); entry[s] = start[a] }
        for (pc in r2) {
            w = i2[pc] ? i2[pc] : i1[pc]
            d = r2[pc] - ((pc in r1) ? r1[pc] : 0)
            f = sym(hexval(pc))
            insns[f] += d * w; ti += d * w
            if (pc in entry) calls[entry[pc]] += d
        }
        for (pc in r1) if (!(pc in r2)) {
            f = sym(hexval(pc)); insns[f] -= r1[pc] * i1[pc]; ti -= r1[pc] * i1[pc]
        }
        printf "pvshim per guest 4 KiB random read (queue depths 1 and 32 together): %.0f instructions (over %d reads)\n", ti / ops, ops
        printf "%-40s %10s %12s\n", "function", "entries", "insns/read"
        for (f in insns) if (insns[f] / ops >= 0.5 || calls[f] / ops >= 0.5)
            printf "%-40s %10.2f %12.1f\n", f, calls[f] / ops, insns[f] / ops | "sort -k3 -n -r"
    }' "$work/syms" "$work/agg.1" "$work/agg.2" > "$out/profile-vbd-read.txt"
cat "$out/profile-vbd-read.txt"
