# Debian's Xen-PV Linux kernels, unmodified, as PV guests of pvshim under
# QEMU TCG with no Xen anywhere: early console through console_io, then
# the test initramfs's workloads on hvc0, then a clean power-off.
. tests/integration/linux-guest.sh

# The VM's size in MiB: LINUX_MEM (default 1024). pvshim writes JSON
# records (logformat=json), which the host tool reads back below.
pvshim_linux() { # KERNEL-NAME MODE [QEMU ARGS...]
    local kernel mode
    linux_guest_prepare || return 1
    kernel=$(linux_guest_kernel "$1") || return 1
    mode=$2
    shift 2
    boot --mem "${LINUX_MEM:-1024}" --timeout 400 --append "trace=abi logformat=json" \
        --initrd "$kernel console=hvc0 earlyprintk=xen pvshim.test=$mode,$LINUX_INITRD" "$@"
}

# The kernel's first messages arrive through console_io (earlyprintk=xen).
test_pvshim_linux_early_console() {
    pvshim_linux 6.1-cloud poweroff
    expect_log "Linux version 6.1"
    expect_log_re "Booting (paravirtualized )?kernel on Xen"
    expect_log_re "Xen version: 4\.17"
}

# pvshim's records read back by the host tool: its summary must contain $1.
expect_abi_summary() {
    local out
    out=$("$BUILD/pvshim-abi-report" --summary -n guest "$LOG" 2>&1)
    case $out in
    *"$1"*) ;;
    *) fail "pvshim-abi-report --summary: $out (expected: $1)" ;;
    esac
}

# The trace=abi report as pvshim-abi-report's table: the PV MMU used, and
# the vCPUs the guest probed refused as Xen does (one vCPU: -ENOENT).
expect_abi_table() {
    local md
    md=$(scratch abi-table.md)
    if ! "$BUILD/pvshim-abi-report" -n guest -o "$md" "$LOG" 2> "$md.err"; then
        fail "pvshim-abi-report: $(head -n 3 "$md.err" | tr '\n' ' ')"
        return
    fi
    grep -qE '^\| 1 \| mmu_update \| 0 normal_pt_update \| [1-9][0-9]* \| 0 \|$' "$md" ||
        fail "pvshim-abi-report: no mmu_update row without refusals in $md"
    grep -qE '^\| 24 \| vcpu_op \| 3 is_up \| [0-9]+ \| -ENOENT [1-9][0-9]* \|$' "$md" ||
        fail "pvshim-abi-report: no vcpu_op is_up row refused with -ENOENT in $md"
}

pvshim_linux_full() {
    pvshim_linux "$@"
    expect_status 0
    expect_log "PVSHIM-TEST: env xen-pv"
    expect_guest_tests_passed
    expect_log "Using FIFO-based ABI"      # init_control accepted: no 2-level fallback
    expect_log "guest shut down: poweroff"
    expect_no_log "internal error"
    expect_abi_summary "exit poweroff (QEMU status 0), guest shut down: poweroff"
    expect_abi_table
}

test_pvshim_linux_6_1_cloud() {
    pvshim_linux_full 6.1-cloud full
}

# 4 GiB: RAM above 4 GiB and holes below the top of RAM.
test_pvshim_linux_6_1_cloud_4g() {
    LINUX_MEM=4096 pvshim_linux_full 6.1-cloud full
    expect_log "0x000100000000 - 0x000140000000 RAM"
}

test_pvshim_linux_6_1_generic() {
    pvshim_linux_full 6.1-generic full
}

test_pvshim_linux_6_12_cloud() {
    # shellcheck disable=SC2086
    pvshim_linux_full 6.12-cloud full $LINUX_6_12_QEMU_CPU
}

# Two CPUs (MTTCG): pvshim starts and parks the second one; the guest still
# has one vCPU until pvshim's vCPU ABI is complete, and runs the workloads.
test_pvshim_linux_6_1_cloud_smp2() {
    pvshim_linux_full 6.1-cloud full --smp 2
    expect_log "smp: 2 CPUs (2 in the MADT)"
}

# A guest panic: the crash status, with the panic text on the console.
test_pvshim_linux_panic() {
    pvshim_linux 6.1-cloud panic
    expect_status 5
    expect_log "Kernel panic"
    expect_log_re "guest (crashed|shut down: crash)"
    expect_abi_summary "exit guest-crash (QEMU status 5)"
}

