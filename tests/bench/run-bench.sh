#!/usr/bin/env bash
# `make bench`: the same Debian kernel and benchmark initramfs booted three
# ways under the same QEMU (TCG, one CPU model, same memory) -- natively,
# as Xen 4.17's PV dom0, and as pvshim's PV guest -- in two modes:
#
#   icount     -icount shift=0,align=off,sleep=off: guest time follows
#              executed instructions; runs repeat within a fraction of a
#              percent, so they may run two at a time
#   realtime   plain TCG, the configurations alternated, one run at a time;
#              medians over the repetitions
#   parallel   the parallel row: the same work (pvbench's parN mix) as one
#              process on one vCPU and as two processes on two vCPUs, under
#              multi-threaded TCG in real time (icount would run the vCPUs
#              in turn on one host thread: no parallelism to measure), one
#              run at a time, alternated (3 rounds, quick 1); medians and
#              the scaling ratio
#
# and a profile of pvshim: each benchmark alone under icount with N and 2N
# iterations; the difference in pvshim's trace=abi counters is what one
# operation costs in hypercalls and trapped instructions. The timed runs
# have pvshim count nothing (trace=boot); the profile runs, and one more
# untimed icount run for the whole-run table ("counts"), use trace=boot,abi.
#
# Then tests/bench/report.sh writes the tables and the chart. Never a
# pass/fail test on timings: a configuration that does not reach its final
# marker is reported as failed, and the others are still measured.
#
#   tests/bench/run-bench.sh [options]
#     --quick          smaller iteration counts, fewer repetitions
#     --configs LIST   default "native xen pvshim"
#     --modes LIST     default "icount realtime parallel"
#     --reps N         real-time repetitions (default 5, quick 3)
#     --icount-reps N  icount repetitions (default 2, quick 1): the second
#                      shows how well a run repeats
#     --jobs N         icount runs at once (default 2)
#     --profile / --no-profile   pvshim's per-operation profile (default:
#                      on for the full suite when pvshim is measured)
#     --out DIR        default bench/results
#   Environment: BENCH_KERNEL (name in cache/guests, default 6.1-cloud),
#   BENCH_CPU, BENCH_MEM, QEMU, BUILD; see boot-one.sh.
#
# Exit status: 0 when the harness ran (whatever the guests did), 1 when it
# could not set up or no configuration produced a result.
set -u
cd "$(dirname "$0")/../.."
export BUILD=${BUILD:-build}
# Before this run rewrites its own result files, which would make every tree "dirty".
version=$(git describe --always --dirty 2> /dev/null || echo unknown)

quick=0 configs="native xen pvshim" modes="icount realtime parallel" reps= icount_reps=
jobs=2 out=bench/results profile=
while [ $# -gt 0 ]; do
    case $1 in
    --quick) quick=1; shift ;;
    --configs) configs=$2; shift 2 ;;
    --modes) modes=$2; shift 2 ;;
    --reps) reps=$2; shift 2 ;;
    --icount-reps) icount_reps=$2; shift 2 ;;
    --jobs) jobs=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --profile) profile=1; shift ;;
    --no-profile) profile=0; shift ;;
    *) echo "run-bench: unknown option $1" >&2; exit 1 ;;
    esac
done
if [ $quick = 1 ]; then
    size=quick; : "${reps:=3}" "${icount_reps:=1}"
else
    size=full; : "${reps:=5}" "${icount_reps:=2}"
fi
case " $configs " in
*" pvshim "*) : "${profile:=$((1 - quick))}" ;;
*) profile=0 ;;
esac
# The profile's N per benchmark (multiples of 10: the warm-up is N/10).
profile_counts="getpid:20000 fork:50 forkexec:50 mmap:10 pipe:1000 compute:1000"
# The parallel row's rounds of its mix (split over the processes).
par_rounds=$([ $quick = 1 ] && echo 100 || echo 400)
par_reps=$([ $quick = 1 ] && echo 1 || echo 3)
par_cpus="1 2"
# Generous: a full pvshim or Xen run in icount mode takes a few minutes.
limit=$([ $quick = 1 ] && echo 300 || echo 900)

say() { echo "bench: $*" >&2; }

# ---------------------------------------------------------------- inputs
: "${BENCH_KERNEL:=6.1-cloud}"
export KERNEL=${GUEST_CACHE:-cache/guests}/vmlinuz-$BENCH_KERNEL
export INITRD=$BUILD/debian/initramfs.cpio.gz
export PVSHIM=$BUILD/pvshim
# QEMU 7.2's TCG mishandles cmpxchg16b flags for 6.12 (see linux-guest.sh).
case $BENCH_KERNEL in
6.1[2-9]*|6.[2-9]*) : "${BENCH_CPU:=max,cx16=off}" ;;
esac
export BENCH_CPU=${BENCH_CPU:-max}
export BENCH_MEM=${BENCH_MEM:-1024}
# Xen: console_timestamps=raw stamps its lines with the TSC (dom0 entry);
# smap=0 because under QEMU 7.2 TCG, Xen 4.17 with SMAP kills dom0 with a
# #PF on its own kernel stack while building its first bounce frame.
export XEN_ARGS=${XEN_ARGS:-smap=0 console_timestamps=raw}

scripts/fetch-guests.sh >&2 || { say "cannot fetch the guest kernels"; exit 1; }
scripts/mkinitramfs.sh "$INITRD" >&2 || { say "cannot build the initramfs"; exit 1; }
[ -s "$KERNEL" ] || { say "no $KERNEL"; exit 1; }
case " $configs " in
*" xen "*)
    XEN=$(scripts/fetch-xen.sh) || { say "cannot fetch Xen"; exit 1; }
    export XEN ;;
