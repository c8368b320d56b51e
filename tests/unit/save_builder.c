/* The save-file builder for tests (save_builder.h). */
#include <stdlib.h>
#include <string.h>
#include <pvshim/save_stream.h>
#include <pvshim/xen_abi.h>
#include "save_builder.h"

static void put(uint8_t *p, uint64_t v, unsigned n)
{
    for (unsigned i = 0; i < n; i++, v >>= 8)
        p[i] = (uint8_t)v;
}

static void put_be(uint8_t *p, uint64_t v, unsigned n)
{
    for (unsigned i = n; i-- > 0; v >>= 8)
        p[i] = (uint8_t)v;
}

void sb_resize(struct sb_rec *r, uint32_t len)
{
    r->body = realloc(r->body, len ? len : 1);
    if (len > r->len)
        memset(r->body + r->len, 0, len - r->len);
    r->len = len;
}

void sb_insert(struct sb_stream *s, unsigned i, uint32_t type, const void *body, uint32_t len)
{
    if (s->n == SB_MAX_RECS)
        abort();
    memmove(&s->rec[i + 1], &s->rec[i], (s->n - i) * sizeof(s->rec[0]));
    s->n++;
    s->rec[i] = (struct sb_rec){ .type = type };
    sb_resize(&s->rec[i], len);
    if (len)
        memcpy(s->rec[i].body, body, len);
}

void sb_remove(struct sb_stream *s, unsigned i)
{
    free(s->rec[i].body);
    memmove(&s->rec[i], &s->rec[i + 1], (s->n - i - 1) * sizeof(s->rec[0]));
    s->n--;
}

int sb_find(const struct sb_stream *s, uint32_t type)
{
    for (unsigned i = 0; i < s->n; i++)
        if (s->rec[i].type == type)
            return (int)i;
    return -1;
}

static void add(struct sb_stream *s, uint32_t type, const void *body, uint32_t len)
{
    sb_insert(s, s->n, type, body, len);
}

static uint64_t pte(uint64_t pfn) { return pfn << 12 | 0x67; }     /* P RW US A D */

void sb_default(struct sb_stream *s)
{
    memset(s, 0, sizeof(*s));
    s->xl = true;
    s->xl_flags = SAVE_XL_FLAG_JSON | SAVE_XL_FLAG_STREAMV2;
    s->version = 3;
    s->dom_type = SAVE_DHDR_X86_PV;

    uint8_t info[8] = { 8, 4 };
    add(s, SAVE_REC_X86_PV_INFO, info, sizeof(info));
    uint8_t cpuid[2 * SAVE_CPUID_ENTRY_LEN] = { 0 };
    put(cpuid + 24, 1, 4);                              /* leaf 1 */
    put(cpuid + 24 + 16, 1u << 25, 4);                  /* ecx... edx SSE */
    add(s, SAVE_REC_X86_CPUID_POLICY, cpuid, sizeof(cpuid));
    uint8_t msr[SAVE_MSR_ENTRY_LEN] = { 0xce };          /* MSR_PLATFORM_INFO */
    add(s, SAVE_REC_X86_MSR_POLICY, msr, sizeof(msr));
    add(s, SAVE_REC_STATIC_DATA_END, NULL, 0);

    uint8_t p2m[16];
    put(p2m, 0, 4);
    put(p2m + 4, SB_NR_PFNS - 1, 4);
    put(p2m + 8, 7, 8);                                 /* the p2m lives in pfn 7 */
    add(s, SAVE_REC_X86_PV_P2M_FRAMES, p2m, sizeof(p2m));

    static const unsigned types[SB_NR_PFNS] = {
        SAVE_PF_PINNED | SAVE_PF_L4, 3, 2, SAVE_PF_L1, 0, 0, 0, 0, SAVE_PF_XTAB,
    };
    uint32_t len = 8 + 8 * SB_NR_PFNS + (SB_NR_PFNS - 1) * SAVE_PAGE_SIZE;
    uint8_t *pd = calloc(1, len);
    put(pd, SB_NR_PFNS, 4);
    uint8_t *page = pd + 8 + 8 * SB_NR_PFNS;
    for (unsigned pfn = 0; pfn < SB_NR_PFNS; pfn++) {
        put(pd + 8 + 8 * pfn, (uint64_t)types[pfn] << SAVE_PFINFO_SHIFT | pfn, 8);
        if (!save_type_has_data(types[pfn]))
            continue;
        switch (pfn) {
        case 0: put(page + 8 * 511, pte(1), 8); break;
        case 1: put(page + 8 * 510, pte(2), 8); break;
        case 2: put(page, pte(3), 8); break;
        case 3:
            for (unsigned i = 0; i < 3; i++)
                put(page + 8 * i, pte(4 + i), 8);
            break;
        case 4: {                                       /* start_info, frames as pfns */
            memcpy(page, "xen-3.0-x86_64", 15);
            put(page + 32, SB_NR_PFNS, 8);
            put(page + 56, 5, 8);                       /* store_mfn */
            put(page + 72, 6, 8);                       /* console.domU.mfn */
            break;
        }
        default: memset(page, 0x40 + pfn, SAVE_PAGE_SIZE); break;
        }
        page += SAVE_PAGE_SIZE;
    }
    add(s, SAVE_REC_PAGE_DATA, pd, len);
    free(pd);

    uint8_t tsc[SAVE_TSC_INFO_LEN] = { 0 };
    put(tsc + 4, 2000000, 4);                           /* 2 GHz */
    put(tsc + 8, 123456789, 8);
    add(s, SAVE_REC_X86_TSC_INFO, tsc, sizeof(tsc));
    uint8_t shinfo[SAVE_PAGE_SIZE];
    memset(shinfo, 0, sizeof(shinfo));
    add(s, SAVE_REC_SHARED_INFO, shinfo, sizeof(shinfo));

    struct { uint32_t id, rsvd; struct vcpu_guest_context c; } __attribute__((packed)) v;
    memset(&v, 0, sizeof(v));
    v.c.flags = VGCF_in_kernel | VGCF_online;
    v.c.user_regs.cs = FLAT_KERNEL_CS64;
    v.c.user_regs.ss = FLAT_KERNEL_SS64;
    v.c.user_regs.rip = SB_VA_BASE + 0x100;
    v.c.user_regs.rsp = SB_VA_BASE + 0x2000;
    v.c.user_regs.rdx = 4;
    v.c.user_regs.rflags = 0x200;
    v.c.kernel_ss = FLAT_KERNEL_SS64;
    v.c.kernel_sp = SB_VA_BASE + 0x2000;
    v.c.event_callback_eip = SB_VA_BASE + 0x200;
    v.c.failsafe_callback_eip = SB_VA_BASE + 0x300;
    v.c.syscall_callback_eip = SB_VA_BASE + 0x400;
    v.c.trap_ctxt[14] = (struct trap_info){ 14, 0, FLAT_KERNEL_CS64, SB_VA_BASE + 0x500 };
    v.c.ctrlreg[3] = 0;                                 /* L4 at pfn 0 */
    add(s, SAVE_REC_X86_PV_VCPU_BASIC, &v, sizeof(v));
    uint8_t ext[8 + 64] = { 0 };
    put(ext + 8 + 4, 64, 4);
    add(s, SAVE_REC_X86_PV_VCPU_EXTENDED, ext, sizeof(ext));
    uint8_t msrs[8 + 16] = { 0 };
    put(msrs + 8, 0xc0000103, 4);                       /* TSC_AUX */
    put(msrs + 16, 1, 8);
    add(s, SAVE_REC_X86_PV_VCPU_MSRS, msrs, sizeof(msrs));
    add(s, SAVE_REC_END, NULL, 0);
    s->nr_libxl_tail = 1;
    s->libxl_tail[0] = (struct sb_rec){ .type = LIBXL_REC_END };
}

