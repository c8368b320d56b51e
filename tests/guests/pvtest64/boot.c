/*
 * Stage 1, the start of day: what the domain builder handed us. ELF notes
 * honoured, entry registers, start_info, the layout of the initial region
 * (xen.h "startofday"), the hypercall page, xen_version and console_io.
 */
#include "pvtest.h"
#include "hypercall.h"
#include "traps.h"

/* Saved by head.asm before anything ran. */
struct entry_regs {
    uint64_t rax, rbx, rcx, rdx, rsi, rdi, rbp, rsp;
    uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
    uint64_t rflags, cs, ss, ds, es, fs, gs;
};
extern struct entry_regs entry_regs;
extern char _start[], _image_start[], _image_end[];

/* The harness passes this on the guest command line. */
#define CMDLINE_TOKEN "pvtest64-cmdline-token"
/* The module the harness passes (tests/guests/pvtest64/make-module.sh). */
#define MODULE_HEADER "PVTEST64-MODULE len="

__attribute__((aligned(4096))) char shared_info_page[4096];
static uint8_t initial_upcall_mask[XEN_LEGACY_MAX_VCPUS];
static uint8_t initial_upcall_pending;
static long shared_info_map_rc;

/* The L1 entry for va in the initial page tables, or 0: a walk through
 * the frames at pt_base only (used before region_end is known). */
static uint64_t initial_pte(unsigned long va)
{
    const uint64_t *table = (const uint64_t *)si->pt_base;   /* the L4 */
    for (int level = 4; level >= 1; level--) {
        uint64_t e = table[(va >> (12 + 9 * (level - 1))) & 511];
        if (level == 1 || !(e & PTE_P))
            return e;
        unsigned long mfn = (e & PTE_ADDR) >> 12;
        table = NULL;
        for (unsigned long i = 0; i < si->nr_pt_frames && !table; i++) {
            unsigned long va_i = si->pt_base + i * PG_SIZE;
            if (p2m[virt_to_pfn((void *)va_i)] == mfn)
                table = (const uint64_t *)va_i;
        }
        if (!table)
            return 0;
    }
    return 0;
}

void boot_record_initial_state(start_info_t *start)
{
    si = start;
    p2m = (unsigned long *)si->mfn_list;
    is_dom0 = si->flags & SIF_INITDOMAIN;

    /* shared_info is a machine address: map it over a page of our own. */
    shared_info_map_rc = hc_update_va_mapping(
        (unsigned long)shared_info_page,
        si->shared_info | PTE_P | PTE_RW | PTE_US | PTE_A | PTE_D,
        UVMF_INVLPG);
    if (shared_info_map_rc == 0) {
        shinfo = (shared_info_t *)shared_info_page;
        for (unsigned i = 0; i < XEN_LEGACY_MAX_VCPUS; i++)
            initial_upcall_mask[i] = shinfo->vcpu_info[i].evtchn_upcall_mask;
        initial_upcall_pending = shinfo->vcpu_info[0].evtchn_upcall_pending;
    }

    /* The initial region: from VIRT_BASE while the L1 entries go on. */
    for (region_end = region_start; region_end - region_start < (1UL << 30);
         region_end += PG_SIZE)
        if (!(initial_pte(region_end) & PTE_P))
            break;
    mm_init();
}

/* ---- ELF notes: what the loader did with them */

static const void *find_note(unsigned type, unsigned *len)
{
    extern char _notes_start[], _notes_end[];
    const char *p = _notes_start;
    while (p + 12 <= _notes_end) {
        const uint32_t *h = (const uint32_t *)p;
        const char *name = p + 12;
        const char *desc = name + ((h[0] + 3) & ~3u);
        if (h[0] == 4 && !memcmp(name, "Xen", 4) && h[2] == type) {
            *len = h[1];
            return desc;
        }
        p = desc + ((h[1] + 3) & ~3u);
    }
    return NULL;
}

