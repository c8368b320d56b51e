/*
 * The save-file parser (include/pvshim/save_stream.h): the xl and libxl
 * layers, then every libxc record checked against the rules the header
 * lists. Nothing is built here; the restore walks the checked file again.
 */
#include <pvshim/save_stream.h>
#include <pvshim/error.h>
#include <pvshim/string.h>
#include <pvshim/xen_abi.h>

_Static_assert(sizeof(struct vcpu_guest_context) == SAVE_VCPU_CTX_LEN,
               "vcpu_guest_context is the x86_64 layout");

uint16_t save_le16(const void *p)
{
    const uint8_t *b = p;
    return (uint16_t)(b[0] | b[1] << 8);
}

uint32_t save_le32(const void *p)
{
    const uint8_t *b = p;
    return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

uint64_t save_le64(const void *p)
{
    const uint8_t *b = p;
    return save_le32(b) | (uint64_t)save_le32(b + 4) << 32;
}

static uint64_t be(const uint8_t *p, unsigned n)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < n; i++)
        v = v << 8 | p[i];
    return v;
}

static const char *const rec_names[] = {
    [SAVE_REC_END] = "END",
    [SAVE_REC_PAGE_DATA] = "PAGE_DATA",
    [SAVE_REC_X86_PV_INFO] = "X86_PV_INFO",
    [SAVE_REC_X86_PV_P2M_FRAMES] = "X86_PV_P2M_FRAMES",
    [SAVE_REC_X86_PV_VCPU_BASIC] = "X86_PV_VCPU_BASIC",
    [SAVE_REC_X86_PV_VCPU_EXTENDED] = "X86_PV_VCPU_EXTENDED",
    [SAVE_REC_X86_PV_VCPU_XSAVE] = "X86_PV_VCPU_XSAVE",
    [SAVE_REC_SHARED_INFO] = "SHARED_INFO",
    [SAVE_REC_X86_TSC_INFO] = "X86_TSC_INFO",
    [SAVE_REC_HVM_CONTEXT] = "HVM_CONTEXT",
    [SAVE_REC_HVM_PARAMS] = "HVM_PARAMS",
    [SAVE_REC_TOOLSTACK] = "TOOLSTACK",
    [SAVE_REC_X86_PV_VCPU_MSRS] = "X86_PV_VCPU_MSRS",
    [SAVE_REC_VERIFY] = "VERIFY",
    [SAVE_REC_CHECKPOINT] = "CHECKPOINT",
    [SAVE_REC_CHECKPOINT_DIRTY] = "CHECKPOINT_DIRTY_PFN_LIST",
    [SAVE_REC_STATIC_DATA_END] = "STATIC_DATA_END",
    [SAVE_REC_X86_CPUID_POLICY] = "X86_CPUID_POLICY",
    [SAVE_REC_X86_MSR_POLICY] = "X86_MSR_POLICY",
};

const char *save_rec_name(uint32_t type)
{
    uint32_t t = type & ~SAVE_REC_OPTIONAL;
    if (t < sizeof(rec_names) / sizeof(rec_names[0]) && rec_names[t])
        return rec_names[t];
    return "unknown type";
}

bool save_type_has_data(unsigned type)
{
    return type == SAVE_PF_NOTAB || (type >= SAVE_PF_L1 && type <= SAVE_PF_L4) ||
           (type >= (SAVE_PF_PINNED | SAVE_PF_L1) && type <= (SAVE_PF_PINNED | SAVE_PF_L4));
}

static bool type_known(unsigned type)
{
    return save_type_has_data(type) || type == SAVE_PF_BROKEN ||
           type == SAVE_PF_XALLOC || type == SAVE_PF_XTAB;
}

bool save_stream_is(const void *data, uint64_t len)
{
    const uint8_t *d = data;
    if (len >= SAVE_XL_MAGIC_LEN && memcmp(d, SAVE_XL_MAGIC, SAVE_XL_MAGIC_LEN) == 0)
        return true;
    return len >= 12 && be(d, 8) == SAVE_IHDR_MARKER && be(d + 8, 4) == SAVE_IHDR_ID;
}

/* ---- the walk */

