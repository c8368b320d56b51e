#!/usr/bin/env bash
# Boots one benchmark configuration once under QEMU TCG and records the
# serial console, each line stamped with the host time since QEMU was
# started (microseconds). The run's end is the guest's final marker
# ("PVSHIM-BENCH: stamp done"); QEMU is stopped there under Xen, which with
# noreboot idles forever after its dom0 powers off. Native Linux and pvshim
# power off by themselves (pvshim prints its trace=abi table on the way,
# when asked for one).
#
#   tests/bench/boot-one.sh CONFIG MODE SIZE LOG [TIMEOUT]
#     CONFIG   native   QEMU boots the kernel itself (console ttyS0)
#              xen      Debian's Xen 4.17 boots it as PV dom0 (earlyprintk=xen;
#                       the cloud kernel has no hvc0, markers come via /dev/kmsg)
#              pvshim   pvshim hosts it as its PV guest (hvc0)
#     MODE     icount   -icount shift=0,align=off,sleep=off, RTC on the
#                       virtual clock (deterministic)
#              realtime no -icount
#     SIZE     quick | full | NAME:ITERS   (the guest's pvshim.bench=)
#     LOG      lines "MICROSECONDS<TAB>serial line"; then "#end OUTCOME STATUS"
#   Environment: KERNEL, INITRD, XEN, PVSHIM (images), QEMU, BENCH_CPU
#   (QEMU -cpu, the same for all configurations), BENCH_MEM (MiB),
#   BENCH_SMP (vCPUs, default 1: the VM's CPUs, Xen's dom0_max_vcpus;
#   more than one runs under multi-threaded TCG, so never with icount),
#   PVSHIM_ARGS (extra pvshim options), BENCH_PVSHIM_TRACE (pvshim's
#   trace=, default boot: the timed runs count nothing users do not;
#   boot,abi where a table needs the trace=abi counters), BENCH_QEMU_EXTRA (more QEMU
#   arguments, split on spaces), BENCH_HMP_AT_ENV (a QEMU monitor command
#   run when the guest's "PVSHIM-TEST: env" marker arrives, just before the
#   benchmarks: profile-pvshim.sh turns QEMU's execution log on there).
#
# Exit status 0 when the final marker arrived, 1 when it did not (the log
# says why), 2 for a usage or setup error.
set -u
[ $# -ge 4 ] || { echo "usage: $0 CONFIG MODE SIZE LOG [TIMEOUT]" >&2; exit 2; }
config=$1 mode=$2 size=$3 log=$4 limit=${5:-600}
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
: "${KERNEL:=cache/guests/vmlinuz-6.1-cloud}"
: "${INITRD:=$BUILD/debian/initramfs.cpio.gz}"
: "${XEN:=cache/xen/xen-4.17}"
: "${PVSHIM:=$BUILD/pvshim}"
: "${QEMU:=qemu-system-x86_64}"
: "${BENCH_CPU:=max}"
: "${BENCH_MEM:=1024}"
: "${PVSHIM_ARGS:=}"
: "${BENCH_PVSHIM_TRACE:=boot}"
: "${BENCH_SMP:=1}"
: "${XEN_ARGS:=}"

final='PVSHIM-BENCH: stamp done'
# Xen keeps running when dom0 dies (noreboot): stop at its last words too.
dead='Hardware Dom0 crashed|Hardware Dom0 shutdown|Panic on CPU'
guest_args="pvshim.test=bench pvshim.bench=$size"

for f in "$KERNEL" "$INITRD"; do
    [ -s "$f" ] || { echo "boot-one: no $f" >&2; exit 2; }
done

accel=tcg
[ "$BENCH_SMP" = 1 ] || accel=tcg,thread=multi
qemu_args=(-accel "$accel" -cpu "$BENCH_CPU" -m "$BENCH_MEM" -smp "$BENCH_SMP" -display none
           -nodefaults -no-reboot
           -device isa-debug-exit,iobase=0xf4,iosize=0x04)
[ "$BENCH_SMP" = 1 ] || [ "$mode" = realtime ] ||
    { echo "boot-one: several vCPUs only in realtime mode (icount is single-threaded)" >&2; exit 2; }
case $mode in
# The RTC too follows virtual time from a fixed date: Xen waits for an RTC
# update edge at boot, which on the host's clock varies run to run.
icount) qemu_args+=(-icount shift=0,align=off,sleep=off
                    -rtc clock=vm,base=2025-01-01T00:00:00) ;;
realtime) ;;
*) echo "boot-one: unknown mode $mode" >&2; exit 2 ;;
esac