static void check_elf_notes(void)
{
    unsigned len;
    const uint64_t *q;
    const char *s;

    q = find_note(XEN_ELFNOTE_ENTRY, &len);
    expect(q && *q == (uint64_t)_start, "ENTRY note missing or not _start");
    q = find_note(XEN_ELFNOTE_VIRT_BASE, &len);
    expect(q && *q == VIRT_BASE, "VIRT_BASE note missing");
    q = find_note(XEN_ELFNOTE_HYPERCALL_PAGE, &len);
    expect(q && *q == (uint64_t)hypercall_page, "HYPERCALL_PAGE note missing");
    s = find_note(XEN_ELFNOTE_XEN_VERSION, &len);
    expect(s && !strcmp(s, "xen-3.0"), "XEN_VERSION note");
    s = find_note(XEN_ELFNOTE_LOADER, &len);
    expect(s && !strcmp(s, "generic"), "LOADER note");
    s = find_note(XEN_ELFNOTE_GUEST_OS, &len);
    expect(s && !strcmp(s, "pvtest64"), "GUEST_OS note");
    s = find_note(XEN_ELFNOTE_FEATURES, &len);
    expect(s != NULL, "FEATURES note");
    s = find_note(XEN_ELFNOTE_PAE_MODE, &len);
    expect(s && !strcmp(s, "yes"), "PAE_MODE note");
    /* Honoured: we run at _start, linked at VIRT_BASE, and the image's
     * first page is pseudo-physical frame 0 of the initial region. */
    expect_eq(region_start, VIRT_BASE);
    expect_eq(virt_to_pfn(_image_start), 0);
    expect_eq(entry_regs.rsp != 0, 1);
}

/* ---- entry state */

static void check_entry_selectors(void)
{
    expect_eq(entry_regs.cs, FLAT_KERNEL_CS64);
    expect_eq(entry_regs.ss, FLAT_KERNEL_SS64);
    expect_eq(entry_regs.ds, FLAT_KERNEL_DS64);
    expect_eq(entry_regs.es, FLAT_KERNEL_DS64);
    expect_eq(entry_regs.fs, 0);
    expect_eq(entry_regs.gs, 0);
}

static void check_entry_ring3(void)
{
    /* The PV kernel runs in ring 3: the RPL of CS is the CPL. */
    expect_eq(entry_regs.cs & 3, 3);
    uint16_t cs;
    asm volatile("mov %%cs, %0" : "=r"(cs));
    expect_eq(cs & 3, 3);
}

static void check_entry_registers(void)
{
    expect_eq(entry_regs.rsi, (uint64_t)si);
    const uint64_t *r = &entry_regs.rax;
    static const char *const names[16] = {
        "rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "rsp",
        "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15" };
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 7)       /* rsi, rsp */
            continue;
        expect(r[i] == 0, "%s = %#lx at entry, want 0", names[i],
               (unsigned long)r[i]);
    }
}

static void check_entry_rflags(void)
{
    /* IF (real interrupts are on: the guest cannot turn them off), bit 1;
     * no IOPL, TF, DF, NT, AC. */
    expect_eq(entry_regs.rflags & 0x200, 0x200);
    expect_eq(entry_regs.rflags & 0x2, 0x2);
    expect_eq(entry_regs.rflags & (0x3000 | 0x100 | 0x400 | 0x4000 | 0x40000), 0);
}

static void check_entry_stack(void)
{
    /* startofday: the one-page bootstrap stack follows the page tables. */
    unsigned long pt_end = si->pt_base + si->nr_pt_frames * PG_SIZE;
    expect_eq(entry_regs.rsp, pt_end + PG_SIZE);
}

static void check_upcall_masked(void)
{
    expect(shared_info_map_rc == 0, "mapping shared_info failed: %ld",
           shared_info_map_rc);
    for (unsigned i = 0; i < XEN_LEGACY_MAX_VCPUS; i++)
        expect(initial_upcall_mask[i] == 1,
               "vcpu_info[%u].evtchn_upcall_mask = %u at entry, want 1", i,
               initial_upcall_mask[i]);
    expect_eq(initial_upcall_pending, 0);
}

/* ---- start_info */

static void check_magic(void)
{
    /* libxc writes "xen-3.0-x86_64"; Xen's own builder (dom0, and the
     * guest of Xen's PV shim) appends "p" when the kernel has a PAE_MODE
     * note, as ours does. Both are the 64-bit magic to a guest. */
    expect(!strncmp(si->magic, "xen-3.0-x86_64", 32) ||
           !strncmp(si->magic, "xen-3.0-x86_64p", 32), "magic \"%.32s\"",
           si->magic);
    printf("INFO magic \"%.32s\"\n", si->magic);
}

static void check_nr_pages(void)
{
    unsigned long region_pages = (region_end - region_start) >> 12;
    expect(si->nr_pages >= region_pages, "nr_pages %lu < the %lu pages mapped",
           si->nr_pages, region_pages);
    expect(si->nr_pages < (1UL << 28), "nr_pages %lu is absurd", si->nr_pages);
}

