/*
 * The frame table: owner, type, type count and general count of every
 * machine frame, and the type state machine (Xen's get_page_type /
 * put_page_type without preemption: validation runs to completion).
 */
#include <pvshim/string.h>
#include <pvshim/fill.h>
#include <pvshim/compiler.h>
#include <pvshim/phys.h>
#include <pvshim/hw.h>
#include <pvshim/log.h>
#include <pvshim/memmap.h>
#include "mm_private.h"

struct pv_mm_state pv_mm;

/* 2^40 frames: every MFN a PTE can name (bits 12-51). */
#define MAX_FRAMES (1ull << 40)

STATIC_ASSERT(sizeof(struct pv_frame) == sizeof(uint64_t), "a frame's state is one word");

/* Per frame: its struct pv_frame (the linear counts are elsewhere: linear_count.c). */
#define FRAME_BYTES sizeof(struct pv_frame)

size_t pv_mm_frame_table_bytes(mfn_t nr_frames)
{
    if (nr_frames == 0 || nr_frames > MAX_FRAMES || nr_frames > SIZE_MAX / FRAME_BYTES)
        return 0;
    return nr_frames * FRAME_BYTES;
}

void pv_mm_frame_table_io_page(void *page)
{
    const struct pv_frame io = { .info = (uint32_t)PV_OWNER_IO << FI_OWNER_SHIFT };
    struct pv_frame *f = page;
    for (size_t i = 0; i < PAGE_SIZE / sizeof(*f); i++)
        f[i] = io;
}

void pv_mm_init(void *frame_table, mfn_t nr_frames, uint64_t *m2p, const uint64_t *hyp_slots)
{
    pv_mm_init_prepared(frame_table, nr_frames, m2p, hyp_slots);
    if (pv_mm.ready)
        memset(pv_mm.frames, 0, pv_mm_frame_table_bytes(nr_frames));
}

void pv_mm_init_prepared(void *frame_table, mfn_t nr_frames, uint64_t *m2p,
                         const uint64_t *hyp_slots)
{
    memset(&pv_mm, 0, sizeof(pv_mm));
    for (unsigned v = 0; v < PV_MAX_VCPUS; v++)
        for (unsigned i = 0; i < LDT_PAGES; i++)
            pv_mm.ldt_frames[v][i] = INVALID_MFN;
    current->guest_table = INVALID_MFN;
    current->guest_table_user = INVALID_MFN;
    current->gdt_ents = 0;
    for (unsigned i = 0; i < PV_GDT_GUEST_FRAMES; i++)
        current->gdt_frames[i] = INVALID_MFN;

    if (!frame_table || !m2p || !hyp_slots || !pv_mm_frame_table_bytes(nr_frames)) {
        /* Not ready: every frame lookup fails, so every guest request is refused. */
        log_err("pv-mm: bad set-up (%llu frames); the MMU refuses everything\n",
                (unsigned long long)nr_frames);
        return;
    }
    pv_mm.frames = frame_table;
    pv_mm.nr_frames = nr_frames;
    pv_mm.m2p = m2p;
    memcpy(pv_mm.hyp_slots, hyp_slots, sizeof(pv_mm.hyp_slots));
    pv_mm.ready = true;
}

static uint64_t self_vcpu(void)
{
    return 1ull << current->vcpu_id;
}

/* Every bit that can name a vCPU (bit n: vCPU n < PV_MAX_VCPUS). */
STATIC_ASSERT(PV_MAX_VCPUS <= 64, "a vCPU mask is one word");
static inline uint64_t vcpu_bits(void)
{
    return PV_MAX_VCPUS == 64 ? ~0ull : (1ull << (PV_MAX_VCPUS % 64)) - 1;
}

/*
 * stale_tlb is read and changed under the PV lock, except that a CPU
 * switching its vCPU's base pointer without the lock clears its own bit
 * (pv_mm_cr3_loading): every change is an atomic operation on the word.
 */