# QEMU's -initrd for Multiboot: "file args,file"; commas in args doubled.
mb_modules() { # KERNEL ARGS INITRD
    printf '%s %s,%s' "$1" "$(printf '%s' "$2" | sed 's/,/,,/g')" "$3"
}

case $config in
native)
    # panic=-1 with -no-reboot: a guest panic ends QEMU at once.
    qemu_args+=(-kernel "$KERNEL" -initrd "$INITRD"
                -append "console=ttyS0 panic=-1 $guest_args")
    ;;
xen)
    [ -s "$XEN" ] || { echo "boot-one: no $XEN (scripts/fetch-xen.sh)" >&2; exit 2; }
    # x2apic=false: with x2APIC, QEMU aborts under -icount ("Bad icount read").
    qemu_args+=(-kernel "$XEN"
                -append "console=com1 com1=115200,8n1 noreboot x2apic=false dom0_max_vcpus=$BENCH_SMP $XEN_ARGS"
                -initrd "$(mb_modules "$KERNEL" "earlyprintk=xen panic=-1 $guest_args" "$INITRD")")
    ;;
pvshim)
    [ -s "$PVSHIM" ] || { echo "boot-one: no $PVSHIM (make build/pvshim)" >&2; exit 2; }
    qemu_args+=(-kernel "$PVSHIM" -append "trace=$BENCH_PVSHIM_TRACE $PVSHIM_ARGS"
                -initrd "$(mb_modules "$KERNEL" "console=hvc0 earlyprintk=xen $guest_args" "$INITRD")")
    ;;
*) echo "boot-one: unknown configuration $config" >&2; exit 2 ;;
esac
# shellcheck disable=SC2206
[ -n "${BENCH_QEMU_EXTRA:-}" ] && qemu_args+=($BENCH_QEMU_EXTRA)
hmp_port=
if [ -n "${BENCH_HMP_AT_ENV:-}" ]; then
    hmp_port=$((20000 + RANDOM % 20000))
    qemu_args+=(-monitor "tcp:127.0.0.1:$hmp_port,server=on,wait=off")
fi
# hmp COMMAND: one command to QEMU's human monitor, through bash's /dev/tcp.
hmp() {
    exec 7<> "/dev/tcp/127.0.0.1/$hmp_port" || return 1
    printf '%s\n' "$1" >&7
    timeout 2 head -c 100000 <&7 > /dev/null 2>&1
    exec 7>&-
}

mkdir -p "$(dirname "$log")"
work=$(mktemp -d "${TMPDIR:-/tmp}/pvshim-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT
# QEMU writes the serial port to a plain file, which never blocks: through
# a pipe, a slow reader would delay the UART's transmit interrupts by host
# time, and Xen's interrupt-driven console would stop repeating under icount.
: > "$work/serial"
qemu_args+=(-serial "file:$work/serial")
{
    printf '#config %s\n#mode %s\n#size %s\n' "$config" "$mode" "$size"
    printf '#qemu %s\n' "${qemu_args[*]}"
} > "$log"

us_now() { local t=$EPOCHREALTIME; echo $(( ${t/./} )); }

start=$(us_now)
timeout --foreground -k 5 "$limit" "$QEMU" "${qemu_args[@]}" \
    > /dev/null 2> "$work/stderr" < /dev/null &
qemu=$!

outcome=exited
reaper=
while IFS= read -r line; do
    t=$EPOCHREALTIME
    line=${line%$'\r'}
    printf '%d\t%s\n' $(( ${t/./} - start )) "$line" >> "$log"
    [ $outcome = done ] && continue
    if [ -n "$hmp_port" ] && [[ $line == *"PVSHIM-TEST: env"* ]]; then
        hmp "$BENCH_HMP_AT_ENV"
        hmp_port=
    fi
    if [[ $line == *"$final"* ]]; then
        outcome=done
        # Native Linux and pvshim power off by themselves (pvshim prints its
        # trace=abi table then); Xen with noreboot never ends.
        if [ "$config" = xen ]; then
            kill "$qemu" 2> /dev/null
            break
        fi
        { sleep 60; kill "$qemu" 2> /dev/null; } &
        reaper=$!
    elif [[ $line =~ $dead ]]; then
        outcome=dead
        kill "$qemu" 2> /dev/null
        break
    fi
done < <(tail -n +1 -f --pid="$qemu" "$work/serial")
wait "$qemu"
status=$?
[ -n "$reaper" ] && kill "$reaper" 2> /dev/null
[ $outcome = exited ] && [ $status = 124 ] && outcome=timeout
sed 's/^/#qemu-stderr /' "$work/stderr" >> "$log"
printf '#end %s %s\n' "$outcome" "$status" >> "$log"
[ $outcome = done ]