static void check_shared_info(void)
{
    expect_eq(si->shared_info & 0xfff, 0);
    expect(si->shared_info != 0, "shared_info is 0");
    expect(shared_info_map_rc == 0, "mapping it failed: %ld",
           shared_info_map_rc);
    if (!shinfo)
        return;
    /* It is live: vcpu 0's time is being kept. */
    expect(shinfo->vcpu_info[0].time.tsc_to_system_mul != 0,
           "vcpu 0 time not set up");
    /* It is not one of our own frames. */
    unsigned long mfn = si->shared_info >> 12;
    for (unsigned long pfn = 0; pfn < si->nr_pages; pfn++)
        if (p2m[pfn] == mfn) {
            expect(false, "shared_info is our pfn %#lx", pfn);
            break;
        }
}

static void check_flags(void)
{
    uint32_t f = si->flags;
    uint32_t roles = SIF_PRIVILEGED | SIF_INITDOMAIN;
    expect((f & roles) == 0 || (f & roles) == roles,
           "SIF_PRIVILEGED and SIF_INITDOMAIN differ: %#x", f);
    /* We asked for no MOD_START_PFN note and gave no multiboot module. */
    expect((f & ~(roles | SIF_PM_MASK)) == 0, "unexpected flags %#x", f);
}

static bool owned_mfn(unsigned long mfn)
{
    unsigned long pfn = ((unsigned long *)MACH2PHYS_VIRT_START)[mfn];
    return pfn < si->nr_pages && p2m[pfn] == mfn;
}

static void check_console(void)
{
    if (is_dom0) {
        /* dom0: the union holds the VGA console info, if any. */
        uint32_t off = si->console.dom0.info_off;
        uint32_t size = si->console.dom0.info_size;
        if (off || size) {
            expect(off >= sizeof(start_info_t), "info_off %u", off);
            expect(off + size <= PG_SIZE, "info_off %u + size %u", off, size);
        }
        printf("INFO dom0 console info: off %u size %u\n", off, size);
    } else {
        /* domU: a console ring page of our own and its event channel. */
        unsigned long mfn = si->console.domU.mfn;
        expect(owned_mfn(mfn), "console mfn %#lx is not ours", mfn);
        expect(si->console.domU.evtchn != 0, "console evtchn 0");
    }
}

static void check_store(void)
{
    if (is_dom0) {
        /* dom0 runs the xenstore itself, later. */
        expect_eq(si->store_mfn, 0);
        expect_eq(si->store_evtchn, 0);
    } else {
        expect(owned_mfn(si->store_mfn), "store mfn %#lx is not ours",
               si->store_mfn);
        expect(si->store_evtchn != 0, "store evtchn 0");
    }
}

static void check_pt_base(void)
{
    expect_eq(si->pt_base & 0xfff, 0);
    expect(si->pt_base >= region_start && si->pt_base < region_end,
           "pt_base %#lx outside the region", si->pt_base);
    /* Enough frames for L4, L3, L2 and an L1 per 2 MiB of the region. */
    unsigned long want = 3 + ((region_end - region_start) >> 21);
    expect(si->nr_pt_frames >= want, "nr_pt_frames %lu < %lu",
           si->nr_pt_frames, want);
    /* CR3 (read by emulation) is the first of them, the L4. */
    unsigned long cr3 = probe_read_cr3();
    expect_eq(cr3 >> 12, virt_to_mfn((void *)si->pt_base));
}

static void check_mfn_list(void)
{
    expect_eq(si->mfn_list & 0xfff, 0);
    expect(si->mfn_list >= (unsigned long)_image_end &&
           si->mfn_list + si->nr_pages * 8 <= region_end,
           "mfn_list %#lx outside the region after the image", si->mfn_list);
    expect_eq(p2m, si->mfn_list);
}

/* The module the harness gives is MODULE_HEADER, its decimal length, a
 * newline, then "0123456789abcdef" repeated. */
static void check_module(void)
{
    if (strstr((const char *)si->cmd_line, "pvtest64-no-module")) {
        expect_eq(si->mod_start, 0);
        expect_eq(si->mod_len, 0);
        return;
    }
    if (!expect(si->mod_len != 0, "no module (the harness passes one)"))
        return;
    expect_eq(si->mod_start, (unsigned long)_image_end);
    const char *m = (const char *)si->mod_start;
    size_t hl = strlen(MODULE_HEADER);
    if (!expect(!memcmp(m, MODULE_HEADER, hl), "module header missing"))
        return;
    unsigned long len = 0;
    const char *p = m + hl;
    while (*p >= '0' && *p <= '9')
        len = len * 10 + (unsigned long)(*p++ - '0');
    expect_eq(si->mod_len, len);
    if (!expect(*p == '\n', "module header not ended"))
        return;
    p++;
    for (unsigned long i = 0; p + i < m + si->mod_len; i++)
        if (p[i] != "0123456789abcdef"[i % 16]) {
            expect(false, "module byte %lu differs", (unsigned long)(p + i - m));
            break;
        }
}