esac
case " $configs " in
*" pvshim "*) [ -s "$PVSHIM" ] || { say "no $PVSHIM (make build/pvshim)"; exit 1; } ;;
esac

mkdir -p "$out"
logs=$out/logs
rm -rf "$logs"
mkdir -p "$logs"
runs=$out/runs.tsv
printf 'mode\tconfig\trep\tkey\tvalue\n' > "$runs"

# run_one MODE CONFIG REP [SIZE]: one boot, its measurements in LOG.tsv.
# Mode "profile" is an icount boot running one benchmark (SIZE NAME:N).
run_one() {
    local mode=$1 config=$2 rep=$3 sz=${4:-$size} log t0 t1 qmode
    log=$logs/$mode-$config-${rep/:/-}.log
    qmode=$mode
    local trace=boot
    [ "$mode" = profile ] && qmode=icount trace=boot,abi
    [ "$mode" = counts ] && qmode=icount trace=boot,abi
    [ "$mode" = parallel ] && qmode=realtime
    t0=$(date +%s)
    BENCH_PVSHIM_TRACE=$trace tests/bench/boot-one.sh "$config" "$qmode" "$sz" "$log" "$limit"
    t1=$(date +%s)
    awk -f tests/bench/parse-log.awk "$log" |
        awk -v m="$mode" -v c="$config" -v r="$rep" '{ printf "%s\t%s\t%s\t%s\t%s\n", m, c, r, $1, $2 }' \
        > "$log.tsv"
    say "$mode $config #$rep: $(awk '$4 == "outcome" { print $5 }' "$log.tsv") after $((t1 - t0)) s"
}

# in_background CMD...: runs CMD in the background, waiting first while
# $jobs are still running (for icount boots, which host load does not change).
running=0
in_background() {
    if [ $running -ge "$jobs" ]; then
        wait -n
        running=$((running - 1))
    fi
    "$@" &
    running=$((running + 1))
}

started=$(date +%s)
for mode in $modes; do
    case $mode in
    icount)
        # Deterministic: host load does not change the numbers, so run
        # up to $jobs at once.
        for rep in $(seq 1 "$icount_reps"); do
            for config in $configs; do
                in_background run_one icount "$config" "$rep"
            done
        done
        # The whole-run trace=abi table's run (not timed).
        case " $configs " in
        *" pvshim "*) in_background run_one counts pvshim 1 ;;
        esac
        wait
        running=0
        ;;
    realtime)
        # One at a time, the configurations alternated within each round.
        for rep in $(seq 1 "$reps"); do
            for config in $configs; do
                run_one realtime "$config" "$rep"
            done
        done
        ;;
    parallel)
        # One at a time (each run is N host threads), alternated.
        for rep in $(seq 1 "$par_reps"); do
            for n in $par_cpus; do
                for config in $configs; do
                    BENCH_SMP=$n run_one parallel "$config" "$n-$rep" "par$n:$par_rounds"
                done
            done
        done
        ;;
    *) say "unknown mode $mode"; exit 1 ;;
    esac
done
if [ "$profile" = 1 ]; then
    for pc in $profile_counts; do
        for k in 1 2; do
            r=${pc%%:*}:$(( ${pc#*:} * k ))
            in_background run_one profile pvshim "$r" "$r"
        done
    done
    wait
    running=0
fi
cat "$logs"/*.tsv >> "$runs" 2> /dev/null
elapsed=$(( $(date +%s) - started ))

# What the report needs to know about this run.
{
    printf 'size\t%s\n' "$size"
    printf 'reps\t%s\n' "$reps"
    printf 'par_rounds\t%s\n' "$par_rounds"
    printf 'par_reps\t%s\n' "$par_reps"
    printf 'icount_reps\t%s\n' "$icount_reps"
    printf 'configs\t%s\n' "$configs"
    printf 'modes\t%s\n' "$modes"
    printf 'profile\t%s\n' "$profile"
    printf 'elapsed_s\t%s\n' "$elapsed"
    printf 'date\t%s\n' "$(date -u '+%Y-%m-%d %H:%M UTC')"
    printf 'host_cpu\t%s\n' "$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1) ($(nproc) CPUs)"
    printf 'qemu\t%s\n' "$(${QEMU:-qemu-system-x86_64} --version | head -n 1)"
    printf 'qemu_cpu\t%s\n' "$BENCH_CPU"
    printf 'qemu_mem\t%s MiB\n' "$BENCH_MEM"
    printf 'kernel\t%s\n' "$(awk -v n="vmlinuz-$BENCH_KERNEL" '$1 == n { print $2 " " $3 }' \
        "${GUEST_CACHE:-cache/guests}/VERSIONS" 2> /dev/null)"
    printf 'xen\t%s\n' "$(sed -n 's/^version //p' cache/xen/xen-4.17.source 2> /dev/null)"
    printf 'xen_args\t%s\n' "$XEN_ARGS"
    printf 'pvshim\t%s\n' "$version"
} > "$out/meta.tsv"

say "measured in $elapsed s; writing the report"
tests/bench/report.sh "$out" || exit 1
awk -F'\t' '$4 == "outcome" && $5 == "done"' "$runs" | grep -q . || {
    say "no configuration reached its final marker"
    exit 1
}
exit 0