void mm_mark_stale(void)
{
    /*
     * Every vCPU's bit already set (a run of drops): nothing to add. The
     * fence orders the dropped entry's write before the read, as the
     * read-modify-write would: a CPU clearing its bit after the read loads
     * CR3 after the write is visible.
     */
    uint64_t all = mm_all_vcpus();
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    if ((__atomic_load_n(&pv_mm.stale_tlb, __ATOMIC_RELAXED) & all) == all)
        return;
    __atomic_fetch_or(&pv_mm.stale_tlb, pv_vcpus_loaded() | self_vcpu(), __ATOMIC_SEQ_CST);
}

/* Read before a full flush, or under the PV lock (no stamp can come between). */
static uint64_t clock_now(void)
{
    return __atomic_load_n(&pv_mm.flush_clock, __ATOMIC_SEQ_CST);
}

void mm_tlb_flushed(void)
{
    __atomic_store_n(&pv_mm.flushed_at[current->vcpu_id], clock_now(), __ATOMIC_RELAXED);
    __atomic_fetch_and(&pv_mm.stale_tlb, ~self_vcpu(), __ATOMIC_SEQ_CST);
}

uint64_t mm_stale_tlb(void)
{
    return __atomic_load_n(&pv_mm.stale_tlb, __ATOMIC_SEQ_CST);
}

/*
 * Cleared before the CR3 load, not after: a reference dropped by another
 * CPU in between sets the bit again, so it is never lost; one dropped
 * before is covered by the load. Between the two this CPU touches no guest
 * memory, so a type change another CPU makes there (seeing the bit clear)
 * reaches no stale translation of this one. The same holds for the clock
 * recorded with it (flushed_at): a stamp it covers was taken before it was
 * read, after the entries it follows were written.
 */
void pv_mm_cr3_loading(void)
{
    mm_tlb_flushed();
}

/* Flush the vCPUs in the mask (this one too if named), and clear their bits. */
static void flush_vcpus(uint64_t vcpus)
{
    if (vcpus & self_vcpu()) {
        hw_flush_tlb();
        mm_tlb_flushed();
    }
    uint64_t others = vcpus & pv_vcpus_loaded() & ~self_vcpu();
    if (!others)
        return;
    uint64_t now = clock_now();
    pv_flush_vcpus_tlb(others);
    for (uint64_t rest = others & vcpu_bits(); rest; rest &= rest - 1)
        __atomic_store_n(&pv_mm.flushed_at[__builtin_ctzll(rest)], now, __ATOMIC_RELAXED);
    __atomic_fetch_and(&pv_mm.stale_tlb, ~others, __ATOMIC_SEQ_CST);
}

void mm_flush_tlb(void)
{
    flush_vcpus(self_vcpu() | mm_stale_tlb());
    /* Bits of vCPUs not loaded go too: a vCPU loads its CR3 before it runs. */
    __atomic_store_n(&pv_mm.stale_tlb, 0, __ATOMIC_SEQ_CST);
}

void mm_flush_tlb_vcpus(uint64_t vcpus)
{
    flush_vcpus(vcpus);
}

void mm_stamp_type_drop(mfn_t mfn)
{
    uint64_t t = __atomic_add_fetch(&pv_mm.flush_clock, 1, __ATOMIC_SEQ_CST);
    __atomic_store_n(&pv_mm.drop_stamp[mfn & (DROP_STAMP_SLOTS - 1)], t, __ATOMIC_RELAXED);
}

/*
 * Xen's tlbflush_filter: of the stale vCPUs, those whose last full flush
 * came after the frame's last type drop cache nothing of it (pv_mm's
 * invariant), and are left alone; a vCPU switching address spaces often
 * is then seldom interrupted by another's type changes.
 */
void mm_flush_before_retype(mfn_t mfn)
{
    uint64_t stale = mm_stale_tlb();
    if (!stale)
        return;
    uint64_t stamp = pv_mm.drop_stamp[mfn & (DROP_STAMP_SLOTS - 1)];
    uint64_t need = 0;
    /* Only the stale vCPUs' clocks are read: one step per bit set. */
    for (uint64_t rest = stale & vcpu_bits(); rest; rest &= rest - 1) {
        unsigned v = (unsigned)__builtin_ctzll(rest);
        if (__atomic_load_n(&pv_mm.flushed_at[v], __ATOMIC_RELAXED) < stamp)
            need |= 1ull << v;
    }
    if (need)
        flush_vcpus(need);
}

