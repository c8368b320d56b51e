/*
 * The save-file writer (include/pvshim/save_write.h): the records the
 * parser (save_stream.c) reads, written in libxc's order through a sink.
 * Invariant: every record body is followed by zeros up to SAVE_REC_ALIGN.
 */
#include <pvshim/save_write.h>
#include <pvshim/paging.h>
#include <pvshim/phys.h>
#include <pvshim/error.h>
#include <pvshim/string.h>
#include <pvshim/compiler.h>
#include "mm.h"

#define XEN_MAJOR       4       /* the domain header claims the Xen that restores it best */
#define XEN_MINOR       17
#define STREAM_VERSION  3

struct sw {
    const struct save_source *src;
    const struct save_sink *sink;
    uint64_t written;
    char *err;
    size_t errlen;
    /* One PAGE_DATA record's entries, and a page being normalised. */
    uint64_t pfn_info[SAVE_BATCH_MAX];
    uint64_t page[SAVE_PAGE_SIZE / 8];
};

static void put_le32(uint8_t *p, uint32_t v)
{
    for (unsigned i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static void put_le64(uint8_t *p, uint64_t v)
{
    put_le32(p, (uint32_t)v);
    put_le32(p + 4, (uint32_t)(v >> 32));
}

static void put_be(uint8_t *p, uint64_t v, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        p[i] = (uint8_t)(v >> (8 * (n - 1 - i)));
}

static int out(struct sw *w, const void *buf, size_t len)
{
    int rc = w->sink->write(w->sink->arg, buf, len);
    if (rc)
        return error_set(w->err, w->errlen, -1, "save: writing at byte %llu failed (error %d)",
                         (unsigned long long)w->written, rc);
    w->written += len;
    return 0;
}

static int pad(struct sw *w, uint64_t len)
{
    static const uint8_t zeros[SAVE_REC_ALIGN];
    uint64_t n = (SAVE_REC_ALIGN - len % SAVE_REC_ALIGN) % SAVE_REC_ALIGN;
    return n ? out(w, zeros, n) : 0;
}

static int rec_header(struct sw *w, uint32_t type, uint32_t len)
{
    uint8_t h[SAVE_REC_HDR_LEN];
    put_le32(h, type);
    put_le32(h + 4, len);
    return out(w, h, sizeof(h));
}

/* A record with its body in one or two pieces (b may be NULL). */
static int record(struct sw *w, uint32_t type, const void *a, uint32_t alen,
                  const void *b, uint32_t blen)
{
    if (rec_header(w, type, alen + blen) || (alen && out(w, a, alen)) ||
        (blen && out(w, b, blen)))
        return -1;
    return pad(w, (uint64_t)alen + blen);
}

static int headers(struct sw *w)
{
    uint8_t xl[SAVE_XL_HEADER_LEN + 4] = { 0 };
    memcpy(xl, SAVE_XL_MAGIC, SAVE_XL_MAGIC_LEN);
    put_le32(xl + 32, SAVE_XL_BYTEORDER);
    put_le32(xl + 36, SAVE_XL_FLAG_STREAMV2);
    put_le32(xl + 40, 0);                   /* optional flags */
    put_le32(xl + 44, 4);                   /* optional data: config_len 0 */
    uint8_t lx[SAVE_LIBXL_HEADER_LEN];
    put_be(lx, SAVE_LIBXL_IDENT, 8);
    put_be(lx + 8, SAVE_LIBXL_VERSION, 4);
    put_be(lx + 12, 0, 4);
    uint8_t ih[SAVE_IHDR_LEN + SAVE_DHDR_LEN] = { 0 };
    put_be(ih, SAVE_IHDR_MARKER, 8);
    put_be(ih + 8, SAVE_IHDR_ID, 4);
    put_be(ih + 12, STREAM_VERSION, 4);
    uint8_t *dh = ih + SAVE_IHDR_LEN;
    put_le32(dh, SAVE_DHDR_X86_PV);
    dh[4] = 12;                             /* page_shift */
    put_le32(dh + 8, XEN_MAJOR);
    put_le32(dh + 12, XEN_MINOR);
    if (out(w, xl, sizeof(xl)) || out(w, lx, sizeof(lx)) ||
        rec_header(w, LIBXL_REC_LIBXC_CONTEXT, 0) || out(w, ih, sizeof(ih)))
        return -1;
    uint8_t info[8] = { 8, 4 };             /* guest width, page-table levels */
    return record(w, SAVE_REC_X86_PV_INFO, info, sizeof(info), NULL, 0) ||
           record(w, SAVE_REC_STATIC_DATA_END, NULL, 0, NULL, 0) ? -1 : 0;
}

static int p2m_frames(struct sw *w)
{
    const struct save_source *s = w->src;
    uint32_t frames = s->max_pfn / 512 + 1;
    uint8_t h[8];
    put_le32(h, 0);
    put_le32(h + 4, s->max_pfn);
    if (rec_header(w, SAVE_REC_X86_PV_P2M_FRAMES, 8 + 8 * frames) || out(w, h, sizeof(h)))
        return -1;
    for (uint32_t f = 0; f < frames; f++) {
        uint8_t e[8];
        put_le64(e, s->p2m_frames[f]);
        if (out(w, e, sizeof(e)))
            return -1;
    }
    return 0;
}

unsigned save_frame_type(mfn_t m)
{
    struct pv_frame_info fi;
    if (!pv_mm_frame_info(m, &fi) || fi.owner != PV_OWNER_GUEST || fi.shared || fi.released)
        return SAVE_PF_XTAB;
    if (fi.type >= PV_TYPE_L1 && fi.type <= PV_TYPE_L4 && fi.validated)
        return (unsigned)fi.type | (fi.pinned ? SAVE_PF_PINNED : 0);
    return SAVE_PF_NOTAB;
}

/* The guest's p2m entry for pfn if it names a frame of the guest's RAM, else INVALID_MFN. */
static mfn_t frame_of(const struct save_source *s, uint64_t pfn)
{
    const uint64_t *list = phys_access_frame(s->p2m_mfns[pfn / 512]);
    mfn_t m = list[pfn % 512];
    if (m >= s->max_mfn || s->m2p[m] != pfn || save_frame_type(m) == SAVE_PF_XTAB)
        return INVALID_MFN;
    return m;
}

/* The pfn of a frame the guest owns as RAM; false if it is not one. */
static bool pfn_of(const struct save_source *s, mfn_t m, uint64_t *pfn)
{
    if (m >= s->max_mfn)
        return false;
    uint64_t p = s->m2p[m];
    if (p > s->max_pfn || frame_of(s, p) != m)
        return false;
    *pfn = p;
    return true;
}

/* A level-n table into w->page with its frames made pfns. */
static int normalise(struct sw *w, uint64_t pfn, unsigned level, const uint64_t *t)
{
    for (unsigned i = 0; i < PT_ENTRIES; i++) {
        uint64_t e = t[i], target;
        if (level == 4 && i >= SAVE_L4_HYP_FIRST && i < SAVE_L4_HYP_FIRST + SAVE_L4_HYP_SLOTS)
            e = 0;
        else if (e & PTE_P) {
            if (level > 1 && (e & PTE_PS))
                return error_set(w->err, w->errlen, -1, "save: L%u table at pfn "
                                 "%#llx entry %u is a superpage", level,
                                 (unsigned long long)pfn, i);
            mfn_t m = (e & PTE_ADDR_MASK) >> PAGE_SHIFT;
            if (!pfn_of(w->src, m, &target))
                return error_set(w->err, w->errlen, -1, "save: L%u table at pfn "
                                 "%#llx entry %u maps frame %#llx, which is not one of the "
                                 "guest's pages", level, (unsigned long long)pfn, i,
                                 (unsigned long long)m);
            e = (e & ~PTE_ADDR_MASK) | target << PAGE_SHIFT;
        }
        w->page[i] = e;
    }
    return 0;
}

static unsigned entry_type(const struct save_source *s, uint64_t pfn, mfn_t *m)
{
    *m = frame_of(s, pfn);
    return *m == INVALID_MFN ? SAVE_PF_XTAB : save_frame_type(*m);
}

/* One PAGE_DATA record: pfns [first, first + n). */
static int page_batch(struct sw *w, uint64_t first, uint32_t n)
{
    const struct save_source *s = w->src;
    uint32_t with_data = 0;
    for (uint32_t i = 0; i < n; i++) {
        mfn_t m;
        unsigned type = entry_type(s, first + i, &m);
        w->pfn_info[i] = (uint64_t)type << SAVE_PFINFO_SHIFT | (first + i);
        with_data += save_type_has_data(type);
    }
    uint8_t h[8] = { 0 };
    put_le32(h, n);
    uint64_t len = 8 + 8ull * n + (uint64_t)SAVE_PAGE_SIZE * with_data;
    if (rec_header(w, SAVE_REC_PAGE_DATA, (uint32_t)len) || out(w, h, sizeof(h)))
        return -1;
    for (uint32_t i = 0; i < n; i++) {
        uint8_t e[8];
        put_le64(e, w->pfn_info[i]);
        if (out(w, e, sizeof(e)))
            return -1;
    }
    for (uint32_t i = 0; i < n; i++) {
        uint64_t pfn = first + i;
        mfn_t m;
        unsigned type = entry_type(s, pfn, &m);
        if (!save_type_has_data(type))
            continue;
        const uint64_t *frame = phys_access_frame(m);
        unsigned level = type & ~SAVE_PF_PINNED;
        if (type != SAVE_PF_NOTAB) {
            if (normalise(w, pfn, level, frame))
                return -1;
            frame = w->page;
        }
        if (out(w, frame, SAVE_PAGE_SIZE))
            return -1;
    }
    return 0;
}

static int pages(struct sw *w)
{
    uint64_t n = w->src->max_pfn + 1ull;
    for (uint64_t first = 0; first < n; first += SAVE_BATCH_MAX)
        if (page_batch(w, first, (uint32_t)MIN(n - first, (uint64_t)SAVE_BATCH_MAX)))
            return -1;
    return 0;
}

static int tsc_and_shared_info(struct sw *w)
{
    const struct save_source *s = w->src;
    uint8_t tsc[SAVE_TSC_INFO_LEN] = { 0 };
    put_le32(tsc, 0);                       /* mode: default */
    put_le32(tsc + 4, s->tsc_khz);
    put_le64(tsc + 8, s->tsc_nsec);
    return record(w, SAVE_REC_X86_TSC_INFO, tsc, sizeof(tsc), NULL, 0) ||
           record(w, SAVE_REC_SHARED_INFO, s->shared_info, SAVE_PAGE_SIZE, NULL, 0) ? -1 : 0;
}

/* A frame the context names, as a pfn; false if it is not the guest's. */
static bool ctx_pfn(struct sw *w, mfn_t m, const char *what, uint64_t *pfn)
{
    if (pfn_of(w->src, m, pfn))
        return true;
    error_set(w->err, w->errlen, -1, "save: vcpu 0's %s is frame %#llx, not one of "
              "the guest's pages", what, (unsigned long long)m);
    return false;
}

static int vcpu0(struct sw *w)
{
    const struct save_source *s = w->src;
    static struct vcpu_guest_context c;     /* too big for a stack */
    uint64_t pfn;
    c = *s->ctx;
    if (!ctx_pfn(w, c.ctrlreg[3] >> PAGE_SHIFT, "cr3", &pfn))
        return -1;
    c.ctrlreg[3] = pfn << PAGE_SHIFT;
    if (c.ctrlreg[1]) {
        if (!ctx_pfn(w, c.ctrlreg[1] >> PAGE_SHIFT, "user cr3", &pfn))
            return -1;
        c.ctrlreg[1] = pfn << PAGE_SHIFT | 1;   /* bit 0: present, as libxc writes it */
    }
    for (unsigned i = 0; i < DIV_ROUND_UP(c.gdt_ents, 512); i++) {
        if (!ctx_pfn(w, c.gdt_frames[i], "GDT frame", &pfn))
            return -1;
        c.gdt_frames[i] = pfn;
    }
    if (!ctx_pfn(w, c.user_regs.rdx, "start_info (rdx)", &pfn))
        return -1;
    c.user_regs.rdx = pfn;

    uint8_t vh[8] = { 0 };                  /* vcpu_id 0, reserved */
    if (record(w, SAVE_REC_X86_PV_VCPU_BASIC, vh, sizeof(vh), &c, sizeof(c)) ||
        record(w, SAVE_REC_X86_PV_VCPU_EXTENDED, vh, sizeof(vh), s->ext, s->ext_len))
        return -1;
    if (!s->xcr0)
        return 0;
    uint8_t xh[8 + 16] = { 0 };
    put_le64(xh + 8, s->xcr0);
    put_le64(xh + 16, s->xcr0_accum);
    return record(w, SAVE_REC_X86_PV_VCPU_XSAVE, xh, sizeof(xh), s->xsave, s->xsave_len);
}

int save_write(const struct save_source *src, const struct save_sink *sink,
               uint64_t *written, char *err, size_t errlen)
{
    static struct sw w;                     /* one save at a time; too big for a stack */
    memset(&w, 0, sizeof(w));
    w.src = src;
    w.sink = sink;
    w.err = err;
    w.errlen = errlen;
    if (err && errlen)
        err[0] = '\0';
    int rc = headers(&w);
    if (!rc)
        rc = p2m_frames(&w);
    if (!rc)
        rc = pages(&w);
    if (!rc)
        rc = tsc_and_shared_info(&w);
    if (!rc)
        rc = vcpu0(&w);
    if (!rc)
        rc = record(&w, SAVE_REC_END, NULL, 0, NULL, 0) ||
             rec_header(&w, LIBXL_REC_END, 0) ? -1 : 0;
    *written = w.written;
    return rc ? -1 : 0;
}
