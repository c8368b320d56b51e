/*
 * Guest descriptor tables: set_gdt, update_descriptor, MMUEXT_SET_LDT and
 * the lazily validated LDT frames (Xen's pv/descriptor-tables.c and
 * pv_map_ldt_shadow_page, for a 64-bit guest). GDT and mapped LDT frames
 * hold a seg-desc type reference, so they cannot be mapped writable, and
 * every descriptor in them has passed check_descriptor().
 */
#include <pvshim/string.h>
#include <pvshim/hw.h>
#include <pvshim/guest_access.h>
#include "mm_private.h"
#include "hypercalls.h"

#define SEG_TYPE        (15u << 8)
#define SEG_S           (1u << 12)      /* code/data (not system) */
#define SEG_DPL         (3u << 13)
#define SEG_P           (1u << 15)
#define SEG_CALL_GATE64 (12u << 8)      /* a 32-bit call gate in a 32-bit guest's tables */
#define SEG_L           (1u << 21)      /* 64-bit code */
#define GATE_RESERVED64 0xffu
#define GATE_RESERVED32 0xe0u           /* bits 0-4 are the parameter count */

#define DESCS_PER_PAGE  512
/*
 * The paging mode says the guest's width (mm.h, pv_mm_set_pae): a 64-bit
 * PV kernel runs in ring 3, a 32-bit one in ring 1, and Xen's
 * check_descriptor differs accordingly: a 32-bit guest's descriptors get
 * DPL 1 at least, may not be 64-bit code (L), and its call gates are the
 * 8-byte 32-bit kind to its own selectors or FLAT_RING1_CS.
 */
static unsigned guest_kernel_rpl(void)
{
    return pv_mm.pae ? 1 : 3;
}

/* A gate may only lead to a guest selector or the flat kernel code segment. */
static bool gate_selector_ok(unsigned sel)
{
    unsigned flat_cs = pv_mm.pae ? FLAT_RING1_CS_X86_32 : FLAT_KERNEL_CS;
    return (sel >> 3) < FIRST_RESERVED_GDT_ENTRY || sel == flat_cs || (sel & 4);
}

/*
 * Make a descriptor safe or refuse it: nothing below the guest kernel's
 * privilege, and of system descriptors only 64-bit call gates to guest
 * code, forced to DPL 0 so that using one faults into pvshim (the original
 * DPL kept in the selector's RPL).
 */
static bool check_descriptor(uint64_t *desc)
{
    uint32_t a = (uint32_t)*desc, b = (uint32_t)(*desc >> 32);

    if (!(b & SEG_P))
        return true;                    /* a not-present one always faults */

    unsigned dpl = (b >> 13) & 3;
    if (dpl < guest_kernel_rpl())
        dpl = guest_kernel_rpl();
    b = (b & ~SEG_DPL) | (dpl << 13);
    if ((b & SEG_S) && (b & SEG_L) && pv_mm.pae)
        return false;                   /* no 64-bit code for a 32-bit guest */

    if (!(b & SEG_S)) {
        if ((b & SEG_TYPE) == 0)
            return true;                /* upper half of a gate: harmless */
        if ((b & SEG_TYPE) != SEG_CALL_GATE64)
            return false;
        unsigned cs = a >> 16;
        if (!gate_selector_ok(cs))
            return false;
        b &= ~SEG_DPL;
        cs = (cs & ~3u) | dpl;
        a = (a & 0xffff) | (cs << 16);
        if (b & (pv_mm.pae ? GATE_RESERVED32 : GATE_RESERVED64))
            return false;               /* reserved bits */
    }
    *desc = a | ((uint64_t)b << 32);
    return true;
}

int validate_segdesc_page(mfn_t mfn)
{
    uint64_t *d = (uint64_t *)frame_map(mfn);
    if (!d)
        return -XEN_EINVAL;
    for (unsigned i = 0; i < DESCS_PER_PAGE; i++)
        if (!check_descriptor(&d[i]))
            return -XEN_EINVAL;
    return 0;
}

/* ---------------------------------------------------------- GDT */

static void drop_gdt_frames(struct pv_vcpu *v)
{
    unsigned nr = DIV_ROUND_UP(v->gdt_ents, DESCS_PER_PAGE);
    for (unsigned i = 0; i < nr && i < PV_GDT_GUEST_FRAMES; i++)
        if (v->gdt_frames[i] != INVALID_MFN)
            put_page_and_type(v->gdt_frames[i]);
    for (unsigned i = 0; i < PV_GDT_GUEST_FRAMES; i++)
        v->gdt_frames[i] = INVALID_MFN;
    v->gdt_ents = 0;
}

void pv_mm_destroy_gdt(void)
{
    drop_gdt_frames(current);
    hw_set_guest_gdt(current->gdt_frames, 0);
}

int pv_mm_vcpu_set_gdt(struct pv_vcpu *v, const uint64_t *frames, unsigned entries)
{
    if (entries > FIRST_RESERVED_GDT_ENTRY)
        return -XEN_EINVAL;
    unsigned nr = DIV_ROUND_UP(entries, DESCS_PER_PAGE);
    for (unsigned i = 0; i < nr; i++) {
        if (get_page_and_type(frames[i], PV_TYPE_SEG_DESC)) {
            while (i-- > 0)
                put_page_and_type(frames[i]);
            return -XEN_EINVAL;
        }
    }
    drop_gdt_frames(v);
    v->gdt_ents = entries;
    for (unsigned i = 0; i < nr; i++)
        v->gdt_frames[i] = frames[i];
    return 0;
}