/* One page on each CPU named: no full flush, so the stale bits stay. */
void mm_invlpg_vcpus(uint64_t vcpus, vaddr_t va)
{
    if (vcpus & self_vcpu())
        hw_invlpg(va);
    pv_invlpg_vcpus(vcpus & ~self_vcpu(), va);
}

/* ---------------------------------------------------------- ownership */

/* n frames' words become owner's: one store a frame, the same word each. */
static void fill_owner(struct pv_frame *f, uint64_t n, enum pv_owner owner)
{
    /* The guest's ownership is itself a reference (Xen's PGC_allocated). */
    const struct pv_frame v = { .info = (uint32_t)owner << FI_OWNER_SHIFT,
                                .refs = owner == PV_OWNER_GUEST ? 1 : 0 };
    uint64_t word;
    __builtin_memcpy(&word, &v, sizeof(word));
    fill_words((uint64_t *)f, word, n);
}

int pv_mm_assign(mfn_t first, uint64_t n, enum pv_owner owner)
{
    if (!pv_mm.ready || owner == PV_OWNER_NONE || owner > PV_OWNER_IO ||
        first >= pv_mm.nr_frames || n > pv_mm.nr_frames - first)
        return -XEN_EINVAL;
    /*
     * Runs of millions of frames at boot: each frame's 8 bytes read and
     * written as one word, no branch per frame.
     */
    struct pv_frame *f = &pv_mm.frames[first];
    uint64_t used = 0;
#pragma GCC unroll 8
    for (uint64_t i = 0; i < n; i++) {
        uint64_t w;
        __builtin_memcpy(&w, &f[i], sizeof(w));
        used |= w;
    }
    if (used)
        return -XEN_EINVAL;
    fill_owner(f, n, owner);
    return 0;
}

int pv_mm_assign_free(mfn_t first, uint64_t n, enum pv_owner owner)
{
    if (!pv_mm.ready || owner == PV_OWNER_NONE || owner > PV_OWNER_IO ||
        first >= pv_mm.nr_frames || n > pv_mm.nr_frames - first)
        return -XEN_EINVAL;
    fill_owner(&pv_mm.frames[first], n, owner);
    return 0;
}

/*
 * Free frames in [first, end) become I/O space; anything else is left
 * alone. Holes are mostly I/O already (a shared read-only page of such
 * entries, guest_boot.c): 8 words at a time are compared with the I/O
 * word and only a group with another word in it is written frame by frame.
 */
static void mark_io(mfn_t first, mfn_t end)
{
    const struct pv_frame io = { .info = (uint32_t)PV_OWNER_IO << FI_OWNER_SHIFT };
    uint64_t io_word;
    __builtin_memcpy(&io_word, &io, sizeof(io_word));
    end = MIN(end, pv_mm.nr_frames);
    for (mfn_t m = first; m < end; ) {
        if (end - m >= 8) {
            uint64_t other = 0;
#pragma GCC unroll 8
            for (unsigned i = 0; i < 8; i++) {
                uint64_t w;
                __builtin_memcpy(&w, &pv_mm.frames[m + i], sizeof(w));
                other |= w ^ io_word;
            }
            if (!other) {
                m += 8;
                continue;
            }
        }
        mfn_t stop = MIN(end, m + 8);
        for (; m < stop; m++)
            if (!pv_mm.frames[m].info && !pv_mm.frames[m].refs)
                pv_mm.frames[m].info = io.info;
    }
}

