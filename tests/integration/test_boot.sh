# pvshim boots through Multiboot1 and PVH, reports what it found, and ends
# with the documented status for every outcome (README, "Exit statuses").

mod_text() {
    f=$(scratch "$1")
    printf '%s\n' "module $1" > "$f"
    echo "$f"
}

test_multiboot_no_modules() {
    boot --append "loglevel=info"
    expect_status 7
    expect_log "boot: Multiboot1"
    expect_log "modules: 0"
    expect_log "bad input: no modules"
}

test_multiboot_one_module() {
    m=$(mod_text a)
    boot --append "console=com1" --initrd "$m arg1 arg2"
    expect_status 7
    expect_log "boot: Multiboot1"
    expect_log "modules: 1"
    expect_log_re "module 0: 0x[0-9a-f]+ - 0x[0-9a-f]+ \(9 bytes\) .*/a \"arg1 arg2\""
    expect_log "memory map ("
    expect_log_re "0x000000100000 - 0x[0-9a-f]+ RAM"
}

test_multiboot_three_modules() {
    a=$(mod_text a) b=$(mod_text bb) c=$(mod_text ccc)
    boot --append "loglevel=4 -- extra guest args" --initrd "$a x=1 y,$b,$c last"
    expect_status 7
    expect_log "command line: \"loglevel=4 -- extra guest args\""
    expect_log "modules: 3"
    expect_log_re "module 0: .*\(9 bytes\) .*/a \"x=1 y\""
    expect_log_re "module 1: .*\(10 bytes\) .*/bb \"\""
    expect_log_re "module 2: .*\(11 bytes\) .*/ccc \"last\""
}

test_pvh_with_module() {
    m=$(mod_text p)
    boot --image "$BUILD/pvshim-pvh" --append "loglevel=4" --initrd "$m" --mem 512
    expect_status 7
    expect_log "boot: PVH, hvm_start_info v1"
    expect_log "modules: 1"
    expect_log_re "module 0: 0x[0-9a-f]+ - 0x[0-9a-f]+ \(9 bytes\)"
    expect_log "memory map (511 MiB RAM)"
}

test_pvh_no_modules() {
    boot --image "$BUILD/pvshim-pvh" --append ""
    expect_status 7
    expect_log "boot: PVH"
    expect_log "bad input: no modules"
}

test_reports_cpu_platform_and_timer() {
    boot --append "" -debugcon "file:$(scratch debugcon.log)"
    expect_status 7
    expect_log "pvshim 0."
    expect_log "platform: no Xen"
    expect_log_re "cpu: nx on, smep on, smap on"
    expect_log_re "tsc: [0-9]+\.[0-9]+ MHz, from ACPI PM timer"
    # QEMU's APIC timer counts at exactly 1 GHz / 16; pvshim measures it
    # with its calibrated TSC, so this checks the TSC rate to within 1%.
    khz=$(sed -n 's/.*lapic: id 0, timer \([0-9]*\) kHz.*/\1/p' "$LOG")
    [ -n "$khz" ] || fail "no lapic line"
    [ "${khz:-0}" -ge 61875 ] && [ "${khz:-0}" -le 63125 ] ||
        fail "APIC timer measured at $khz kHz, want 62500 +- 1%"
    grep -qF "platform: no Xen" "$(scratch debugcon.log)" ||
        fail "debugcon did not get the log"
}

test_console_selection() {
    boot --append "console=debugcon" -debugcon "file:$(scratch debugcon.log)"
    expect_status 7
    grep -qF "bad input: no modules" "$(scratch debugcon.log)" ||
        fail "debugcon did not get the log"
    # The serial console falls silent once the option is parsed.
    expect_no_log "platform:"
}

test_exception_report() {
    m=$(mod_text a)
    boot --append "selftest=ud" --initrd "$m"
    expect_status 9
    expect_log "internal error: invalid opcode (vector 6"
    expect_log_re "rip 0xffff81[0-9a-f]+ cs e008"
    expect_log "backtrace"
}

test_page_fault_report() {
    m=$(mod_text a)
    boot --append "selftest=pf" --initrd "$m"
    expect_status 9
    expect_log "internal error: page fault (vector 14"
    expect_log "faulting address 0xffff8700deadb000 (not present, write, data)"
}

test_gp_fault_report() {
    m=$(mod_text a)
    boot --append "selftest=gp" --initrd "$m"
    expect_status 9
    expect_log "internal error: general protection (vector 13, error code 0xfff8)"
}

test_lapic_timer_interrupts() {
    m=$(mod_text a)
    boot --append "selftest=timer" --initrd "$m"
    expect_status 7
    expect_log "selftest timer: 100 ticks of 1 ms"
}

# pvshim's heap starts with one 64 KiB chunk and grows as allocations need
# room: 3000-byte blocks fill 8 chunks to its 512 KiB bound, none overlaps
# another, then it refuses; all freed, nothing stays in use.
test_heap_grows_to_its_bound() {
    m=$(mod_text a)
    boot --append "selftest=heap" --initrd "$m"
    expect_status 7
    expect_log "selftest heap: 168 blocks of 3000 bytes in 8 chunks (512 KiB, bound 512 KiB), 0 bytes wrong, 0 bytes in use after freeing them all"
}

# The other CPUs are started and parked; cross-calls reach each exactly
# once, and a remote TLB flush drops a translation another CPU cached.
test_smp_cross_calls_and_tlb_flush() {
    m=$(mod_text a)
    boot --smp 4 --append "selftest=smp" --initrd "$m"
    expect_status 7
    expect_log "smp: 4 CPUs (4 in the MADT)"
    expect_log "selftest smp: 4 CPUs, 200 cross-calls to all, 0 wrong"
    expect_log "selftest smp: remote TLB flush seen by 3 of 3 other CPUs"
    expect_log "selftest smp: remote invlpg seen by 3 of 3 other CPUs"
    expect_no_log "stale"
}

test_poweroff_is_status_0() {
    m=$(mod_text a)
    boot --append "selftest=poweroff" --initrd "$m"
    expect_status 0
    expect_log "exit: power-off (QEMU status 0)"
}

test_reboot_status() {
    m=$(mod_text a)
    boot --append "selftest=reboot" --initrd "$m"
    expect_status 3
    expect_log "exit: reboot (QEMU status 3)"
}

test_panic_status() {
    m=$(mod_text a)
    boot --append "selftest=panic" --initrd "$m"
    expect_status 9
    expect_log "internal error: self-test panic"
}

test_unknown_option() {
    boot --append "loglvl=4"
    expect_status 7
    expect_log "bad input: command line: unknown option 'loglvl=4'"
}

test_bad_option_value() {
    boot --append "console=vga"
    expect_status 7
    expect_log "bad input: command line: console=: unknown console 'vga'"
}

test_command_line_too_long() {
    long=$(head -c 2100 /dev/zero | tr '\0' 'x')
    boot --append "$long"
    expect_status 7
    expect_log "bad input: command line is longer than 2047 bytes"
}

test_module_command_line_too_long() {
    m=$(mod_text a)
    long=$(head -c 1100 /dev/zero | tr '\0' 'y')
    boot --initrd "$m $long"
    expect_status 7
    expect_log "bad input: module 0 command line is longer than 1023 bytes"
}

test_mem_limit() {
    boot --append "mem=64M" --mem 256
    expect_status 7
    expect_log "memory map (63 MiB RAM)"
}

test_too_little_memory() {
    m=$(mod_text a)
    boot --append "mem=16M" --initrd "$m" --mem 256
    expect_status 7
    expect_log "memory map (15 MiB RAM)"
}
