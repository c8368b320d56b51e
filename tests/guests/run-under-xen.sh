#!/bin/sh
# Boots a PV test guest as dom0 of Debian's Xen 4.17 under QEMU (TCG): the
# oracle our test guests are validated against. Stops QEMU when the guest
# prints its final line ("pvtest64: N passed, M failed"), when Xen reports
# that dom0 died, or at the timeout; then prints the guest's result lines.
#
#   tests/guests/run-under-xen.sh [options] [-- extra guest args]
#     --guest FILE     the PV kernel (default build/guests/pvtest64)
#     --module FILE    its module ("" for none; default FILE.mod)
#     --timeout S      give up after S seconds (default 300)
#     --log FILE       the whole serial log (default build/xen-run/serial.log)
#     --xen-args S     extra arguments for Xen's command line
#     --mem SIZE       the VM's memory, as QEMU's -m (default 512)
#   Environment: QEMU (default qemu-system-x86_64), QEMU_ARGS (extra args,
#   e.g. "-icount shift=0,align=off,sleep=off" for benchmarks).
#
# Exit status: 0 final line seen and no FAIL; 1 FAIL lines; 2 no final line
# (timeout, crash); 3 setup problem (no Xen, no guest).
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
guest=$BUILD/guests/pvtest64
module=unset
timeout=300
log=$BUILD/xen-run/serial.log
xen_args=
mem=512
while [ $# -gt 0 ]; do
    case $1 in
    --guest) guest=$2; shift 2 ;;
    --module) module=$2; shift 2 ;;
    --timeout) timeout=$2; shift 2 ;;
    --log) log=$2; shift 2 ;;
    --xen-args) xen_args=$2; shift 2 ;;
    --mem) mem=$2; shift 2 ;;
    --) shift; break ;;
    *) echo "run-under-xen: unknown option $1" >&2; exit 3 ;;
    esac
done
[ "$module" = unset ] && module=$guest.mod
# The token the guest looks for on its command line (boot.c).
guest_args="pvtest64-cmdline-token $*"

xen=$(scripts/fetch-xen.sh) || { echo "run-under-xen: cannot fetch Xen" >&2; exit 3; }
[ -f "$guest" ] || { echo "run-under-xen: no $guest (run 'make guests')" >&2; exit 3; }
[ -z "$module" ] || [ -f "$module" ] || { echo "run-under-xen: no $module" >&2; exit 3; }

mkdir -p "$(dirname "$log")"
: > "$log"
# QEMU's -initrd: "file args,file"; commas inside args are doubled.
mods="$guest $(printf '%s' "$guest_args" | sed 's/,/,,/g')"
[ -n "$module" ] && mods="$mods,$module"
xen_cmdline="console=com1 com1=115200,8n1 dom0_mem=256M dom0_max_vcpus=1 noreboot x2apic=false loglvl=all guest_loglvl=all $xen_args"

# shellcheck disable=SC2086
${QEMU:-qemu-system-x86_64} -accel tcg -cpu max,vendor=GenuineIntel -m "$mem" \
    -display none -nodefaults -no-reboot -serial "file:$log" \
    -kernel "$xen" -append "$xen_cmdline" -initrd "$mods" ${QEMU_ARGS:-} \
    > "$log.qemu" 2>&1 < /dev/null &
qemu=$!

final='pvtest64: [0-9]+ passed, [0-9]+ failed'
dead='Domain 0 crashed|Panic on CPU|dom0 .*shut down|Hardware Dom0 shutdown|FATAL'
end=$(( $(date +%s) + timeout ))
outcome=timeout
while kill -0 "$qemu" 2>/dev/null; do
    if grep -qE "$final" "$log"; then outcome=final; break; fi
    if grep -qE "$dead" "$log"; then sleep 1; outcome=dead; break; fi
    [ "$(date +%s)" -ge "$end" ] && break
    sleep 0.5
done
kill "$qemu" 2>/dev/null
wait "$qemu" 2>/dev/null
# Xen under noreboot keeps running after dom0 powers off; QEMU is stopped
# here by us, so its exit status means nothing.

tr -d '\r' < "$log" | grep -E '^(PASS|FAIL|SKIP|INFO) |^pvtest64: ' 
case $outcome in
final)
    if tr -d '\r' < "$log" | grep -q '^FAIL '; then exit 1; fi
    exit 0 ;;
dead)
    echo "run-under-xen: dom0 died before the final line; see $log" >&2
    tr -d '\r' < "$log" | tail -n 25 >&2
    exit 2 ;;
*)
    echo "run-under-xen: no final line within ${timeout}s; see $log" >&2
    tr -d '\r' < "$log" | tail -n 25 >&2
    exit 2 ;;
esac