struct parser {
    const uint8_t *d;
    uint64_t len;
    struct save_image *img;
    char *err;
    size_t errlen;
    unsigned recno;                 /* libxc records seen, for messages */
    uint64_t off;                   /* of the current record */
    uint32_t type;
    bool seen_info, seen_static_end, seen_p2m, seen_shinfo, seen_tsc, seen_cpuid, seen_msr;
};

#define BAD(p, ...) error_set((p)->err, (p)->errlen, -1, __VA_ARGS__)
/* A message about the current libxc record: "save stream: record N (NAME) at OFF: ...". */
#define BAD_REC(p, fmt, ...)                                                   \
    error_set((p)->err, (p)->errlen, -1, "save stream: record %u (%s) at offset %#llx: " fmt, \
              (p)->recno, save_rec_name((p)->type), (unsigned long long)(p)->off, ##__VA_ARGS__)

/*
 * The record header at *off: its type and body, and *off moved past the
 * padded body. layer names the stream for messages.
 */
static int next_record(struct parser *p, uint64_t *off, uint32_t *type,
                       struct save_blob *body, const char *layer)
{
    if (*off > p->len || p->len - *off < SAVE_REC_HDR_LEN)
        return BAD(p, "save stream: %s record header at offset %#llx: truncated (file of %llu bytes)",
                   layer, (unsigned long long)*off, (unsigned long long)p->len);
    *type = save_le32(p->d + *off);
    uint32_t length = save_le32(p->d + *off + 4);
    if (length > SAVE_REC_LENGTH_MAX)
        return BAD(p, "save stream: %s record type %#x at offset %#llx: length %u exceeds %u",
                   layer, *type, (unsigned long long)*off, length, SAVE_REC_LENGTH_MAX);
    uint64_t padded = ((uint64_t)length + SAVE_REC_ALIGN - 1) & ~(uint64_t)(SAVE_REC_ALIGN - 1);
    if (p->len - *off - SAVE_REC_HDR_LEN < padded)
        return BAD(p, "save stream: %s record type %#x (%s) at offset %#llx: its %u-byte body "
                   "runs past the end of the file (%llu bytes)", layer, *type,
                   save_rec_name(*type), (unsigned long long)*off, length,
                   (unsigned long long)p->len);
    body->off = *off + SAVE_REC_HDR_LEN;
    body->len = length;
    *off = body->off + padded;
    return 0;
}

static int once(struct parser *p, bool *seen)
{
    if (*seen)
        return BAD_REC(p, "appears twice");
    *seen = true;
    return 0;
}

static int rec_pv_info(struct parser *p, struct save_blob b)
{
    if (once(p, &p->seen_info))
        return -1;
    if (b.len != 8)
        return BAD_REC(p, "length %u, want 8", b.len);
    uint8_t width = p->d[b.off], levels = p->d[b.off + 1];
    if (width != 8 || levels != 4)
        return BAD_REC(p, "guest width %u, %u page-table levels: only 64-bit PV guests "
                       "(width 8, 4 levels) can be restored", width, levels);
    return 0;
}

static int rec_p2m_frames(struct parser *p, struct save_blob b)
{
    if (!p->seen_info)
        return BAD_REC(p, "before X86_PV_INFO");
    if (!p->seen_static_end)
        return BAD_REC(p, "before STATIC_DATA_END");
    if (once(p, &p->seen_p2m))
        return -1;
    if (b.len < 8)
        return BAD_REC(p, "length %u, want at least 8", b.len);
    uint32_t start = save_le32(p->d + b.off), end = save_le32(p->d + b.off + 4);
    if (start != 0 || end < start)
        return BAD_REC(p, "pfns %#x..%#x: want a p2m from pfn 0", start, end);
    if (end >= SAVE_MAX_PFNS)
        return BAD_REC(p, "end_pfn %#x: more than %u pages", end, SAVE_MAX_PFNS);
    uint32_t frames = end / 512 + 1;
    if (b.len != 8 + 8ull * frames)
        return BAD_REC(p, "length %u for %u p2m frames (want %llu)", b.len, frames,
                       8 + 8ull * frames);
    for (uint32_t i = 0; i < frames; i++) {
        uint64_t pfn = save_le64(p->d + b.off + 8 + 8ull * i);
        if (pfn > end)
            return BAD_REC(p, "p2m frame %u is pfn %#llx, past the end (end_pfn %#x)", i,
                           (unsigned long long)pfn, end);
    }
    p->img->max_pfn = end;
    p->img->p2m_frames = (struct save_blob){ b.off + 8, b.len - 8 };
    p->img->nr_p2m_frames = frames;
    return 0;
}

static int rec_page_data(struct parser *p, struct save_blob b)
{
    if (!p->seen_static_end)
        return BAD_REC(p, "before STATIC_DATA_END");
    if (!p->seen_p2m)
        return BAD_REC(p, "before X86_PV_P2M_FRAMES");
    if (b.len < 8)
        return BAD_REC(p, "length %u, want at least 8", b.len);
    uint32_t count = save_le32(p->d + b.off);
    if (count == 0 || count > SAVE_BATCH_MAX)
        return BAD_REC(p, "%u entries (want 1..%u)", count, SAVE_BATCH_MAX);
    if (b.len < 8 + 8ull * count)
        return BAD_REC(p, "length %u too short for %u entries", b.len, count);
    uint32_t with_data = 0;
    for (uint32_t i = 0; i < count; i++) {
        uint64_t e = save_le64(p->d + b.off + 8 + 8ull * i);
        unsigned type = save_entry_type(e);
        if (save_entry_pfn(e) > p->img->max_pfn)
            return BAD_REC(p, "entry %u: pfn %#llx past the end (end_pfn %#x)", i,
                           (unsigned long long)save_entry_pfn(e), p->img->max_pfn);
        if (!type_known(type))
            return BAD_REC(p, "entry %u: pfn %#llx has unknown type %#x", i,
                           (unsigned long long)save_entry_pfn(e), type);
        if ((e >> 52) & 0xff)
            return BAD_REC(p, "entry %u: reserved bits set in %#llx", i, (unsigned long long)e);
        with_data += save_type_has_data(type);
    }
    uint64_t want = 8 + 8ull * count + (uint64_t)SAVE_PAGE_SIZE * with_data;
    if (b.len != want)
        return BAD_REC(p, "length %u, want %llu for %u entries, %u with data", b.len,
                       (unsigned long long)want, count, with_data);
    p->img->nr_page_records++;
    p->img->nr_page_entries += count;
    p->img->nr_pages_with_data += with_data;
    return 0;
}

static int rec_vcpu(struct parser *p, struct save_blob b)
{
    if (b.len < 8)
        return BAD_REC(p, "length %u, want at least 8", b.len);
    uint32_t id = save_le32(p->d + b.off);
    if (id >= SAVE_MAX_VCPUS)
        return BAD_REC(p, "vcpu %u: at most %u vCPUs", id, SAVE_MAX_VCPUS);
    struct save_vcpu *v = &p->img->vcpu[id];
    struct save_blob body = { b.off + 8, b.len - 8 };
    struct save_blob *slot;
    switch (p->type) {
    case SAVE_REC_X86_PV_VCPU_BASIC:
        if (body.len != SAVE_VCPU_CTX_LEN)
            return BAD_REC(p, "vcpu %u: context of %u bytes, want %u", id, body.len,
                           SAVE_VCPU_CTX_LEN);
        slot = &v->basic;
        break;
    case SAVE_REC_X86_PV_VCPU_EXTENDED:
        if (body.len > SAVE_VCPU_EXT_MAX)
            return BAD_REC(p, "vcpu %u: %u bytes, at most %u", id, body.len, SAVE_VCPU_EXT_MAX);
        slot = &v->extended;
        break;
    case SAVE_REC_X86_PV_VCPU_XSAVE:
        if (body.len && body.len < 16)
            return BAD_REC(p, "vcpu %u: %u bytes, want 0 or at least 16", id, body.len);
        slot = &v->xsave;
        break;
    default:
        if (body.len % SAVE_MSR_ENTRY_LEN)
            return BAD_REC(p, "vcpu %u: %u bytes, not a whole number of 16-byte MSR entries",
                           id, body.len);
        if (body.len > SAVE_VCPU_MSRS_MAX)
            return BAD_REC(p, "vcpu %u: %u bytes of MSR entries, at most %u", id, body.len,
                           SAVE_VCPU_MSRS_MAX);
        slot = &v->msrs;
        break;
    }
    if (p->type != SAVE_REC_X86_PV_VCPU_BASIC && !v->present)
        return BAD_REC(p, "vcpu %u: before its X86_PV_VCPU_BASIC", id);
    if (slot->off)
        return BAD_REC(p, "vcpu %u: appears twice", id);
    *slot = body;
    v->present = true;
    if (id + 1 > p->img->nr_vcpus)
        p->img->nr_vcpus = id + 1;
    return 0;
}

static int rec_fixed(struct parser *p, struct save_blob b, bool *seen, uint32_t len,
                     uint32_t unit, struct save_blob *out)
{
    if (!p->seen_info)
        return BAD_REC(p, "before X86_PV_INFO");
    if (seen && once(p, seen))
        return -1;
    if (len && b.len != len)
        return BAD_REC(p, "length %u, want %u", b.len, len);
    if (unit && b.len % unit)
        return BAD_REC(p, "length %u, not a multiple of %u", b.len, unit);
    if (out)
        *out = b;
    return 0;
}

static int rec_tsc(struct parser *p, struct save_blob b)
{
    if (rec_fixed(p, b, &p->seen_tsc, SAVE_TSC_INFO_LEN, 0, NULL))
        return -1;
    struct save_image *img = p->img;
    img->tsc_mode = save_le32(p->d + b.off);
    if (img->tsc_mode > 2)
        return BAD_REC(p, "unknown TSC mode %u", img->tsc_mode);
    img->tsc_khz = save_le32(p->d + b.off + 4);
    img->tsc_nsec = save_le64(p->d + b.off + 8);
    img->tsc_incarnation = save_le32(p->d + b.off + 16);
    img->has_tsc = true;
    return 0;
}

/* One libxc record; 1 after END. */
static int libxc_record(struct parser *p, struct save_blob b)
{
    switch (p->type) {
    case SAVE_REC_END:
        if (b.len)
            return BAD_REC(p, "length %u, want 0", b.len);
        return 1;
    case SAVE_REC_PAGE_DATA:
        return rec_page_data(p, b);
    case SAVE_REC_X86_PV_INFO:
        return rec_pv_info(p, b);
    case SAVE_REC_X86_PV_P2M_FRAMES:
        return rec_p2m_frames(p, b);
    case SAVE_REC_X86_PV_VCPU_BASIC:
    case SAVE_REC_X86_PV_VCPU_EXTENDED:
    case SAVE_REC_X86_PV_VCPU_XSAVE:
    case SAVE_REC_X86_PV_VCPU_MSRS:
        return rec_vcpu(p, b);
    case SAVE_REC_SHARED_INFO:
        return rec_fixed(p, b, &p->seen_shinfo, SAVE_PAGE_SIZE, 0, &p->img->shared_info);
    case SAVE_REC_X86_TSC_INFO:
        return rec_tsc(p, b);
    case SAVE_REC_STATIC_DATA_END:
        if (!p->seen_info)
            return BAD_REC(p, "before X86_PV_INFO");
        if (b.len)
            return BAD_REC(p, "length %u, want 0", b.len);
        return once(p, &p->seen_static_end);
    case SAVE_REC_X86_CPUID_POLICY:
        if (p->seen_static_end)
            return BAD_REC(p, "after STATIC_DATA_END");
        if (b.len > SAVE_CPUID_POLICY_MAX)
            return BAD_REC(p, "length %u exceeds %u", b.len, SAVE_CPUID_POLICY_MAX);
        return rec_fixed(p, b, &p->seen_cpuid, 0, SAVE_CPUID_ENTRY_LEN, &p->img->cpuid_policy);
    case SAVE_REC_X86_MSR_POLICY:
        if (p->seen_static_end)
            return BAD_REC(p, "after STATIC_DATA_END");
        return rec_fixed(p, b, &p->seen_msr, 0, SAVE_MSR_ENTRY_LEN, &p->img->msr_policy);
    case SAVE_REC_HVM_CONTEXT:
    case SAVE_REC_HVM_PARAMS:
        return BAD_REC(p, "an HVM record in a PV stream");
    case SAVE_REC_CHECKPOINT:
    case SAVE_REC_CHECKPOINT_DIRTY:
        return BAD_REC(p, "checkpointed (Remus/COLO) streams are not supported");
    default:
        if (p->type & SAVE_REC_OPTIONAL)
            return 0;
        return BAD_REC(p, "mandatory record of type %#x that pvshim does not know", p->type);
    }
}

static bool canonical(uint64_t va)
{
    return (uint64_t)((int64_t)(va << 16) >> 16) == va;
}

/* A selector the guest may hold: null, or not ring 0 (ring 0 is the hypervisor's). */
static bool selector_ok(uint16_t sel, bool may_be_null)
{
    if ((sel & ~3u) == 0)
        return may_be_null;
    return (sel & 3) != 0;
}

#define CTX_OFF(f) __builtin_offsetof(struct vcpu_guest_context, f)

/* A vCPU's BASIC context: what a hostile stream could put there. */
static int check_context(struct parser *p, unsigned id, struct save_blob b)
{
    const uint8_t *c = p->d + b.off;
    uint32_t max = p->img->max_pfn;
    struct { const char *name; uint64_t va; } vas[] = {
        { "rip", save_le64(c + CTX_OFF(user_regs.rip)) },
        { "rsp", save_le64(c + CTX_OFF(user_regs.rsp)) },
        { "kernel_sp", save_le64(c + CTX_OFF(kernel_sp)) },
        { "fs_base", save_le64(c + CTX_OFF(fs_base)) },
        { "gs_base_kernel", save_le64(c + CTX_OFF(gs_base_kernel)) },
        { "gs_base_user", save_le64(c + CTX_OFF(gs_base_user)) },
        { "event_callback_eip", save_le64(c + CTX_OFF(event_callback_eip)) },
        { "failsafe_callback_eip", save_le64(c + CTX_OFF(failsafe_callback_eip)) },
        { "syscall_callback_eip", save_le64(c + CTX_OFF(syscall_callback_eip)) },
        { "ldt_base", save_le64(c + CTX_OFF(ldt_base)) },
    };
    for (unsigned i = 0; i < sizeof(vas) / sizeof(vas[0]); i++)
        if (!canonical(vas[i].va))
            return BAD(p, "save stream: X86_PV_VCPU_BASIC of vcpu %u: %s %#llx is not canonical",
                       id, vas[i].name, (unsigned long long)vas[i].va);
    struct { const char *name; uint16_t sel; bool null_ok; } sels[] = {
        { "cs", save_le16(c + CTX_OFF(user_regs.cs)), false },
        { "ss", save_le16(c + CTX_OFF(user_regs.ss)), false },
        { "ds", save_le16(c + CTX_OFF(user_regs.ds)), true },
        { "es", save_le16(c + CTX_OFF(user_regs.es)), true },
        { "fs", save_le16(c + CTX_OFF(user_regs.fs)), true },
        { "gs", save_le16(c + CTX_OFF(user_regs.gs)), true },
        { "kernel_ss", (uint16_t)save_le64(c + CTX_OFF(kernel_ss)), false },
    };
    for (unsigned i = 0; i < sizeof(sels) / sizeof(sels[0]); i++)
        if (!selector_ok(sels[i].sel, sels[i].null_ok))
            return BAD(p, "save stream: X86_PV_VCPU_BASIC of vcpu %u: %s selector %#x is %s",
                       id, sels[i].name, sels[i].sel,
                       (sels[i].sel & ~3u) == 0 ? "null" : "ring 0");
    for (unsigned v = 0; v < 256; v++) {
        const uint8_t *t = c + CTX_OFF(trap_ctxt) + 16 * v;
        uint64_t addr = save_le64(t + CTX_OFF(trap_ctxt[0].address) - CTX_OFF(trap_ctxt[0]));
        uint16_t cs = save_le16(t + CTX_OFF(trap_ctxt[0].cs) - CTX_OFF(trap_ctxt[0]));
        if (!addr)
            continue;
        if (!canonical(addr) || !selector_ok(cs, false))
            return BAD(p, "save stream: X86_PV_VCPU_BASIC of vcpu %u: trap %u handler %#x:%#llx "
                       "(ring-0 or null selector, or non-canonical address)", id, v, cs,
                       (unsigned long long)addr);
    }
    uint64_t ldt_base = save_le64(c + CTX_OFF(ldt_base));
    uint64_t ldt_ents = save_le64(c + CTX_OFF(ldt_ents));
    if ((ldt_base & (SAVE_PAGE_SIZE - 1)) || ldt_ents > 8192)
        return BAD(p, "save stream: X86_PV_VCPU_BASIC of vcpu %u: LDT %#llx with %llu entries",
                   id, (unsigned long long)ldt_base, (unsigned long long)ldt_ents);
    uint64_t gdt_ents = save_le64(c + CTX_OFF(gdt_ents));
    if (gdt_ents > SAVE_GDT_ENTS_MAX)
        return BAD(p, "save stream: X86_PV_VCPU_BASIC of vcpu %u: gdt_ents %llu exceeds %u", id,
                   (unsigned long long)gdt_ents, SAVE_GDT_ENTS_MAX);
    for (unsigned i = 0; i < (gdt_ents + 511) / 512; i++) {
        uint64_t f = save_le64(c + CTX_OFF(gdt_frames) + 8 * i);
        if (f > max)
            return BAD(p, "save stream: X86_PV_VCPU_BASIC of vcpu %u: GDT frame %u is pfn "
                       "%#llx, past the end (end_pfn %#x)", id, i, (unsigned long long)f, max);
    }
    uint64_t cr3 = save_le64(c + CTX_OFF(ctrlreg) + 8 * 3);
    uint64_t cr1 = save_le64(c + CTX_OFF(ctrlreg) + 8 * 1);
    if ((cr3 >> 12) > max || (cr3 & 0xfff))
        return BAD(p, "save stream: X86_PV_VCPU_BASIC of vcpu %u: cr3 %#llx is not a pfn "
                   "within end_pfn %#x", id, (unsigned long long)cr3, max);
    if (cr1 && (!(cr1 & 1) || (cr1 >> 12) > max || (cr1 & 0xffe)))
        return BAD(p, "save stream: X86_PV_VCPU_BASIC of vcpu %u: user cr3 %#llx is not a pfn "
                   "within end_pfn %#x", id, (unsigned long long)cr1, max);
    if (id == 0) {
        uint64_t si = save_le64(c + CTX_OFF(user_regs.rdx));
        if (si > max)
            return BAD(p, "save stream: X86_PV_VCPU_BASIC of vcpu 0: start_info pfn %#llx (rdx) "
                       "past the end (end_pfn %#x)", (unsigned long long)si, max);
    }
    return 0;
}

/* The libxc stream from off: headers, records to END; *end past END. */
static int parse_libxc(struct parser *p, uint64_t off, uint64_t *end)
{
    struct save_image *img = p->img;
    if (p->len - off < SAVE_IHDR_LEN + SAVE_DHDR_LEN)
        return BAD(p, "save stream: libxc headers at offset %#llx: truncated",
                   (unsigned long long)off);
    const uint8_t *h = p->d + off;
    if (be(h, 8) != SAVE_IHDR_MARKER || be(h + 8, 4) != SAVE_IHDR_ID)
        return BAD(p, "save stream: libxc image header at offset %#llx: bad marker or id",
                   (unsigned long long)off);
    img->version = (uint32_t)be(h + 12, 4);
    if (img->version < 2 || img->version > 3)
        return BAD(p, "save stream: libxc image header: version %u (want 2 or 3)", img->version);
    if (be(h + 16, 2) & 1)
        return BAD(p, "save stream: libxc image header: big-endian streams are not supported");
    const uint8_t *dh = h + SAVE_IHDR_LEN;
    if (save_le32(dh) != SAVE_DHDR_X86_PV)
        return BAD(p, "save stream: libxc domain header: type %u is not x86 PV (1)", save_le32(dh));
    if (save_le16(dh + 4) != 12)
        return BAD(p, "save stream: libxc domain header: page_shift %u (want 12)", save_le16(dh + 4));
    img->xen_major = save_le32(dh + 8);
    img->xen_minor = save_le32(dh + 12);
    off += SAVE_IHDR_LEN + SAVE_DHDR_LEN;
    img->libxc_start = off;
    /* v2 has no STATIC_DATA_END: Xen infers it at the first memory record. */
    for (;;) {
        struct save_blob b;
        p->off = off;
        if (next_record(p, &off, &p->type, &b, "libxc"))
            return -1;
        p->recno++;
        if (img->version == 2 && !p->seen_static_end && p->seen_info &&
            (p->type == SAVE_REC_X86_PV_P2M_FRAMES || p->type == SAVE_REC_PAGE_DATA))
            p->seen_static_end = true;
        if (p->type != SAVE_REC_X86_PV_INFO && !p->seen_info && p->type != SAVE_REC_END &&
            !(p->type & SAVE_REC_OPTIONAL))
            return BAD_REC(p, "before X86_PV_INFO");
        int rc = libxc_record(p, b);
        if (rc < 0)
            return -1;
        if (rc == 1)
            break;
    }
    *end = off;
    img->libxc_end = off;
    p->type = SAVE_REC_END;
    if (!p->seen_info || !p->seen_p2m)
        return BAD_REC(p, "the stream has no %s", p->seen_info ? "X86_PV_P2M_FRAMES" : "X86_PV_INFO");
    if (!img->shared_info.len)
        return BAD_REC(p, "the stream has no SHARED_INFO");
    if (!img->nr_page_records)
        return BAD_REC(p, "the stream has no PAGE_DATA");
    if (!img->vcpu[0].basic.len)
        return BAD_REC(p, "the stream has no X86_PV_VCPU_BASIC for vcpu 0");
    for (unsigned i = 0; i < img->nr_vcpus; i++)
        if (img->vcpu[i].present && check_context(p, i, img->vcpu[i].basic))
            return -1;
    return 0;
}

static bool json_space(uint8_t c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/*
 * The xl config's "max_vcpus" (libxl's b_info writes it once, a JSON
 * number): 0 when absent or not a number of at most 3 digits.
 */
static unsigned config_max_vcpus(const uint8_t *cfg, uint32_t len)
{
    static const char key[] = "\"max_vcpus\"";
    const uint32_t klen = sizeof(key) - 1;
    for (uint32_t i = 0; len >= klen && i <= len - klen; i++) {
        if (memcmp(cfg + i, key, klen))
            continue;
        uint32_t j = i + klen;
        while (j < len && json_space(cfg[j]))
            j++;
        if (j >= len || cfg[j++] != ':')
            return 0;
        while (j < len && json_space(cfg[j]))
            j++;
        unsigned n = 0, digits = 0;
        for (; j < len && cfg[j] >= '0' && cfg[j] <= '9' && digits < 4; j++, digits++)
            n = n * 10 + (unsigned)(cfg[j] - '0');
        return digits >= 1 && digits <= 3 ? n : 0;
    }
    return 0;
}

/* The xl header and the libxl stream around the libxc one. */
static int parse_xl(struct parser *p)
{
    struct save_image *img = p->img;
    const uint8_t *d = p->d;
    if (p->len < SAVE_XL_HEADER_LEN)
        return BAD(p, "save file: xl header truncated (%llu bytes)", (unsigned long long)p->len);
    if (save_le32(d + 32) != SAVE_XL_BYTEORDER)
        return BAD(p, "save file: xl header: byte order %#x (want %#x, little-endian)",
                   save_le32(d + 32), SAVE_XL_BYTEORDER);
    img->xl_mandatory_flags = save_le32(d + 36);
    if (img->xl_mandatory_flags & ~(SAVE_XL_FLAG_JSON | SAVE_XL_FLAG_STREAMV2))
        return BAD(p, "save file: xl header: unknown mandatory flags %#x", img->xl_mandatory_flags);
    if (!(img->xl_mandatory_flags & SAVE_XL_FLAG_STREAMV2))
        return BAD(p, "save file: xl header: a legacy (pre-4.6) stream, not supported");
    uint32_t optlen = save_le32(d + 44);
    if (optlen > p->len - SAVE_XL_HEADER_LEN)
        return BAD(p, "save file: xl header: optional data of %u bytes runs past the end", optlen);
    if (img->xl_mandatory_flags & SAVE_XL_FLAG_JSON) {
        uint32_t cfg = optlen >= 4 ? save_le32(d + SAVE_XL_HEADER_LEN) : 0;
        if (optlen < 4 || cfg > optlen - 4)
            return BAD(p, "save file: xl header: config of %u bytes does not fit its %u bytes "
                       "of optional data", cfg, optlen);
        img->xl_config = (struct save_blob){ SAVE_XL_HEADER_LEN + 4, cfg };
        img->config_max_vcpus = config_max_vcpus(d + SAVE_XL_HEADER_LEN + 4, cfg);
    }
    uint64_t off = SAVE_XL_HEADER_LEN + (uint64_t)optlen;
    if (p->len - off < SAVE_LIBXL_HEADER_LEN)
        return BAD(p, "save file: libxl header at offset %#llx: truncated", (unsigned long long)off);
    if (be(d + off, 8) != SAVE_LIBXL_IDENT)
        return BAD(p, "save file: libxl header at offset %#llx: no \"LibxlFmt\"",
                   (unsigned long long)off);
    if (be(d + off + 8, 4) != SAVE_LIBXL_VERSION || be(d + off + 12, 4) != 0)
        return BAD(p, "save file: libxl header: version %u options %#x (want version 2, options 0)",
                   (unsigned)be(d + off + 8, 4), (unsigned)be(d + off + 12, 4));
    off += SAVE_LIBXL_HEADER_LEN;
    bool seen_libxc = false;
    for (;;) {
        uint32_t type;
        struct save_blob b;
        uint64_t at = off;
        if (next_record(p, &off, &type, &b, "libxl"))
            return -1;
        switch (type) {
        case LIBXL_REC_END:
            if (!seen_libxc)
                return BAD(p, "save file: libxl END at offset %#llx before any libxc stream",
                           (unsigned long long)at);
            return 0;
        case LIBXL_REC_LIBXC_CONTEXT:
            if (seen_libxc)
                return BAD(p, "save file: a second LIBXC_CONTEXT at offset %#llx",
                           (unsigned long long)at);
            if (b.len)
                return BAD(p, "save file: LIBXC_CONTEXT at offset %#llx has length %u (want 0)",
                           (unsigned long long)at, b.len);
            seen_libxc = true;
            if (parse_libxc(p, off, &off))
                return -1;
            break;
        default:
            if (type & SAVE_REC_OPTIONAL)
                break;
            return BAD(p, "save file: libxl record type %#x at offset %#llx (%s) is not "
                       "supported for a PV domain", type, (unsigned long long)at,
                       type == LIBXL_REC_EMULATOR_XENSTORE || type == LIBXL_REC_EMULATOR_CONTEXT ?
                       "device-model state" : type == LIBXL_REC_CHECKPOINT_END ||
                       type == LIBXL_REC_CHECKPOINT_STATE ? "checkpointing" : "unknown");
        }
    }
}

int save_stream_parse(const void *data, uint64_t len, struct save_image *img,
                      char *err, size_t errlen)
{
    struct parser p = { .d = data, .len = len, .img = img, .err = err, .errlen = errlen };
    memset(img, 0, sizeof(*img));
    if (!save_stream_is(data, len))
        return BAD(&p, "save file: neither the xl magic nor a libxc image header");
    if (len >= SAVE_XL_MAGIC_LEN && memcmp(data, SAVE_XL_MAGIC, SAVE_XL_MAGIC_LEN) == 0) {
        img->xl_header = true;
        return parse_xl(&p);
    }
    uint64_t end;
    return parse_libxc(&p, 0, &end);
}

bool save_next_page_batch(const void *data, const struct save_image *img,
                          uint64_t *cursor, struct save_page_batch *batch)
{
    const uint8_t *d = data;
    /* The file was checked: every record up to libxc_end is whole. */
    while (*cursor < img->libxc_end) {
        uint32_t type = save_le32(d + *cursor), length = save_le32(d + *cursor + 4);
        uint64_t body = *cursor + SAVE_REC_HDR_LEN;
        *cursor = body + (((uint64_t)length + SAVE_REC_ALIGN - 1) & ~(uint64_t)(SAVE_REC_ALIGN - 1));
        if (type != SAVE_REC_PAGE_DATA)
            continue;
        batch->count = save_le32(d + body);
        batch->pfn_info = d + body + 8;
        batch->data = batch->pfn_info + 8ull * batch->count;
        return true;
    }
    return false;
}

uint64_t save_batch_entry(const struct save_page_batch *b, uint32_t i)
{
    return save_le64(b->pfn_info + 8ull * i);
}
