# Helpers for integration tests: boot something under QEMU (TCG), then
# judge it by what it printed and how QEMU exited. Sourced by run-tests.sh;
# every test is a shell function named test_* in tests/integration/*.sh.
#
# A test fails by calling `fail "why"` (or any helper below failing): the
# runner prints the reason and the tail of the console log.

: "${BUILD:=build}"
: "${QEMU:=qemu-system-x86_64}"
LOGDIR=${LOGDIR:-$BUILD/test-logs}

fail() {
    echo "$*" >> "$TEST_REASONS"
    return 1
}

# boot [--image F] [--append S] [--initrd S] [--mem MiB] [--timeout s] [qemu args...]
# Runs QEMU with the serial console and debugcon captured in $LOG.
# Sets STATUS to QEMU's exit status (124 on timeout).
boot() {
    local image=$BUILD/pvshim append= initrd= mem=256 timeout=${BOOT_TIMEOUT:-90} accel=tcg
    local have_append=0 have_initrd=0
    while [ $# -gt 0 ]; do
        case $1 in
        --image) image=$2; shift 2 ;;
        --append) append=$2; have_append=1; shift 2 ;;
        --initrd) initrd=$2; have_initrd=1; shift 2 ;;
        --mem) mem=$2; shift 2 ;;
        # --smp N: N CPUs, one host thread each (MTTCG)
        --smp) accel="tcg,thread=multi -smp $2"; shift 2 ;;
        --timeout) timeout=$2; shift 2 ;;
        --) shift; break ;;
        *) break ;;     # the rest are QEMU's own arguments
        esac
    done
    local args="-accel $accel -cpu max -m $mem -display none -no-reboot -nodefaults"
    args="$args -serial file:$LOG -device isa-debug-exit,iobase=0xf4,iosize=0x04"
    set -- "$@"
    [ $have_append = 1 ] && set -- -append "$append" "$@"
    [ $have_initrd = 1 ] && set -- -initrd "$initrd" "$@"
    : > "$LOG"
    STATUS=0
    # shellcheck disable=SC2086
    timeout --foreground -k 5 "$timeout" $QEMU $args -kernel "$image" "$@" \
        > "$LOG.qemu" 2>&1 < /dev/null || STATUS=$?
    if [ "$STATUS" = 124 ]; then
        echo "(test harness) QEMU timed out after ${timeout}s" >> "$LOG"
    fi
    return 0
}

# expect_status N: QEMU must have exited with status N.
expect_status() {
    [ "$STATUS" = "$1" ] || fail "QEMU exit status $STATUS, expected $1"
}

# expect_log STRING: the console log must contain STRING (fixed string).
expect_log() {
    grep -qF -- "$1" "$LOG" || fail "missing in console log: $1"
}

# expect_log_re REGEX: the console log must match an extended regex.
expect_log_re() {
    grep -qE -- "$1" "$LOG" || fail "no console line matches: $1"
}

# expect_no_log STRING: the console log must not contain STRING.
expect_no_log() {
    if grep -qF -- "$1" "$LOG"; then fail "unexpected in console log: $1"; fi
}

# A scratch file in this test's own directory.
scratch() {
    echo "$TEST_DIR/$1"
}
