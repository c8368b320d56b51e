# More malformed module-0 kernels (issue 7 part 3): ELF program headers with
# absurd or overlapping segments, no usable entry point, and the wrong
# architecture. Each is pvtest64 (or a tiny kernel built here) with a
# header field changed; each must end with one "bad input" line naming the
# problem and the bad-input status (QEMU 7).
#
# Not here: a module overlapping pvshim. QEMU's loaders (Multiboot -initrd,
# PVH) place modules themselves, above the kernel image, so no command line
# produces one; the boot-info checks for it are unit-tested
# (tests/unit/test_boot.c, modules_checked).

# elf_patch IN OUT OFFSET FORMAT VALUE...: copy IN to OUT with perl pack()ed
# VALUEs written at OFFSET (little-endian formats: v = u16, V = u32, Q< = u64).
elf_patch() {
    local in=$1 out=$2 off=$3 fmt=$4
    shift 4
    cp "$in" "$out"
    perl -e 'my ($f, $off, $fmt, @v) = @ARGV;
             open(my $h, "+<:raw", $f) or die "$f: $!";
             seek($h, $off, 0); print $h pack($fmt, @v); close($h) or die;' \
        "$out" "$off" "$fmt" "$@"
}

# Offsets in pvtest64's ELF64 header and its program headers (PT_LOAD at
# index 0, PT_NOTE at index 1; e_phoff is 64, 56 bytes each).
PH0=64
PH1=$((64 + 56))

test_elf_segment_absurd_size() {
    local f
    f=$(scratch absurd.elf)
    # p_memsz of the load segment (offset 40 in the program header): 2^64 - 4 KiB.
    elf_patch "$BUILD/guests/pvtest64" "$f" $((PH0 + 40)) 'Q<' 18446744073709547520
    boot --initrd "$f"
    expect_status 7
    expect_log_re "bad input: guest kernel: segment 0 .*(wraps|too large|outside|hypervisor|canonical)"
}

test_elf_segment_beyond_file() {
    local f
    f=$(scratch offset.elf)
    # p_offset far past the end of the file.
    elf_patch "$BUILD/guests/pvtest64" "$f" $((PH0 + 8)) 'Q<' 1099511627776
    boot --initrd "$f"
    expect_status 7
    expect_log "bad input: guest kernel: truncated ELF: segment 0 data beyond end of file"
}

test_elf_filesz_above_memsz() {
    local f size
    f=$(scratch filesz.elf)
    size=$(stat -c %s "$BUILD/guests/pvtest64")
    # p_filesz (offset 32) larger than p_memsz (40): 64 KiB of file, 4 KiB of memory.
    elf_patch "$BUILD/guests/pvtest64" "$f" $((PH0 + 32)) 'Q<Q<' 65536 4096
    boot --initrd "$f"
    expect_status 7
    expect_log "bad input: guest kernel: segment 0: file size 0x10000 exceeds memory size 0x1000"
    [ "$size" -gt 65536 ] || fail "pvtest64 is too small for this test ($size bytes)"
}

test_elf_overlapping_segments() {
    local f
    f=$(scratch overlap.elf)
    # The PT_NOTE header becomes a second PT_LOAD (type 1, flags R) whose
    # physical range lies inside the first: p_type p_flags p_offset p_vaddr
    # p_paddr p_filesz p_memsz.
    elf_patch "$BUILD/guests/pvtest64" "$f" $PH1 'VVQ<Q<Q<Q<Q<' 1 4 4096 \
        18446744071562072064 4096 4096 8192
    boot --initrd "$f"
    expect_status 7
    expect_log "bad input: guest kernel: segment 1 overlaps segment 0"
}

test_elf_missing_entry() {
    local f
    f=$(scratch noentry.elf)
    cp "$BUILD/guests/pvtest64" "$f"
    # Hide the Xen ENTRY note (type 1 -> 0x7f, an unknown type) and zero e_entry.
    perl -e 'my $f = shift; open(my $h, "+<:raw", $f) or die; local $/; my $d = <$h>;
             my $pat = pack("VVV", 4, 8, 1) . "Xen\0";
             my $n = 0; while ($d =~ /\Q$pat\E/g) { substr($d, $-[0] + 8, 4) = pack("V", 0x7f); $n++ }
             die "no ENTRY note\n" unless $n;
             substr($d, 24, 8) = pack("Q<", 0);
             seek($h, 0, 0); print $h $d; close($h) or die;' "$f" ||
        { fail "could not patch the ENTRY note"; return 1; }
    boot --initrd "$f"
    expect_status 7
    expect_log "bad input: guest kernel: ELF entry 0x0 is outside the loaded segments"
}

