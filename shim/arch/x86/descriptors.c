/*
 * GDT, TSS and IDT. The GDT lives in the per-vCPU window (PERVCPU_VIRT_START)
 * so that the guest's own GDT frames can be slotted into its first 14 pages
 * later; pages 14 and 15 hold pvshim's reserved descriptors.
 */
#include <pvshim/layout.h>
#include <pvshim/paging.h>
#include <pvshim/frame_alloc.h>
#include <pvshim/phys.h>
#include <pvshim/status.h>
#include <pvshim/string.h>
#include <pvshim/percpu.h>
#include "x86.h"
#include "arch.h"
#include "selectors.h"

#define GDT_VIRT        PERVCPU_VIRT_START
#define GDT_PAGES       16

struct idt_gate {
    uint16_t offset_lo;
    uint16_t selector;
    uint8_t ist;
    uint8_t type_attr;
    uint16_t offset_mid;
    uint32_t offset_hi;
    uint32_t reserved;
} PACKED;

static struct idt_gate idt[256] ALIGNED(16);
/* One zero page backs the guest part of the GDT until the guest sets its own. */
static uint8_t zero_page[PAGE_SIZE] ALIGNED(4096);

extern const uint64_t trap_stub_table[256];

static uint64_t seg_desc(uint32_t base, uint32_t limit, unsigned access, unsigned flags)
{
    return (uint64_t)(limit & 0xffff) | ((uint64_t)(base & 0xffffff) << 16) |
           ((uint64_t)access << 40) | ((uint64_t)((limit >> 16) & 0xf) << 48) |
           ((uint64_t)flags << 52) | ((uint64_t)(base >> 24) << 56);
}

static void set_system_desc_in(uint64_t *reserved_gdt, unsigned index, uint64_t base,
                              uint32_t limit, unsigned type)
{
    reserved_gdt[index - GDT_FIRST_RESERVED] =
        seg_desc((uint32_t)base, limit, 0x80 | type, 0);
    reserved_gdt[index - GDT_FIRST_RESERVED + 1] = base >> 32;
}

static void set_system_desc(unsigned index, uint64_t base, uint32_t limit, unsigned type)
{
    set_system_desc_in(this_pcpu()->reserved_gdt, index, base, limit, type);
}

static void set_gate(unsigned vec, uint64_t handler, unsigned dpl, unsigned ist)
{
    idt[vec] = (struct idt_gate){
        .offset_lo = (uint16_t)handler,
        .selector = SEL_HYP_CS,
        .ist = (uint8_t)ist,
        .type_attr = (uint8_t)(0x80 | (dpl << 5) | 0xe),   /* interrupt gate */
        .offset_mid = (uint16_t)(handler >> 16),
        .offset_hi = (uint32_t)(handler >> 32),
    };
}

paddr_t arch_zero_page(void)
{
    return phys_of(zero_page);
}

void arch_set_ldt_descriptor(uint64_t base, uint32_t limit)
{
    set_system_desc(SEL_LDT >> 3, base, limit, 0x2);
}

extern char sysenter_entry[];
extern const uint64_t syscall64_stub_table[MAX_PCPUS], syscall32_stub_table[MAX_PCPUS];

/* SYSCALL lands in pvshim with CS 0xe008/SS 0xe010; SYSRET would use the
 * guest's flat ring-3 selectors 0xe023 (+8 data, +16 64-bit code). */
static void syscall_init(const struct pcpu *pc)
{
    wrmsr(MSR_STAR, ((uint64_t)SEL_RING3_CS32 << 48) | ((uint64_t)SEL_HYP_CS << 32));
    wrmsr(MSR_LSTAR, syscall64_stub_table[pc->id]);
    wrmsr(MSR_CSTAR, syscall32_stub_table[pc->id]);
    /* IF, TF, DF, NT, AC and IOPL cleared on entry. */
    wrmsr(MSR_FMASK, 0x47700);
    wrmsr(MSR_SYSENTER_CS, SEL_HYP_CS);
    wrmsr(MSR_SYSENTER_ESP, pc->entry_stack_top);
    wrmsr(MSR_SYSENTER_EIP, (uint64_t)sysenter_entry);
    wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_SCE);
}

static void load_gdt_and_segments(vaddr_t gdt)
{
    struct { uint16_t limit; uint64_t base; } PACKED gdtr = {
        GDT_ENTRIES * 8 - 1, gdt
    };
    __asm__ volatile(
        "lgdt %0\n\t"
        "pushq %1\n\t"
        "leaq 1f(%%rip), %%rax\n\t"
        "pushq %%rax\n\t"
        "lretq\n"
        "1:\n\t"
        "movl %2, %%eax\n\t"
        "movl %%eax, %%ss\n\t"
        "xorl %%eax, %%eax\n\t"
        "movl %%eax, %%ds\n\t"
        "movl %%eax, %%es\n\t"
        "movl %%eax, %%fs\n\t"
        "movl %%eax, %%gs\n\t"
        : : "m"(gdtr), "i"(SEL_HYP_CS), "i"(SEL_HYP_DS) : "rax", "memory");
    __asm__ volatile("ltr %w0" : : "r"(SEL_TSS));
    /*
     * No LDT until the guest sets one. The LDTR a CPU comes out of reset
     * with (or a loader leaves behind) may be usable, e.g. base 0, limit
     * 0xffff: LDT selectors would then find descriptors, call gates to
     * ring 0 included, in guest memory at 0.
     */
    __asm__ volatile("lldt %w0" : : "r"(0));
}

