/*
 * The x86 half of the L0 provider (xen/l0): the hypercall instruction and
 * the mapping of L0's special frames. Xen injects #UD for the other
 * vendor's instruction, so AMD (and Hygon) get VMMCALL, everyone else
 * VMCALL. 64-bit ABI: RAX = number, RDI, RSI, RDX = arguments; Xen
 * returns in RAX and (debug builds) clobbers the argument registers.
 */
#include <pvshim/l0.h>
#include <pvshim/layout.h>
#include <pvshim/console.h>
#include <pvshim/paging.h>
#include <pvshim/platform.h>
#include <pvshim/string.h>
#include <pvshim/irq.h>
#include <xen/arch-x86/cpuid.h>
#include "x86.h"
#include "arch.h"

/* Slots 3 to 5 of the MMIO window (0 LAPIC, 1 IOAPIC, 2 sleep control). */
#define L0_FRAME_VIRT(slot)  (MMIO_VIRT_START + (3 + (slot)) * PAGE_SIZE)

static bool use_vmmcall;

static long hypercall(unsigned nr, unsigned long a1, unsigned long a2, unsigned long a3)
{
    long rax = nr;
    register unsigned long rdi __asm__("rdi") = a1;
    register unsigned long rsi __asm__("rsi") = a2;
    register unsigned long rdx __asm__("rdx") = a3;
    if (use_vmmcall)
        __asm__ volatile("vmmcall"
                         : "+a"(rax), "+r"(rdi), "+r"(rsi), "+r"(rdx)
                         :: "memory", "r8", "r10");
    else
        __asm__ volatile("vmcall"
                         : "+a"(rax), "+r"(rdi), "+r"(rsi), "+r"(rdx)
                         :: "memory", "r8", "r10");
    return rax;
}

static void *map_frame(uint64_t gfn, unsigned slot)
{
    if (slot > 2)
        return NULL;
    paging_map(L0_FRAME_VIRT(slot), gfn << PAGE_SHIFT, PAGE_SIZE, PTE_RW | PTE_NX);
    return (void *)L0_FRAME_VIRT(slot);
}

static void (*upcall_fn)(void);

/* L0 injects the vector directly (HVM_PARAM_CALLBACK_IRQ): no LAPIC EOI. */
static void upcall_interrupt(struct cpu_regs *r)
{
    (void)r;
    if (upcall_fn)
        upcall_fn();
}

static uint8_t route_upcall(void (*fn)(void))
{
    upcall_fn = fn;
    irq_register(VECTOR_L0_UPCALL, upcall_interrupt);
    return VECTOR_L0_UPCALL;
}

static uint16_t read_domid(void)
{
    if (cpuid(platform.xen_cpuid_base, 0).eax < platform.xen_cpuid_base + 4)
        return 0;
    struct cpuid_result r = cpuid(platform.xen_cpuid_base + 4, 0);
    return r.eax & XEN_HVM_CPUID_DOMID_PRESENT ? (uint16_t)r.ecx : 0;
}

static struct l0_arch x86_l0 = {
    .read_domid = read_domid,
    .hypercall = hypercall,
    .map_frame = map_frame,
    .route_upcall = route_upcall,
};

void xen_l0_attach(void)
{
    if (platform.kind != PLATFORM_XEN)
        return;
    use_vmmcall = !strcmp(cpu.vendor, "AuthenticAMD") || !strcmp(cpu.vendor, "HygonGenuine");
    l0_attach(&x86_l0);
}

/*
 * Port 0xe9 of a PVH domain goes to L0's log ("(dN) ..." lines, shown with
 * guest_loglvl=all): the boot log's last resort when L0's console ring
 * never came up.
 */
void xen_l0_dump_early_log(void)
{
    const char *log;
    size_t len = console_early_log(&log);
    for (size_t i = 0; i < len; i++)
        outb(0xe9, (uint8_t)log[i]);
}