# The guest's console takes keyboard input: a shell on hvc0 answers a
# command typed on pvshim's serial port, then powers off on request.
test_pvshim_linux_interactive_shell() {
    local kernel fifo status=0
    linux_guest_prepare || return 1
    kernel=$(linux_guest_kernel 6.1-cloud) || return 1
    fifo=$(scratch input.fifo)
    rm -f "$fifo"
    mkfifo "$fifo"
    : > "$LOG"
    (
        exec 3> "$fifo"
        for _ in $(seq 1 280); do
            grep -q '/ # ' "$LOG" && break
            sleep 0.5
        done
        printf 'echo TYPED-$((6*7))\r' >&3
        sleep 3
        printf 'poweroff -f\r' >&3
        sleep 60
    ) &
    local feeder=$!
    timeout --foreground -k 5 150 "$QEMU" -accel tcg -cpu max -m 1024 -display none \
        -no-reboot -nodefaults -device isa-debug-exit,iobase=0xf4,iosize=0x04 \
        -serial stdio -kernel "$BUILD/pvshim" \
        -initrd "$kernel console=hvc0 pvshim.test=shell,$LINUX_INITRD" \
        < "$fifo" > "$LOG" 2>&1 || status=$?
    kill "$feeder" 2> /dev/null
    STATUS=$status
    expect_log "TYPED-42"
    expect_log "guest shut down: poweroff"
    expect_status 0
}

# N vCPUs on N CPUs (MTTCG): Linux brings vCPUs 1..N-1 up through
# VCPUOP_initialise/up, sees every CPU in /proc/cpuinfo, runs a process on
# each, threads and fork/exec across them, and takes CPU 1 offline and back.
pvshim_linux_smp() { # KERNEL-NAME N [QEMU ARGS...]
    local n=$2
    pvshim_linux "$1" smp --smp "$n" "${@:3}"
    expect_status 0
    expect_log "smp: Brought up 1 node, $n CPUs"
    expect_log "init: cpus $n online 0-$((n - 1))"
    local t
    for t in smp threads forkexec hotplug smp-after-hotplug; do
        expect_log "PVSHIM-TEST: PASS $t"
    done
    expect_log "PVSHIM-TEST: done 5 passed 0 failed"
    expect_log "guest shut down: poweroff"
    expect_no_log "internal error"
}

test_pvshim_linux_6_1_smp2() {
    pvshim_linux_smp 6.1-cloud 2
}

test_pvshim_linux_6_12_smp2() {
    # shellcheck disable=SC2086
    pvshim_linux_smp 6.12-cloud 2 $LINUX_6_12_QEMU_CPU
}

test_pvshim_linux_6_1_smp4() {
    pvshim_linux_smp 6.1-cloud 4
}

test_pvshim_linux_6_12_smp4() {
    # shellcheck disable=SC2086
    pvshim_linux_smp 6.12-cloud 4 $LINUX_6_12_QEMU_CPU
}

# Host-side hotplug: the host types pvshim's console commands "cpu 1
# offline" and "cpu 1 online" (Ctrl-] lines on the serial port); pvshim
# writes ~/cpu/1/availability and Linux's xen cpu hotplug driver takes
# vCPU 1 down and brings it back; a process per CPU still runs on both.
test_pvshim_linux_6_1_host_hotplug() {
    local kernel fifo status=0
    linux_guest_prepare || return 1
    kernel=$(linux_guest_kernel 6.1-cloud) || return 1
    fifo=$(scratch input.fifo)
    rm -f "$fifo"
    mkfifo "$fifo"
    : > "$LOG"
    (
        exec 3> "$fifo"
        local state
        for state in offline online; do
            for _ in $(seq 1 600); do
                grep -q "waiting for the host: cpu1 $state" "$LOG" && break
                sleep 0.5
            done
            printf '\035cpu 1 %s\r' "$state" >&3
        done
        sleep 400
    ) &
    local feeder=$!
    timeout --foreground -k 5 400 "$QEMU" -accel tcg,thread=multi -smp 2 -cpu max -m 1024 \
        -display none -no-reboot -nodefaults -device isa-debug-exit,iobase=0xf4,iosize=0x04 \
        -serial stdio -kernel "$BUILD/pvshim" \
        -initrd "$kernel console=hvc0 pvshim.test=host-hotplug,$LINUX_INITRD" \
        < "$fifo" > "$LOG" 2>&1 || status=$?
    kill "$feeder" 2> /dev/null
    wait "$feeder" 2> /dev/null
    STATUS=$status
    expect_log "host command: 'cpu 1 offline' done"
    expect_log "host command: 'cpu 1 online' done"
    expect_log "init: host-hotplug: cpu1 offline; online 0"
    expect_log "init: host-hotplug: cpu1 online; online 0-1"
    expect_log "PVSHIM-TEST: PASS host-hotplug"
    expect_log "PVSHIM-TEST: PASS smp-after-host-hotplug"
    expect_log "PVSHIM-TEST: done 2 passed 0 failed"
    expect_log "guest shut down: poweroff"
    expect_status 0
    expect_no_log "internal error"
}