test_elf_wrong_machine() {
    local f
    f=$(scratch aarch64.elf)
    # e_machine 183: an AArch64 ELF64 header over the x86-64 kernel.
    elf_patch "$BUILD/guests/pvtest64" "$f" 18 'v' 183
    boot --initrd "$f"
    expect_status 7
    expect_log "bad input: guest kernel: ELF machine 183 is not x86 (i386 or x86-64)"
}

test_elf_i386_without_pae() {
    # A tiny 32-bit kernel with Xen notes but no PAE_MODE: 32-bit non-PAE
    # guests are not supported (neither by Xen since 3.x, nor pvshim).
    local dir
    dir=$(scratch i386)
    mkdir -p "$dir"
    cat > "$dir/k.asm" <<'ASM'
bits 32
%macro NOTE_STR 2
    dd 4, %%e - %%s, %1
    db "Xen", 0
%%s: db %2, 0
%%e: align 4, db 0
%endmacro
%macro NOTE_32 2
    dd 4, 4, %1
    db "Xen", 0
    dd %2
%endmacro
section .note.Xen note alloc noexec nowrite align=4
    NOTE_STR 6, "linux"
    NOTE_STR 5, "xen-3.0"
    NOTE_STR 8, "generic"
    NOTE_32 3, 0xc0000000
    NOTE_32 4, 0xc0000000
    NOTE_32 1, _start
section .text
global _start
_start:
    jmp _start
ASM
    nasm -f elf32 -o "$dir/k.o" "$dir/k.asm" &&
        ld -m elf_i386 -static -Ttext-segment=0xc0100000 -e _start -o "$dir/k.elf" "$dir/k.o" ||
        { fail "cannot build the i386 kernel with nasm and ld -m elf_i386"; return 1; }
    boot --initrd "$dir/k.elf"
    expect_status 7
    expect_log "bad input: guest kernel: image is 32-bit i386 but not PAE"
}

test_elf_i386_pae_grub_shaped_runs() {
    # A 32-bit PAE kernel shaped like GRUB's i386-xen image (its PAE_MODE
    # note declares 12 bytes, holds "yes\0" and ends the note section; no
    # hypercall page, no ENTRY or VIRT_BASE note): the loader accepts it,
    # and it runs in ring 1, powering off with `int $0x82` as GRUB issues
    # its hypercalls.
    local dir
    dir=$(scratch i386-pae)
    mkdir -p "$dir"
    cat > "$dir/k.asm" <<'ASM'
bits 32
%macro NOTE_STR 2
    dd 4, %%e - %%s, %1
    db "Xen", 0
%%s: db %2, 0
%%e: align 4, db 0
%endmacro
section .note.Xen note alloc noexec nowrite align=4
    NOTE_STR 6, "GRUB"
    NOTE_STR 5, "xen-3.0"
    NOTE_STR 8, "generic"
    dd 4, 12, 9
    db "Xen", 0
    db "yes", 0
section .text
global _start
_start:
    mov eax, 29                 ; sched_op
    mov ebx, 2                  ; SCHEDOP_shutdown
    mov ecx, reason
    int 0x82
    jmp _start
section .data
reason: dd 0                    ; SHUTDOWN_poweroff
ASM
    nasm -f elf32 -o "$dir/k.o" "$dir/k.asm" &&
        ld -m elf_i386 -static -Ttext-segment=0x100000 -e _start -o "$dir/k.elf" "$dir/k.o" ||
        { fail "cannot build the i386 kernel with nasm and ld -m elf_i386"; return 1; }
    boot --initrd "$dir/k.elf"
    expect_status 0
    expect_log "guest kernel: ELF, 32-bit"
    expect_log "guest shut down: poweroff"
}

test_elf32_claiming_x86_64() {
    local dir f
    dir=$(scratch elf32)
    mkdir -p "$dir"
    printf 'bits 32\nsection .text\nglobal _start\n_start: jmp _start\n' > "$dir/k.asm"
    nasm -f elf32 -o "$dir/k.o" "$dir/k.asm" &&
        ld -m elf_i386 -static -Ttext-segment=0xc0100000 -e _start -o "$dir/k.elf" "$dir/k.o" ||
        { fail "cannot build the ELF32 kernel"; return 1; }
    f=$(scratch elf32-x86_64.elf)
    elf_patch "$dir/k.elf" "$f" 18 'v' 62
    boot --initrd "$f"
    expect_status 7
    expect_log "bad input: guest kernel: image is ELF32 but its machine is x86-64"
}
