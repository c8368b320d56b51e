#!/bin/sh
# Boots the PV tests of an XTF build (the Xen Test Framework, which stays
# outside this project) through pvshim under QEMU (TCG), one at a time,
# and prints one line per test configuration and a summary. With --xen,
# the same kernels run as dom0 of Debian's Xen 4.17 instead, the reference
# to compare with.
#
#   tests/xtf/run-xtf.sh [options] XTF_DIR [REGEX]
#     XTF_DIR          a built XTF tree (the one holding tests/NAME/*.cfg)
#     REGEX            only configurations whose name matches (grep -E)
#     --env LIST       guest environments, comma-separated: pv64, pv32pae
#                      (default pv64)
#     --timeout S      give up on one test after S seconds (default 60)
#     --shim FILE      the pvshim image (default build/pvshim)
#     --logs DIR       keep each test's console log there
#                      (default build/xtf-logs, build/xtf-logs-xen)
#     --shim-args S    pvshim's own command line (default empty)
#     --xen            run each test as dom0 of Xen 4.17 (scripts/fetch-xen.sh)
#                      instead of through pvshim
#     --cpu MODEL      QEMU's -cpu (default max,vendor=GenuineIntel: TCG
#                      decodes a far call with REX.W the Intel way whatever
#                      the vendor, and XTF's xsa-298 lays out its far
#                      pointer by vendor; tests/guests/run-under-xen.sh runs
#                      Xen with the same CPU)
#
# Each line: NAME RESULT [detail]. RESULT is XTF's own verdict (SUCCESS,
# SKIP, FAILURE, ERROR) from its "Test result:" line, or, without one,
# TIMEOUT (no end within the timeout) or CRASH (QEMU ended first; the
# detail gives QEMU's status, 5 being a crashed guest, and the guest's
# last lines). Otherwise the detail is XTF's last Fail/Error/Skip line
# before its verdict (none for SUCCESS).
# Exit status: 0 when every test ended in SUCCESS or SKIP, 1 otherwise,
# 2 on bad usage.
set -u
envs=pv64
timeout=60
shim=
logs=
shim_args=
cpu=max,vendor=GenuineIntel
xen=
while [ $# -gt 0 ]; do
    case $1 in
    --env) envs=$2; shift 2 ;;
    --timeout) timeout=$2; shift 2 ;;
    --shim) shim=$2; shift 2 ;;
    --logs) logs=$2; shift 2 ;;
    --shim-args) shim_args=$2; shift 2 ;;
    --cpu) cpu=$2; shift 2 ;;
    --xen) xen=1; shift ;;
    -h|--help) sed -n '2,/^set -u/p' "$0" | sed '$d'; exit 0 ;;
    -*) echo "run-xtf: unknown option $1" >&2; exit 2 ;;
    *) break ;;
    esac
