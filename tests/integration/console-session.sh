# An interactive console for integration tests: QEMU runs in the
# background with its serial port on two FIFOs; the test types lines into
# the guest's console and waits for text to appear in $LOG, like a person
# at the terminal. Source it after lib.sh.
#
#   session_start [--mem MiB] [--timeout s] [--initrd S] [QEMU args...]
#   session_send LINE             type LINE and Enter
#   session_expect TEXT [secs]    TEXT appears after the last session_send
#   session_wait [secs]           QEMU ends by itself; sets STATUS
#   session_kill                  SIGKILL to QEMU (a power cut); sets STATUS
#   session_output                the console since the last send (or start)
#
# A failed expectation calls fail with what was awaited; QEMU is always
# gone when session_wait or session_kill return.

SESSION_EXPECT_TIMEOUT=${SESSION_EXPECT_TIMEOUT:-900}

session_start() {
    local mem=1024 timeout=3000 initrd='' have_initrd=0 fifo
    while [ $# -gt 0 ]; do
        case $1 in
        --mem) mem=$2; shift 2 ;;
        --timeout) timeout=$2; shift 2 ;;
        --initrd) initrd=$2; have_initrd=1; shift 2 ;;
        *) break ;;
        esac
    done
    [ $have_initrd = 1 ] && set -- -initrd "$initrd" "$@"
    fifo=$TEST_DIR/console
    rm -f "$fifo.in" "$fifo.out" "$TEST_DIR/qemu.pid"
    mkfifo "$fifo.in" "$fifo.out"
    # A test's boots follow each other in one $LOG; expectations look at
    # what came after this line.
    echo "(test harness) ---- QEMU starts ----" >> "$LOG"
    SESSION_MARK=$(stat -c %s "$LOG")
    SESSION_T0=$(date +%s)
    # shellcheck disable=SC2086
    timeout --foreground -k 5 "$timeout" $QEMU -accel tcg -cpu max -m "$mem" \
        -display none -no-reboot -nodefaults \
        -chardev "pipe,id=con0,path=$fifo" -serial chardev:con0 \
        -device isa-debug-exit,iobase=0xf4,iosize=0x04 \
        -pidfile "$TEST_DIR/qemu.pid" -kernel "$BUILD/pvshim" "$@" \
        > "$LOG.qemu" 2>&1 < /dev/null &
    SESSION_JOB=$!
    # Read and write ends opened read-write: neither open waits for QEMU.
    exec {SESSION_OUT}<> "$fifo.out"
    exec {SESSION_IN}<> "$fifo.in"
    cat <&"$SESSION_OUT" >> "$LOG" &
    SESSION_CAT=$!
    # A test that returns early leaves no QEMU behind.
    trap session_cleanup EXIT
}

session_cleanup() {
    session_alive && session_kill
    return 0
}

session_alive() {
    kill -0 "$SESSION_JOB" 2> /dev/null
}

session_send() {
    SESSION_MARK=$(stat -c %s "$LOG")
    printf '%s\r' "$1" >&"$SESSION_IN"
}

# The console output since the last session_send.
session_output() {
    tail -c +$((SESSION_MARK + 1)) "$LOG"
}

session_expect() { # TEXT [SECONDS]
    local limit=${2:-$SESSION_EXPECT_TIMEOUT} start
    start=$(date +%s)
    while :; do
        session_output | grep -qF -- "$1" && return 0
        if ! session_alive; then
            session_output | grep -qF -- "$1" && return 0
            fail "QEMU ended before the console showed: $1"
            return 1
        fi
        if [ $(($(date +%s) - start)) -ge "$limit" ]; then
            fail "the console did not show within ${limit}s: $1"
            return 1
        fi
        sleep 1
    done
}

# Seconds since session_start.
session_elapsed() {
    echo $(($(date +%s) - SESSION_T0))
}

session_end() {
    STATUS=0
    wait "$SESSION_JOB" || STATUS=$?
    [ "$STATUS" = 124 ] && echo "(test harness) QEMU timed out" >> "$LOG"
    # QEMU's end closed its side of the FIFO; let the reader drain it.
    exec {SESSION_IN}>&- {SESSION_OUT}>&-
    sleep 1
    kill "$SESSION_CAT" 2> /dev/null
    wait "$SESSION_CAT" 2> /dev/null
    return 0
}

session_wait() { # [SECONDS]
    local limit=${1:-$SESSION_EXPECT_TIMEOUT} start
    start=$(date +%s)
    while session_alive && [ $(($(date +%s) - start)) -lt "$limit" ]; do
        sleep 1
    done
    if session_alive; then
        fail "QEMU still running ${limit}s after the expected end"
        session_kill
        return 1
    fi
    session_end
}

session_kill() {
    local pid
    pid=$(cat "$TEST_DIR/qemu.pid" 2> /dev/null) || pid=
    [ -n "$pid" ] && kill -KILL "$pid" 2> /dev/null
    session_end
}
