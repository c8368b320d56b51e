#!/usr/bin/env bash
# Where the PV guest's boot spends its time, seen from pvshim: QEMU's
# execution log of pvshim's own text (-d in_asm,exec,nochain limited to the
# image's addresses) over one benchmark boot to userspace under -icount
# (pvshim.bench=boot, as `make bench-scale` boots it), counted per pvshim
# function, apart for pvshim's own boot (up to arch_enter_guest, the first
# guest instruction) and for the guest's boot after it. Under -icount one
# instruction is one virtual nanosecond, so the instructions are the time.
# The trace=abi table of the same run gives the hypercalls and the trapped
# or emulated instructions by kind. Deterministic; a measurement, never a
# pass/fail test. Slow: QEMU runs without block chaining while it logs.
#
#   tests/bench/profile-boot.sh [OUT]   default: bench/results/profile/boot-pvshim.txt
#   Environment: BENCH_MEM (MiB, default 256), BENCH_KERNEL (6.1-cloud),
#   PVSHIM_ARGS (more pvshim options, e.g. trace=... is always on).
set -u
cd "$(dirname "$0")/../.."
out=${1:-bench/results/profile/boot-pvshim.txt}
BUILD=${BUILD:-build}
export PVSHIM=${PVSHIM:-$BUILD/pvshim}
export BENCH_MEM=${BENCH_MEM:-256}
# Its trace=abi table is printed below.
export BENCH_PVSHIM_TRACE=${BENCH_PVSHIM_TRACE:-boot,abi}
: "${BENCH_KERNEL:=6.1-cloud}"
export KERNEL=${GUEST_CACHE:-cache/guests}/vmlinuz-$BENCH_KERNEL
export INITRD=$BUILD/debian/initramfs.cpio.gz
[ -s "$PVSHIM" ] || { echo "profile-boot: no $PVSHIM" >&2; exit 1; }
scripts/fetch-guests.sh >&2 || exit 1
scripts/mkinitramfs.sh "$INITRD" >&2 || exit 1
mkdir -p "$(dirname "$out")"
work=$(mktemp -d "${TMPDIR:-/tmp}/pvshim-profile-boot.XXXXXX")
trap 'rm -rf "$work"' EXIT

. tests/bench/profile-lib.sh
read -r lo hi < <(pvshim_text_range "$PVSHIM")
[ -n "${lo:-}" ] || { echo "profile-boot: no pvshim text symbols" >&2; exit 1; }
entry=$(nm "$PVSHIM" | awk '$3 == "arch_enter_guest" { print $1 }')
[ -n "$entry" ] || { echo "profile-boot: no arch_enter_guest in $PVSHIM" >&2; exit 1; }

# Phase 0: pvshim's boot, before the first execution of arch_enter_guest;
# phase 1: from there on.
profiled_boot "$work" boot "$entry" "-d in_asm,exec,nochain -dfilter 0x$lo..0x$hi" "" \
    pvshim icount boot "$work/run.log" 3600 ||
    { echo "profile-boot: the boot failed; see $out.log" >&2; cp "$work/run.log" "$out.log"; exit 1; }

pvshim_symbols "$PVSHIM" > "$work/syms"
awk -f tests/bench/parse-log.awk "$work/run.log" > "$work/measured"
{
    echo "pvshim's instructions in one boot of the benchmark kernel to userspace"
    echo "($(awk '$1 == "kernel" { $1 = ""; sub(/^ /, ""); print }' "$work/measured"), QEMU -m $BENCH_MEM, -icount shift=0,"
    echo "pvshim $(git describe --always --dirty 2> /dev/null), tests/bench/profile-boot.sh)."
    awk '$1 == "tsc_userspace_s" { u = $2 } $1 == "phase_guest-entry_s" { g = $2 }
         END { printf "Boot to userspace: %.3f s of virtual time; first guest instruction at %.4f s.\n", u, g }' \
        "$work/measured"
    echo
    awk "$PROFILE_AWK_SYM"'
        FILENAME ~ /syms$/ { ns++; sa[ns] = hexval($1); sn[ns] = $2; next }
        {
            f = sym(hexval($2)); n = $3 * $4
            insns[$1, f] += n; total[$1] += n; blocks[$1] += $3
        }
        END {
            title[0] = "pvshim boot, up to the first guest instruction"
            title[1] = "during the guest boot (hypercalls, traps, emulation, events, idle)"
            for (p = 0; p <= 1; p++) {
                printf "== %s: %.0f instructions (%.1f ms), %.0f blocks\n", title[p], total[p], total[p] / 1e6, blocks[p]
                printf "%-40s %14s %7s\n", "function", "instructions", "share"
                cmd = "sort -k2 -n -r | head -n 40"
                for (k in insns) {
                    split(k, q, SUBSEP)
                    if (q[1] == p && insns[k] * 1000 >= total[p])
                        printf "%-40s %14.0f %6.1f%%\n", q[2], insns[k], 100 * insns[k] / total[p] | cmd
                }
                close(cmd)
                print ""
            }
        }' "$work/syms" "$work/agg.boot"
    echo "== trace=abi: hypercalls and trapped or emulated instructions"
    sed -n 's/^[0-9]*\t(pvshim)   //p' "$work/run.log" | sed -n '/^guest ABI/,$p' | grep -v '^exit:'
} > "$out"
cat "$out"