static void check_cmd_line(void)
{
    const char *c = (const char *)si->cmd_line;
    expect(strnlen(c, MAX_GUEST_CMDLINE) < MAX_GUEST_CMDLINE,
           "cmd_line not terminated");
    expect(strstr(c, CMDLINE_TOKEN) != NULL,
           "cmd_line lacks \"" CMDLINE_TOKEN "\" (the harness passes it)");
}

static void check_p2m_frames(void)
{
    /* No XEN_ELFNOTE_INIT_P2M: the p2m is in the region, no extra frames. */
    expect_eq(si->nr_p2m_frames, 0);
    expect(si->first_p2m_pfn <= si->nr_pages, "first_p2m_pfn %#lx",
           si->first_p2m_pfn);
}

static void check_layout(void)
{
    unsigned long mod_end = si->mod_len ? si->mod_start + si->mod_len
                                        : (unsigned long)_image_end;
    unsigned long p2m_end = si->mfn_list + si->nr_pages * 8;
    unsigned long si_va = (unsigned long)si;
    unsigned long pt_end = si->pt_base + si->nr_pt_frames * PG_SIZE;
    unsigned long up = PG_SIZE - 1;

    expect_eq(si->mfn_list, (mod_end + up) & ~up);
    expect_eq(si_va, (p2m_end + up) & ~up);
    if (is_dom0) {
        expect_eq(si->pt_base, si_va + PG_SIZE);
    } else {
        /* xenstore page, console page, then the page tables. */
        expect_eq(virt_to_mfn((void *)(si_va + PG_SIZE)), si->store_mfn);
        expect_eq(virt_to_mfn((void *)(si_va + 2 * PG_SIZE)),
                  si->console.domU.mfn);
        expect_eq(si->pt_base, si_va + 3 * PG_SIZE);
    }
    unsigned long stack_end = pt_end + PG_SIZE;
    expect_eq(region_end & ((4UL << 20) - 1), 0);
    expect(region_end - stack_end >= (512UL << 10),
           "only %#lx bytes after the stack", region_end - stack_end);
    expect(region_end - stack_end < (512UL << 10) + (4UL << 20),
           "%#lx bytes after the stack: more than needed",
           region_end - stack_end);
}

/* ---- hypercall page */

static void check_hypercall_page_layout(void)
{
    /* Stub i loads i into EAX and issues SYSCALL. */
    for (unsigned i = 0; i < 128; i++) {
        const uint8_t *s = (const uint8_t *)hypercall_page + i * 32;
        bool found = false;
        for (unsigned j = 0; j + 7 <= 32 && !found; j++) {
            uint32_t imm;
            memcpy(&imm, s + j + 1, 4);
            found = s[j] == 0xb8 && imm == i && s[j + 5] == 0x0f &&
                    s[j + 6] == 0x05;
        }
        if (!expect(found, "stub %u has no mov $%u,%%eax; syscall", i, i))
            break;
    }
}

static void check_hypercall_page_works(void)
{
    long v1 = hc_xen_version(XENVER_version, NULL);
    long v2 = probe_syscall_hypercall(__HYPERVISOR_xen_version,
                                      XENVER_version, 0);
    expect(v1 > 0, "xen_version through the page: %ld", v1);
    expect_eq(v2, v1);
}

static void check_bad_hypercall(void)
{
    /* Unused numbers below and above the page's 128 stubs. */
    expect_rc(hypercall0(11), -XEN_ENOSYS);
    expect_rc(hypercall0(46), -XEN_ENOSYS);
    expect_rc(hypercall0(127), -XEN_ENOSYS);
    expect_rc(probe_syscall_hypercall(128, 0, 0), -XEN_ENOSYS);
    expect_rc(probe_syscall_hypercall(0x12345, 0, 0), -XEN_ENOSYS);
}

/* ---- xen_version */

static void check_xen_version(void)
{
    long v = hc_xen_version(XENVER_version, NULL);
    printf("INFO xen_version %ld.%ld\n", v >> 16, v & 0xffff);
    expect(v >> 16 >= 3, "major version %ld", v >> 16);
    expect_rc(hc_xen_version(XENVER_pagesize, NULL), 4096);
}

static void check_xen_extraversion(void)
{
    xen_extraversion_t extra;
    memset(extra, 0x55, sizeof(extra));
    expect_rc(hc_xen_version(XENVER_extraversion, extra), 0);
    expect(strnlen(extra, sizeof(extra)) < sizeof(extra),
           "extraversion not terminated");
    printf("INFO xen extraversion \"%.16s\"\n", extra);
}