int pv_mm_set_gdt_frames(const uint64_t *frames, unsigned int entries)
{
    int rc = pv_mm_vcpu_set_gdt(current, frames, entries);
    if (rc)
        return rc;
    hw_set_guest_gdt(current->gdt_frames, DIV_ROUND_UP(entries, DESCS_PER_PAGE));
    mm_flush_tlb();
    return 0;
}

long do_set_gdt(vaddr_t frame_list, unsigned int entries)
{
    uint64_t frames[PV_GDT_GUEST_FRAMES];

    if (entries > FIRST_RESERVED_GDT_ENTRY)
        return -XEN_EINVAL;
    unsigned nr = DIV_ROUND_UP(entries, DESCS_PER_PAGE);
    if (nr && copy_from_guest(frames, frame_list, nr * sizeof(frames[0])))
        return -XEN_EFAULT;
    return pv_mm_set_gdt_frames(frames, entries);
}

long do_update_descriptor(uint64_t maddr, uint64_t desc)
{
    /* Misaligned, it would corrupt two neighbouring descriptors. */
    if (!IS_ALIGNED(maddr, sizeof(desc)) || !check_descriptor(&desc))
        return -XEN_EINVAL;

    mfn_t mfn = paddr_to_mfn(maddr);
    if (!get_page(mfn))
        return -XEN_EINVAL;
    /* A live descriptor page stays one; anything else must be writable. */
    unsigned type = frame_type(frame_of(mfn)) == PV_TYPE_SEG_DESC
                    ? PV_TYPE_SEG_DESC : PV_TYPE_WRITABLE;
    if (get_page_type(mfn, type)) {
        put_page(mfn);
        return -XEN_EINVAL;
    }
    uint64_t *d = (uint64_t *)frame_map(mfn);
    if (d)
        d[(maddr & ~PAGE_MASK) / sizeof(desc)] = desc;
    put_page_type(mfn);
    put_page(mfn);
    return d ? 0 : -XEN_EINVAL;
}

/* ---------------------------------------------------------- LDT */

/* The calling vCPU's LDT frames (pv_mm.ldt_frames: only it touches them). */
static mfn_t *own_ldt_frames(void)
{
    return pv_mm.ldt_frames[current->vcpu_id];
}

bool mm_drop_ldt_frames(void)
{
    bool dropped = false;
    mfn_t *frames = own_ldt_frames();
    /* None held: the common case of every base-pointer switch. */
    if (!pv_mm.ldt_held[current->vcpu_id])
        return false;
    pv_mm.ldt_held[current->vcpu_id] = 0;
    for (unsigned i = 0; i < LDT_PAGES; i++) {
        if (frames[i] == INVALID_MFN)
            continue;
        put_page_and_type(frames[i]);
        frames[i] = INVALID_MFN;
        dropped = true;
    }
    if (dropped)
        mm_mark_stale();
    return dropped;
}

/* Point the CPU at the current LDT; its pages are validated on first use. */
void mm_load_ldt(void)
{
    hw_set_guest_ldt(current->ldt_ents);
}

void pv_mm_destroy_ldt(void)
{
    mm_drop_ldt_frames();
    current->ldt_base = 0;
    current->ldt_ents = 0;
    hw_set_guest_ldt(0);
}

mfn_t pv_mm_ldt_frame(unsigned i)
{
    return pv_mm_vcpu_ldt_frame(current->vcpu_id, i);
}

mfn_t pv_mm_vcpu_ldt_frame(unsigned vcpu, unsigned i)
{
    return vcpu < PV_MAX_VCPUS && i < LDT_PAGES ? pv_mm.ldt_frames[vcpu][i] : INVALID_MFN;
}

int mm_set_ldt(vaddr_t base, unsigned ents)
{
    vaddr_t ptr = ents ? base : 0;

    if (ents > PV_LDT_MAX_ENTRIES ||
        (ents && (!IS_ALIGNED(ptr, PAGE_SIZE) || !guest_addr_ok(ptr))))
        return -XEN_EINVAL;
    if (current->ldt_ents != ents || current->ldt_base != ptr) {
        if (mm_drop_ldt_frames())
            mm_flush_tlb();
        current->ldt_base = ptr;
        current->ldt_ents = ents;
        mm_load_ldt();
    }
    return 0;
}

int pv_mm_map_ldt_page(unsigned offset, mfn_t *mfn)
{
    if ((offset >> 3) >= current->ldt_ents)
        return -XEN_EINVAL;
    unsigned i = offset >> PAGE_SHIFT;      /* < LDT_PAGES: ents <= 8192 */
    mfn_t *frames = own_ldt_frames();
    if (frames[i] != INVALID_MFN) {
        *mfn = frames[i];
        return 0;
    }

    struct pv_walk w;
    if (!pv_mm_walk(current->ldt_base + ((vaddr_t)i << PAGE_SHIFT), true, &w))
        return -XEN_EFAULT;
    if (!get_page(w.mfn))
        return -XEN_EINVAL;
    if (get_page_type(w.mfn, PV_TYPE_SEG_DESC)) {
        put_page(w.mfn);
        return -XEN_EINVAL;
    }
    frames[i] = w.mfn;
    pv_mm.ldt_held[current->vcpu_id]++;
    *mfn = w.mfn;
    return 0;
}
