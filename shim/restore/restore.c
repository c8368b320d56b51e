/*
 * Rebuilding a saved 64-bit PV domain (include/pvshim/restore.h). The file
 * was checked by save_stream_parse; what only the contents can tell (pfns
 * sent twice, what the tables name, the types of the frames a context
 * names) is checked here.
 */
#include <pvshim/m2p.h>
#include <pvshim/restore.h>
#include <pvshim/phys.h>
#include <pvshim/paging.h>
#include <pvshim/string.h>
#include <pvshim/error.h>
#include <pvshim/compiler.h>
#include "mm.h"

#define NO_TYPE         0xff            /* a pfn the stream did not send */
#define PTE_FRAME       0x000ffffffffff000ull
#define HYP_FIRST_SLOT  256
#define HYP_SLOTS       16

struct rs {
    const struct restore_params *p;
    const struct save_image *img;
    struct restore_state *s;
    mfn_t *p2m;                         /* pfn -> new frame; scratch */
    uint8_t *type;                      /* pfn -> type nibble; scratch */
    char *err;
    size_t errlen;
};

#define BAD(r, ...) error_set((r)->err, (r)->errlen, -1, __VA_ARGS__)

static bool populates(unsigned type)
{
    return save_type_has_data(type) || type == SAVE_PF_XALLOC;
}

static int table_level(unsigned type)
{
    unsigned t = type & ~SAVE_PF_PINNED;
    return type <= (SAVE_PF_PINNED | SAVE_PF_L4) && t >= SAVE_PF_L1 && t <= SAVE_PF_L4 ? (int)t : 0;
}

/* 1. A frame for every populated pfn, each pfn once. */
static int allocate(struct rs *r)
{
    const struct restore_params *p = r->p;
    uint64_t cur = r->img->libxc_start;
    struct save_page_batch b;
    while (save_next_page_batch(p->file, r->img, &cur, &b)) {
        for (uint32_t i = 0; i < b.count; i++) {
            uint64_t e = save_batch_entry(&b, i);
            uint64_t pfn = save_entry_pfn(e);
            unsigned type = save_entry_type(e);
            if (r->type[pfn] != NO_TYPE)
                return BAD(r, "save stream: PAGE_DATA: pfn %#llx is sent twice",
                           (unsigned long long)pfn);
            r->type[pfn] = (uint8_t)type;
            if (!populates(type))
                continue;
            mfn_t m = frame_pool_alloc(p->pool, 1, 1, p->max_mfn);
            if (m == INVALID_MFN)
                return BAD(r, "too little memory: the saved guest has %u pages",
                           r->img->max_pfn + 1);
            r->p2m[pfn] = m;
            pv_mm_set_m2p(m, pfn);
            r->s->nr_pages++;
            if (p->assigned)
                p->assigned(m, 1);
        }
    }
    return 0;
}

/* The new frame of a pfn a table entry or a context names; INVALID_MFN if none. */
static mfn_t frame_of(const struct rs *r, uint64_t pfn)
{
    return pfn <= r->img->max_pfn ? r->p2m[pfn] : INVALID_MFN;
}

/* 2. A page table's entries: pfns to frames. */
static int localise(struct rs *r, uint64_t pfn, unsigned level, uint64_t *t)
{
    for (unsigned i = 0; i < 512; i++) {
        if (level == 4 && i >= HYP_FIRST_SLOT && i < HYP_FIRST_SLOT + HYP_SLOTS) {
            t[i] = 0;           /* the PV MMU installs the hypervisor's own */
            continue;
        }
        uint64_t e = t[i];
        if (!(e & PTE_P))
            continue;
        if (level > 1 && (e & PTE_PS))
            return BAD(r, "save stream: PAGE_DATA: L%u table at pfn %#llx entry %u is a "
                       "superpage", level, (unsigned long long)pfn, i);
        uint64_t target = (e & PTE_FRAME) >> PAGE_SHIFT;
        mfn_t m = frame_of(r, target);
        if (m == INVALID_MFN)
            return BAD(r, "save stream: PAGE_DATA: L%u table at pfn %#llx entry %u names pfn "
                       "%#llx, which the stream does not populate", level,
                       (unsigned long long)pfn, i, (unsigned long long)target);
        t[i] = (e & ~PTE_FRAME) | mfn_to_paddr(m);
    }
    return 0;
}