done
if [ $# -lt 1 ] || [ $# -gt 2 ]; then
    echo "usage: run-xtf.sh [options] XTF_DIR [REGEX]" >&2
    exit 2
fi
# Paths given by the user are relative to where they ran this; the
# defaults are relative to the project.
xtf=$(realpath -m -- "$1")
filter=${2:-.}
[ -n "$shim" ] && shim=$(realpath -m -- "$shim")
[ -n "$logs" ] && logs=$(realpath -m -- "$logs")
cd "$(dirname "$0")/../.." || exit 2
BUILD=${BUILD:-build}
: "${shim:=$BUILD/pvshim}"
: "${logs:=$BUILD/xtf-logs${xen:+-xen}}"
[ -d "$xtf/tests" ] || { echo "run-xtf: $xtf has no tests/ (not an XTF tree?)" >&2; exit 2; }
if [ -n "$xen" ]; then
    xen=$(scripts/fetch-xen.sh) || { echo "run-xtf: cannot fetch Xen" >&2; exit 2; }
    # As tests/guests/run-under-xen.sh boots it.
    xen_cmdline="console=com1 com1=115200,8n1 dom0_mem=256M dom0_max_vcpus=1 noreboot x2apic=false loglvl=all guest_loglvl=all"
else
    [ -f "$shim" ] || { echo "run-xtf: no $shim (run make)" >&2; exit 2; }
fi
mkdir -p "$logs"

# cfg_value FILE KEY: the value of KEY="..." (or KEY=...) in an xl cfg.
cfg_value() {
    sed -n "s/^$2[[:space:]]*=[[:space:]]*//p" "$1" | sed 's/[[:space:]]*#.*$//; s/^"\(.*\)"$/\1/' | head -n 1
}

total=0
counts=
bad=0
for env in $(printf '%s' "$envs" | tr ',' ' '); do
    for cfg in "$xtf"/tests/*/test-"$env"-*.cfg; do
        [ -f "$cfg" ] || continue
        name=$(basename "$cfg" .cfg)
        printf '%s\n' "$name" | grep -qE -- "$filter" || continue
        # The cfg's kernel= path is where XTF was built; the kernel sits
        # next to its cfg.
        kernel=$(dirname "$cfg")/$(basename "$(cfg_value "$cfg" kernel)")
        args=$(cfg_value "$cfg" cmdline)
        # vcpus=N: a VM of N CPUs (pvshim gives the guest a vCPU per CPU).
        vcpus=$(cfg_value "$cfg" vcpus)
        accel=tcg
        [ "${vcpus:-1}" -gt 1 ] 2>/dev/null && accel="tcg,thread=multi -smp $vcpus"
        log=$logs/$name.log
        : > "$log"
        # QEMU's -initrd: "file args"; commas inside args are doubled.
        mod="$kernel $(printf '%s' "$args" | sed 's/,/,,/g')"
        status=0
        if [ -n "$xen" ]; then
            # Xen with noreboot keeps running after dom0 ends: stop QEMU
            # once the verdict or dom0's end is on the console.
            qemu-system-x86_64 -accel tcg -M pc -cpu "$cpu" -m 512 -display none -nodefaults \
                -no-reboot -serial "file:$log" -kernel "$xen" -append "$xen_cmdline" \
                -initrd "$mod" > "$log.qemu" 2>&1 < /dev/null &
            qemu=$!
            end=$(( $(date +%s) + timeout ))
            status=124
            while kill -0 "$qemu" 2>/dev/null; do
                if grep -qaE 'Test result:|Dom0 (crashed|shutdown)|Panic on CPU' "$log"; then
                    sleep 1
                    status=0
                    grep -qa 'Dom0 crashed' "$log" && status=5
                    break
                fi
                [ "$(date +%s)" -ge "$end" ] && break
                sleep 0.5
            done
            kill "$qemu" 2>/dev/null
            wait "$qemu" 2>/dev/null
        else
            # shellcheck disable=SC2086 # accel carries -smp N
            timeout --foreground -k 5 "$timeout" qemu-system-x86_64 -accel $accel -M pc -cpu "$cpu" \
                -m 1024 -display none -nodefaults -no-reboot -serial "file:$log" \
                -device isa-debug-exit,iobase=0xf4,iosize=0x04 \
                -kernel "$shim" -append "$shim_args" -initrd "$mod" \
                > "$log.qemu" 2>&1 < /dev/null || status=$?
        fi
        clean=$(tr -d '\r' < "$log")
        verdict=$(printf '%s\n' "$clean" | sed -n 's/.*Test result: \([A-Z]*\).*/\1/p' | tail -n 1)
        detail=
        if [ -n "$verdict" ]; then
            # Why: XTF's last Fail/Error/Skip line before its verdict, or
            # else the last line it printed.
            before=$(printf '%s\n' "$clean" | sed -n '/Test result:/q; p' | grep -vE '^\((pvshim|XEN)\)')
            detail=$(printf '%s\n' "$before" | grep -E '(Fail|Error|Skip|Warning)' | tail -n 1)
            [ -n "$detail" ] || detail=$(printf '%s\n' "$before" | tail -n 1)
            detail=$(printf '%s\n' "$detail" | sed 's/^[[:space:]]*//' | cut -c 1-100)
            case $verdict in SUCCESS) detail= ;; esac
        elif [ "$status" = 124 ] || [ "$status" = 137 ]; then
            verdict=TIMEOUT
            detail="no verdict after ${timeout}s"
        else
            verdict=CRASH
            # The guest's last words, not pvshim's: PANIC lines and the
            # exception report that follows them. A guest that never ran
            # (e.g. pvshim refused its image) has none: pvshim's reason.
            last=$(printf '%s\n' "$clean" | grep -vE '^\((pvshim|XEN)\)|^\*+$|^[[:space:]]*$' | tail -n 2 |
                tr '\n' ' ' | cut -c 1-90)
            if [ -z "$last" ] && [ -z "$xen" ]; then
                last=$(printf '%s\n' "$clean" | grep '^(pvshim)' | grep -v ' exit: ' | tail -n 1 |
                    cut -c 1-90)
            fi
            if [ -n "$xen" ]; then
                detail="Xen: dom0 crashed; $last"
            else
                detail="QEMU status $status; $last"
            fi
        fi
        case $verdict in SUCCESS|SKIP) ;; *) bad=1 ;; esac
        total=$((total + 1))
        counts="$counts $verdict"
        printf '%-40s %-8s %s\n' "$name" "$verdict" "$detail"
    done
done

summary=
for v in SUCCESS SKIP FAILURE ERROR CRASH TIMEOUT; do
    # shellcheck disable=SC2086 # one verdict per word
    n=$(printf '%s\n' $counts | grep -cx "$v")
    summary="$summary, $n $v"
done
echo "run-xtf: $total tests${summary}"
exit $bad