/* Where CPU n's GDT is mapped: the boot CPU's is the per-vCPU window. */
static vaddr_t gdt_virt(unsigned n)
{
    return GDT_VIRT + (vaddr_t)n * PCPU_WINDOW_STRIDE;
}

void descriptors_alloc(struct pcpu *pc)
{
    /* Two frames for the reserved pages, mapped at the top of the window. */
    mfn_t mfn = frame_pool_alloc(&machine_frames, 2, 1, ~(mfn_t)0);
    /* The stacks: one naturally aligned block, this_pcpu() reads its top. */
    mfn_t st = frame_pool_alloc(&machine_frames, PCPU_STACK_SIZE / PAGE_SIZE,
                                PCPU_STACK_SIZE / PAGE_SIZE, ~(mfn_t)0);
    if (mfn == INVALID_MFN || st == INVALID_MFN)
        panic("out of memory for CPU %u's GDT and stacks", pc->id);
    vaddr_t gdt = gdt_virt(pc->id);
    for (unsigned i = 0; i < GDT_PAGES; i++) {
        paddr_t pa = i < 14 ? phys_of(zero_page) : mfn_to_paddr(mfn + i - 14);
        paging_set_page(gdt + i * PAGE_SIZE, pa, PTE_RW | PTE_NX);
    }
    uint64_t *reserved_gdt = (uint64_t *)(gdt + 14 * PAGE_SIZE);
    pc->reserved_gdt = reserved_gdt;
    memset(reserved_gdt, 0, 2 * PAGE_SIZE);

    /* access: P | DPL | S | type; flags: G | L (or D/B) */
    reserved_gdt[(SEL_HYP_CS >> 3) - GDT_FIRST_RESERVED] = seg_desc(0, 0xfffff, 0x9b, 0xa);
    reserved_gdt[(SEL_HYP_DS >> 3) - GDT_FIRST_RESERVED] = seg_desc(0, 0xfffff, 0x93, 0xc);
    reserved_gdt[(SEL_RING3_CS32 >> 3) - GDT_FIRST_RESERVED] = seg_desc(0, 0xfffff, 0xfb, 0xc);
    reserved_gdt[(SEL_RING3_DS >> 3) - GDT_FIRST_RESERVED] = seg_desc(0, 0xfffff, 0xf3, 0xc);
    reserved_gdt[(SEL_RING3_CS64 >> 3) - GDT_FIRST_RESERVED] = seg_desc(0, 0xfffff, 0xfb, 0xa);

    struct pcpu_stacks *ps = maddr_to_virt(mfn_to_paddr(st));
    memset(ps, 0, sizeof(*ps));
    ps->self = pc;
    pc->stacks = ps;
    pc->entry_stack_top = (uint64_t)&ps->pad;
    struct tss64 *tss = &ps->tss;
    tss->rsp[0] = pc->entry_stack_top;
    tss->ist[IST_NMI - 1] = (uint64_t)(ps->ist[0] + IST_STACK_SIZE);
    tss->ist[IST_DF - 1] = (uint64_t)(ps->ist[1] + IST_STACK_SIZE);
    tss->ist[IST_MC - 1] = (uint64_t)(ps->ist[2] + IST_STACK_SIZE);
    tss->iomap_base = sizeof(*tss);   /* no I/O bitmap: ring 3 port I/O faults */
    set_system_desc_in(reserved_gdt, SEL_TSS >> 3, (uint64_t)tss, sizeof(*tss) - 1, 0x9);
    arch_compat_gdt(reserved_gdt);
}

void descriptors_load(struct pcpu *pc)
{
    load_gdt_and_segments(gdt_virt(pc->id));
    struct { uint16_t limit; uint64_t base; } PACKED idtr = { sizeof(idt) - 1, (uint64_t)idt };
    __asm__ volatile("lidt %0" : : "m"(idtr));
    syscall_init(pc);
}

void descriptors_init(void)
{
    struct pcpu *pc = &pcpus[0];
    descriptors_alloc(pc);

    for (unsigned v = 0; v < 256; v++)
        set_gate(v, trap_stub_table[v], 0, 0);
    set_gate(2, trap_stub_table[2], 0, IST_NMI);
    set_gate(8, trap_stub_table[8], 0, IST_DF);
    set_gate(18, trap_stub_table[18], 0, IST_MC);
    /* int3, into and int $0x80 may be used by the guest directly, as on Xen. */
    set_gate(3, trap_stub_table[3], 3, 0);
    set_gate(4, trap_stub_table[4], 3, 0);
    set_gate(0x80, trap_stub_table[0x80], 3, 0);
    /* A 32-bit guest kernel's hypercalls: from ring 1 (and ring 0) only. */
    set_gate(0x82, trap_stub_table[0x82], 1, 0);

    descriptors_load(pc);
}