static int copy_pages(struct rs *r)
{
    const struct restore_params *p = r->p;
    uint64_t cur = r->img->libxc_start;
    struct save_page_batch b;
    while (save_next_page_batch(p->file, r->img, &cur, &b)) {
        const uint8_t *data = b.data;
        for (uint32_t i = 0; i < b.count; i++) {
            uint64_t e = save_batch_entry(&b, i);
            uint64_t pfn = save_entry_pfn(e);
            unsigned type = save_entry_type(e);
            if (!populates(type))
                continue;
            uint64_t *dst = phys_access_frame(r->p2m[pfn]);
            if (!save_type_has_data(type)) {
                memset(dst, 0, PAGE_SIZE);
                continue;
            }
            memcpy(dst, data, PAGE_SIZE);
            data += PAGE_SIZE;
            int level = table_level(type);
            if (level && localise(r, pfn, (unsigned)level, dst))
                return -1;
        }
    }
    return 0;
}

/* A plain (NOTAB) page the restore writes or the context names. */
static mfn_t plain_page(struct rs *r, uint64_t pfn, const char *what)
{
    if (pfn > r->img->max_pfn || r->type[pfn] != SAVE_PF_NOTAB) {
        BAD(r, "save stream: %s is pfn %#llx, %s", what, (unsigned long long)pfn,
            pfn > r->img->max_pfn ? "past the end" : "not a plain populated page");
        return INVALID_MFN;
    }
    return r->p2m[pfn];
}

/* 3. The guest's own p2m list. */
static int write_guest_p2m(struct rs *r)
{
    const uint8_t *list = r->p->file + r->img->p2m_frames.off;
    for (uint32_t f = 0; f < r->img->nr_p2m_frames; f++) {
        uint64_t pfn = save_le64(list + 8ull * f);
        mfn_t m = plain_page(r, pfn, "a X86_PV_P2M_FRAMES frame");
        if (m == INVALID_MFN)
            return -1;
        uint64_t *dst = phys_access_frame(m);
        for (unsigned i = 0; i < 512; i++) {
            uint64_t q = (uint64_t)f * 512 + i;
            dst[i] = q <= r->img->max_pfn ? r->p2m[q] : INVALID_MFN;
        }
    }
    return 0;
}

/* 4. Pins, with the PV MMU's rules. */
static int pin_tables(struct rs *r)
{
    for (uint64_t pfn = 0; pfn <= r->img->max_pfn; pfn++) {
        unsigned type = r->type[pfn];
        if (type == NO_TYPE || !(type & SAVE_PF_PINNED) || !table_level(type))
            continue;
        int rc = pv_mm_pin(r->p2m[pfn], (unsigned)table_level(type));
        if (rc)
            return BAD(r, "save stream: PAGE_DATA: the pinned L%d table at pfn %#llx does not "
                       "validate (error %d)", table_level(type), (unsigned long long)pfn, rc);
    }
    return 0;
}

/* 5. shared_info. */
static void restore_shared_info(struct rs *r)
{
    /* The record lies at any alignment in the file: bytes, not a struct. */
    const uint8_t *old = r->p->file + r->img->shared_info.off;
    struct shared_info *si = r->p->shared_info;
    memcpy(si->vcpu_info, old + __builtin_offsetof(struct shared_info, vcpu_info),
           sizeof(si->vcpu_info));
    memcpy(&si->arch, old + __builtin_offsetof(struct shared_info, arch), sizeof(si->arch));
    si->arch.pfn_to_mfn_frame_list_list = 0;
    for (unsigned i = 0; i < sizeof(si->vcpu_info) / sizeof(si->vcpu_info[0]); i++)
        si->vcpu_info[i].evtchn_pending_sel = 0;
    memset(si->evtchn_pending, 0, sizeof(si->evtchn_pending));
    memset(si->evtchn_mask, 0xff, sizeof(si->evtchn_mask));
}