int pv_mm_mark_io(const struct memmap *m, mfn_t low_io_frames)
{
    if (!pv_mm.ready || !m)
        return -XEN_EINVAL;
    mark_io(0, low_io_frames);
    mfn_t next = 0;                 /* frames below are done */
    for (unsigned i = 0; i < m->nr; i++) {
        const struct memmap_entry *e = &m->e[i];
        if (e->type != MEM_RAM && e->type != MEM_UNUSABLE)
            continue;
        mfn_t s = paddr_to_mfn(ALIGN_UP(e->start, PAGE_SIZE));
        mfn_t t = paddr_to_mfn(ALIGN_DOWN(e->start + e->size, PAGE_SIZE));
        mark_io(next, s);
        next = MAX(next, t);
    }
    mark_io(next, pv_mm.nr_frames);
    return 0;
}

void pv_mm_assign_frame(mfn_t mfn)
{
    if (pv_mm_assign(mfn, 1, PV_OWNER_GUEST))
        log_err("pv-mm: mfn %#llx given to the guest is not free\n", (unsigned long long)mfn);
}

int pv_mm_share_with_guest(mfn_t mfn)
{
    struct pv_frame *f = frame_of(mfn);
    if (!f || f->info || f->refs)
        return -XEN_EINVAL;
    f->info = ((uint32_t)PV_OWNER_GUEST << FI_OWNER_SHIFT) |
              ((uint32_t)PV_TYPE_WRITABLE << FI_TYPE_SHIFT) |
              FI_SHARED | FI_VALIDATED | 1;
    f->refs = 2;
    return 0;
}

/* Back to free: the last reference of a guest frame is gone. */
static void free_frame(mfn_t mfn, struct pv_frame *f)
{
    /* A stale translation must not outlive the frame's ownership. */
    if (mm_stale_tlb())
        mm_flush_tlb();
    f->info = 0;
    f->refs = 0;
    mm_write_m2p(mfn, ~0ull);
}

int pv_mm_release_frame(mfn_t mfn)
{
    struct pv_frame *f = frame_of(mfn);
    if (!f || frame_owner(f) != PV_OWNER_GUEST || (f->info & FI_SHARED))
        return -XEN_EINVAL;
    if (f->info & FI_RELEASED)
        return PV_MM_RELEASE_DEFERRED;      /* given back already: nothing left to drop */
    if (f->refs == 1 && !frame_type_count(f)) {
        free_frame(mfn, f);
        return 0;
    }
    /* Every type reference comes with a general one: refs 1 here is corrupt. */
    if (f->refs <= 1)
        return -XEN_EBUSY;
    /*
     * Xen 4.17's guest_remove_page: the M2P entry goes and the allocation
     * reference is dropped; pins, mappings and holds keep theirs (no
     * implicit unpin since XSA-252), and the last of them frees the frame.
     */
    mm_write_m2p(mfn, ~0ull);
    f->info |= FI_RELEASED;
    f->refs--;
    return PV_MM_RELEASE_DEFERRED;
}

void mm_write_m2p(mfn_t mfn, uint64_t pfn)
{
    pv_mm.m2p[mfn] = pfn;
    if (pv_mm.compat_m2p)
        pv_mm.compat_m2p[mfn] = (uint32_t)pfn;
}

bool pv_mm_set_m2p(mfn_t mfn, uint64_t pfn)
{
    if (!pv_mm.ready || mfn >= pv_mm.nr_frames)
        return false;
    mm_write_m2p(mfn, pfn);
    return true;
}

/* ---------------------------------------------------------- queries */

bool pv_mm_frame_info(mfn_t mfn, struct pv_frame_info *out)
{
    const struct pv_frame *f = frame_of(mfn);
    if (!f)
        return false;
    out->owner = (enum pv_owner)frame_owner(f);
    out->type = (enum pv_page_type)frame_type(f);
    out->type_count = frame_type_count(f);
    out->refs = f->refs;
    out->validated = f->info & FI_VALIDATED;
    out->pinned = f->info & FI_PINNED;
    out->shared = f->info & FI_SHARED;
    out->linear = linear_count(mfn);
    out->pae_xen_l2 = f->info & FI_PAE_XEN_L2;
    out->released = f->info & FI_RELEASED;
    return true;
}