static void check_xen_features(void)
{
    xen_feature_info_t fi = { .submap_idx = 0 };
    if (!expect_rc(hc_xen_version(XENVER_get_features, &fi), 0))
        return;
    printf("INFO features[0] = %#x\n", fi.submap);
    uint32_t m = fi.submap;
    expect(m & (1u << XENFEAT_mmu_pt_update_preserve_ad),
           "mmu_pt_update_preserve_ad missing");
    expect(!(m & (1u << XENFEAT_auto_translated_physmap)),
           "auto_translated_physmap set for PV");
    expect(!(m & (1u << XENFEAT_writable_page_tables)),
           "writable_page_tables set for PV");
    expect(!(m & (1u << XENFEAT_supervisor_mode_kernel)),
           "supervisor_mode_kernel set");
    expect(!(m & (1u << XENFEAT_hvm_callback_vector)),
           "hvm_callback_vector set for PV");
    expect(!!(m & (1u << XENFEAT_dom0)) == is_dom0,
           "XENFEAT_dom0 is %d for a %s", !!(m & (1u << XENFEAT_dom0)),
           is_dom0 ? "dom0" : "domU");
    fi.submap_idx = 1;
    expect_rc(hc_xen_version(XENVER_get_features, &fi), -XEN_EINVAL);
    expect_rc(hc_xen_version(XENVER_get_features, (void *)0x1000),
              -XEN_EFAULT);
}

/* ---- console_io */

static void check_console_io(void)
{
    static const char msg[] = "INFO console_io: a line written in one call\n";
    expect_rc(hc_console_io(CONSOLEIO_write, sizeof(msg) - 1, msg), 0);
    expect_rc(hc_console_io(CONSOLEIO_write, 0, msg), 0);
    expect_rc(hc_console_io(99, 1, msg), -XEN_ENOSYS);
    expect_rc(hc_console_io(CONSOLEIO_write, 16, (const char *)0x1000),
              -XEN_EFAULT);
}

/*
 * A guest buffer that runs off its last mapped page gets -EFAULT in both
 * directions, wherever the hole falls (in pvshim's whole-word part of the
 * copy or in its tail); one that ends exactly at the hole is fine.
 */
static void check_copy_runs_into_hole(void)
{
    /* The region's last page is unused padding; nothing is mapped after it. */
    char *hole = (char *)region_end;
    for (unsigned back = 1; back < sizeof(xen_extraversion_t); back++)
        expect_rc(hc_xen_version(XENVER_extraversion, hole - back), -XEN_EFAULT);
    expect_rc(hc_xen_version(XENVER_extraversion, hole - sizeof(xen_extraversion_t)), 0);
    expect_rc(hc_console_io(CONSOLEIO_write, 9, hole - 8), -XEN_EFAULT);
    expect_rc(hc_console_io(CONSOLEIO_write, 20, hole - 3), -XEN_EFAULT);
}

void boot_checks(void)
{
    run_check("boot.elf_notes", check_elf_notes);
    run_check("boot.entry.selectors", check_entry_selectors);
    run_check("boot.entry.ring3", check_entry_ring3);
    run_check("boot.entry.registers", check_entry_registers);
    run_check("boot.entry.rflags", check_entry_rflags);
    run_check("boot.entry.stack", check_entry_stack);
    run_check("boot.entry.upcall_masked", check_upcall_masked);
    run_check("boot.start_info.magic", check_magic);
    run_check("boot.start_info.nr_pages", check_nr_pages);
    run_check("boot.start_info.shared_info", check_shared_info);
    run_check("boot.start_info.flags", check_flags);
    run_check("boot.start_info.console", check_console);
    run_check("boot.start_info.store", check_store);
    run_check("boot.start_info.pt_base", check_pt_base);
    run_check("boot.start_info.mfn_list", check_mfn_list);
    run_check("boot.start_info.module", check_module);
    run_check("boot.start_info.cmd_line", check_cmd_line);
    run_check("boot.start_info.p2m_frames", check_p2m_frames);
    run_check("boot.layout", check_layout);
    run_check("hypercall_page.layout", check_hypercall_page_layout);
    run_check("hypercall_page.works", check_hypercall_page_works);
    run_check("hypercall.bad_number", check_bad_hypercall);
    run_check("xen_version.version", check_xen_version);
    run_check("xen_version.extraversion", check_xen_extraversion);
    run_check("xen_version.get_features", check_xen_features);
    run_check("console_io", check_console_io);
    run_check("guest_copy.runs_into_hole", check_copy_runs_into_hole);
}