void sb_free(struct sb_stream *s)
{
    for (unsigned i = 0; i < s->n; i++)
        free(s->rec[i].body);
    for (unsigned i = 0; i < s->nr_libxl_tail; i++)
        free(s->libxl_tail[i].body);
    s->n = s->nr_libxl_tail = 0;
}

static void out_rec(uint8_t **o, uint32_t type, const uint8_t *body, uint32_t len)
{
    put(*o, type, 4);
    put(*o + 4, len, 4);
    if (len)
        memcpy(*o + 8, body, len);
    *o += 8 + ((len + 7) & ~7u);
}

uint8_t *sb_write(const struct sb_stream *s, size_t *len)
{
    static const char json[] = "{\"c_info\": {\"type\": \"pv\", \"name\": \"sb\"}}";
    size_t cap = 4096;
    for (unsigned i = 0; i < s->n; i++)
        cap += 8 + s->rec[i].len + 8;
    for (unsigned i = 0; i < s->nr_libxl_tail; i++)
        cap += 8 + s->libxl_tail[i].len + 8;
    uint8_t *buf = calloc(1, cap), *o = buf;
    if (s->xl) {
        memcpy(o, SAVE_XL_MAGIC, SAVE_XL_MAGIC_LEN);
        put(o + 32, SAVE_XL_BYTEORDER, 4);
        put(o + 36, s->xl_flags, 4);
        put(o + 40, 0, 4);
        put(o + 44, 4 + sizeof(json), 4);
        put(o + 48, sizeof(json), 4);
        memcpy(o + 52, json, sizeof(json));
        o += 52 + sizeof(json);                 /* unaligned from here on, as in real files */
        put_be(o, SAVE_LIBXL_IDENT, 8);
        put_be(o + 8, SAVE_LIBXL_VERSION, 4);
        put_be(o + 12, 0, 4);
        o += 16;
        out_rec(&o, LIBXL_REC_LIBXC_CONTEXT, NULL, 0);
    }
    put_be(o, SAVE_IHDR_MARKER, 8);
    put_be(o + 8, SAVE_IHDR_ID, 4);
    put_be(o + 12, s->version, 4);
    o += 24;
    put(o, s->dom_type, 4);
    put(o + 4, 12, 2);
    put(o + 8, 4, 4);
    put(o + 12, 17, 4);
    o += 16;
    for (unsigned i = 0; i < s->n; i++)
        out_rec(&o, s->rec[i].type, s->rec[i].body, s->rec[i].len);
    if (s->xl)
        for (unsigned i = 0; i < s->nr_libxl_tail; i++)
            out_rec(&o, s->libxl_tail[i].type, s->libxl_tail[i].body, s->libxl_tail[i].len);
    *len = (size_t)(o - buf);
    return buf;
}

static uint8_t *ctx(struct sb_stream *s)
{
    int i = sb_find(s, SAVE_REC_X86_PV_VCPU_BASIC);
    if (i < 0)
        abort();
    return s->rec[i].body + 8;
}

void sb_ctx_put64(struct sb_stream *s, size_t off, uint64_t v) { put(ctx(s) + off, v, 8); }
void sb_ctx_put16(struct sb_stream *s, size_t off, uint16_t v) { put(ctx(s) + off, v, 2); }