/* 7. A saved vCPU's context, its frames localised. */
static int restore_vcpu_context(struct rs *r, unsigned id)
{
    const struct save_vcpu *v = &r->img->vcpu[id];
    struct restore_vcpu *rv = &r->s->vcpu[id];
    struct vcpu_guest_context *c = &rv->ctx;
    rv->present = true;
    memcpy(c, r->p->file + v->basic.off, sizeof(*c));
    rv->ext_len = v->extended.len;
    memcpy(rv->ext, r->p->file + v->extended.off, v->extended.len);

    uint64_t l4_pfn = c->ctrlreg[3] >> PAGE_SHIFT;
    if (table_level(r->type[l4_pfn]) != 4)
        return BAD(r, "save stream: X86_PV_VCPU_BASIC of vcpu %u: cr3 pfn %#llx is not an L4 "
                   "table", id, (unsigned long long)l4_pfn);
    c->ctrlreg[3] = mfn_to_paddr(r->p2m[l4_pfn]);
    if (c->ctrlreg[1]) {
        uint64_t u = c->ctrlreg[1] >> PAGE_SHIFT;
        if (table_level(r->type[u]) != 4)
            return BAD(r, "save stream: X86_PV_VCPU_BASIC of vcpu %u: user cr3 pfn %#llx is "
                       "not an L4 table", id, (unsigned long long)u);
        c->ctrlreg[1] = mfn_to_paddr(r->p2m[u]);
    }
    for (unsigned i = 0; i < DIV_ROUND_UP(c->gdt_ents, 512); i++) {
        char what[40];
        snprintf(what, sizeof(what), "a GDT frame of vcpu %u", id);
        mfn_t m = plain_page(r, c->gdt_frames[i], what);
        if (m == INVALID_MFN)
            return -1;
        c->gdt_frames[i] = m;
    }
    return 0;
}

/* 6. start_info, named by vCPU 0's rdx. */
static int restore_start_info(struct rs *r)
{
    struct restore_state *s = r->s;
    struct vcpu_guest_context *c = &s->vcpu[0].ctx;
    mfn_t si_mfn = plain_page(r, c->user_regs.rdx, "start_info (vcpu 0's rdx)");
    if (si_mfn == INVALID_MFN)
        return -1;
    c->user_regs.rdx = si_mfn;
    s->start_info_mfn = si_mfn;
    start_info_t *si = phys_access_frame(si_mfn);
    mfn_t store = plain_page(r, si->store_mfn, "start_info's xenstore page");
    if (store == INVALID_MFN)
        return -1;
    mfn_t cons = plain_page(r, si->console.domU.mfn, "start_info's console page");
    if (cons == INVALID_MFN)
        return -1;
    si->nr_pages = r->img->max_pfn + 1ull;
    si->shared_info = r->p->shared_info_maddr;
    si->flags = 0;
    si->store_mfn = store;
    si->store_evtchn = r->p->xenstore_evtchn;
    si->console.domU.mfn = cons;
    si->console.domU.evtchn = r->p->console_evtchn;
    s->xenstore_mfn = store;
    s->console_mfn = cons;
    return 0;
}

static int restore_contexts(struct rs *r)
{
    for (unsigned i = 0; i < r->img->nr_vcpus; i++)
        if (r->img->vcpu[i].present && restore_vcpu_context(r, i))
            return -1;
    return restore_start_info(r);
}

int restore_domain(const struct restore_params *p, struct restore_state *s,
                   char *err, size_t errlen)
{
    const struct save_image *img = p->img;
    struct rs r = { .p = p, .img = img, .s = s, .err = err, .errlen = errlen };
    memset(s, 0, sizeof(*s));
    uint64_t n = img->max_pfn + 1ull;
    uint64_t scratch_pages = DIV_ROUND_UP(n * sizeof(mfn_t) + n, PAGE_SIZE);
    mfn_t scratch = frame_pool_alloc(p->pool, scratch_pages, 1, p->max_mfn);
    if (scratch == INVALID_MFN)
        return BAD(&r, "too little memory to restore a guest of %llu pages",
                   (unsigned long long)n);
    r.p2m = phys_access(mfn_to_paddr(scratch), scratch_pages * PAGE_SIZE);
    r.type = (uint8_t *)(r.p2m + n);
    memset(r.p2m, 0xff, n * sizeof(mfn_t));
    memset(r.type, NO_TYPE, n);
    if (p->m2p)
        m2p_fill_invalid(p->m2p, p->m2p_chunks, 0, p->max_mfn);

    int rc = allocate(&r);
    if (!rc)
        rc = copy_pages(&r);
    if (!rc)
        rc = write_guest_p2m(&r);
    if (!rc)
        rc = restore_contexts(&r);
    if (!rc)
        rc = pin_tables(&r);
    if (!rc)
        restore_shared_info(&r);
    frame_pool_free(p->pool, scratch, scratch_pages);
    return rc;
}