enum pv_page_type pv_mm_frame_type(mfn_t mfn)
{
    const struct pv_frame *f = frame_of(mfn);
    return f ? (enum pv_page_type)frame_type(f) : PV_TYPE_NONE;
}

bool pv_mm_guest_owns(mfn_t mfn)
{
    const struct pv_frame *f = frame_of(mfn);
    return f && frame_owner(f) == PV_OWNER_GUEST;
}

bool pv_mm_frame_stealable(mfn_t mfn)
{
    const struct pv_frame *f = frame_of(mfn);
    return f && frame_owner(f) == PV_OWNER_GUEST &&
           !(f->info & (FI_SHARED | FI_RELEASED)) && f->refs == 1 && !frame_type_count(f);
}

/* ---------------------------------------------------------- references */

void put_page_slow(mfn_t mfn)
{
    struct pv_frame *f = frame_of(mfn);
    bool released = f && (f->info & FI_RELEASED);
    if (!f || f->refs == 0 || (f->refs == 1 && !released)) {
        /* The ownership reference is only ever dropped by pv_mm_release_frame. */
        log_err("pv-mm: reference underflow on mfn %#llx\n", (unsigned long long)mfn);
        return;
    }
    if (--f->refs || !released)
        return;
    /* Every type reference is dropped before its general one. */
    if (frame_type_count(f) || linear_count(mfn)) {
        log_err("pv-mm: released mfn %#llx still typed; kept\n", (unsigned long long)mfn);
        f->refs = 1;
        return;
    }
    /* The reference just dropped may have been a mapping still cached in a TLB. */
    mm_mark_stale();
    free_frame(mfn, f);
    pv_mm_frame_freed(mfn);
}

static int validate(mfn_t mfn, unsigned type)
{
    switch (type) {
    case PV_TYPE_L1:
    case PV_TYPE_L2:
    case PV_TYPE_L3:
    case PV_TYPE_L4:
        return validate_table(mfn, type);
    case PV_TYPE_SEG_DESC:
        return validate_segdesc_page(mfn);
    default:
        return 0;
    }
}

int get_page_type_slow(mfn_t mfn, unsigned type)
{
    struct pv_frame *f = frame_of(mfn);
    if (!f || type == PV_TYPE_NONE || type > PV_TYPE_WRITABLE)
        return -XEN_EINVAL;

    uint32_t count = frame_type_count(f);
    if (count == FI_COUNT_MASK)
        return -XEN_EINVAL;                 /* type count would overflow */
    if (count) {
        /*
         * Only the same, fully validated type may gain a reference. (A
         * table under validation can't be asked for its own type again:
         * each level only references the level below, and a linear
         * entry naming its own table takes no reference.)
         */
        if (frame_type(f) != type || !(f->info & FI_VALIDATED) || (f->info & FI_PAE_XEN_L2))
            return -XEN_EINVAL;
        f->info++;
        return 0;
    }

    if (frame_type(f) != type) {
        /*
         * Invariant (several vCPUs): a frame losing its writable or table
         * type is flushed from every vCPU's TLB before the new type is
         * visible. Every reference dropped since a CPU's last full flush
         * left that CPU's bit in stale_tlb (mm_mark_stale: every vCPU that
         * has run), and mm_flush_tlb() flushes them all and returns only
         * when they are done (an idle CPU flushes before it takes the PV
         * lock again, pv_lock); mm_flush_before_retype leaves out those
         * flushed since the frame's type last fell to 0, which cache none
         * of its dropped uses. We hold the PV lock, so no vCPU sees the new
         * type until we return.
         */
        mm_flush_before_retype(mfn);
        f->info = (f->info & ~(FI_TYPE_MASK | FI_VALIDATED)) |
                  ((uint32_t)type << FI_TYPE_SHIFT);
    }
    f->info++;
    /*
     * Writable and seg-desc frames keep FI_VALIDATED at count 0: their
     * contents cannot change without a type change, which clears it.
     */
    if (f->info & FI_VALIDATED)
        return 0;
    /* Count 0 held no linear entries and had none naming it (mm_private.h). */
    if (linear_count(mfn)) {
        log_err("pv-mm: linear count %d on unused mfn %#llx\n", linear_count(mfn),
                (unsigned long long)mfn);
        linear_set(mfn, 0);
    }
    int rc = validate(mfn, type);
    if (rc) {
        f->info &= ~(FI_COUNT_MASK | FI_TYPE_MASK | FI_VALIDATED);
        return rc;
    }
    f->info |= FI_VALIDATED;
    return 0;
}

void put_page_type_slow(mfn_t mfn)
{
    struct pv_frame *f = frame_of(mfn);
    if (!f || !frame_type_count(f)) {
        log_err("pv-mm: type count underflow on mfn %#llx\n", (unsigned long long)mfn);
        return;
    }
    unsigned type = frame_type(f);
    if (frame_type_count(f) == 1 && type >= PV_TYPE_L1 && type <= PV_TYPE_L4) {
        /* A table's last use: release what its entries hold. */
        f->info &= ~FI_VALIDATED;
        devalidate_table(mfn, type);
        /* Translations through the table may still be cached. */
        mm_mark_stale();
    }
    f->info--;
    if (!frame_type_count(f)) {
        f->info &= ~FI_PAE_XEN_L2;
        /* After the entries that held it (and its own, if a table) were dropped. */
        mm_stamp_type_drop(mfn);
    }
}

int get_page_type_pae_xen_l2(mfn_t mfn)
{
    struct pv_frame *f = frame_of(mfn);
    /* Unshareable: in use as anything, even a plain L2, it can't be one. */
    if (!f || !pv_mm.pae || frame_type_count(f))
        return -XEN_EINVAL;
    if (frame_type(f) != PV_TYPE_L2 || (f->info & FI_VALIDATED)) {
        mm_flush_before_retype(mfn);
        f->info = (f->info & ~(FI_TYPE_MASK | FI_VALIDATED)) |
                  ((uint32_t)PV_TYPE_L2 << FI_TYPE_SHIFT);
    }
    f->info |= FI_PAE_XEN_L2;
    f->info++;
    int rc = validate_table(mfn, PV_TYPE_L2);
    if (rc) {
        f->info &= ~(FI_COUNT_MASK | FI_TYPE_MASK | FI_VALIDATED | FI_PAE_XEN_L2);
        return rc;
    }
    f->info |= FI_VALIDATED;
    return 0;
}

void put_linear_page_type(mfn_t mfn, mfn_t ptpg)
{
    int16_t uses = linear_count(mfn), entries = linear_count(ptpg);
    if (uses >= 0 || entries <= 0)
        log_err("pv-mm: linear count underflow on mfn %#llx / %#llx\n",
                (unsigned long long)mfn, (unsigned long long)ptpg);
    else {
        linear_set(mfn, (int16_t)(uses + 1));
        linear_set(ptpg, (int16_t)(entries - 1));
    }
    put_page_type(mfn);
}

int pv_mm_get_writable_frame(mfn_t mfn)
{
    return get_page_and_type(mfn, PV_TYPE_WRITABLE);
}

int pv_mm_get_readable_frame(mfn_t mfn)
{
    struct pv_frame *f = frame_of(mfn);
    if (!f || frame_owner(f) != PV_OWNER_GUEST)
        return -XEN_EINVAL;
    unsigned t = frame_type(f);
    if (frame_type_count(f) && t != PV_TYPE_WRITABLE && t != PV_TYPE_NONE)
        return -XEN_EBUSY;
    return get_page(mfn) ? 0 : -XEN_EINVAL;
}

void pv_mm_put_readable_frame(mfn_t mfn)
{
    put_page(mfn);
}

void pv_mm_put_writable_frame(mfn_t mfn)
{
    struct pv_frame *f = frame_of(mfn);
    if (!f || frame_type(f) != PV_TYPE_WRITABLE || frame_type_count(f) == 0) {
        log_err("pv-mm: unbalanced put_writable on mfn %#llx\n", (unsigned long long)mfn);
        return;
    }
    put_page_and_type(mfn);
}
