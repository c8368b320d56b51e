/*
 * Xen ELF notes (owner "Xen", public/elfnote.h), read from PT_NOTE
 * segments and, only when those hold no Xen note, from SHT_NOTE sections,
 * as Xen's libelf does. Each note type keeps libelf's meaning; the
 * differences are stricter refusals of malformed notes, which libelf
 * reads past or turns into zero.
 */
#include <pvshim/string.h>
#include <pvshim/xen_abi.h>
#include "loader.h"
#include "elf_defs.h"

#ifndef XEN_ELFNOTE_PHYS32_RELOC
#define XEN_ELFNOTE_PHYS32_RELOC 19     /* newer than some system headers */
#endif

struct note {
    uint32_t type;
    const uint8_t *desc;
    uint32_t descsz;
};

static const char *const note_names[] = {
    [XEN_ELFNOTE_INFO] = "INFO",
    [XEN_ELFNOTE_ENTRY] = "ENTRY",
    [XEN_ELFNOTE_HYPERCALL_PAGE] = "HYPERCALL_PAGE",
    [XEN_ELFNOTE_VIRT_BASE] = "VIRT_BASE",
    [XEN_ELFNOTE_PADDR_OFFSET] = "PADDR_OFFSET",
    [XEN_ELFNOTE_XEN_VERSION] = "XEN_VERSION",
    [XEN_ELFNOTE_GUEST_OS] = "GUEST_OS",
    [XEN_ELFNOTE_GUEST_VERSION] = "GUEST_VERSION",
    [XEN_ELFNOTE_LOADER] = "LOADER",
    [XEN_ELFNOTE_PAE_MODE] = "PAE_MODE",
    [XEN_ELFNOTE_FEATURES] = "FEATURES",
    [XEN_ELFNOTE_BSD_SYMTAB] = "BSD_SYMTAB",
    [XEN_ELFNOTE_HV_START_LOW] = "HV_START_LOW",
    [XEN_ELFNOTE_L1_MFN_VALID] = "L1_MFN_VALID",
    [XEN_ELFNOTE_SUSPEND_CANCEL] = "SUSPEND_CANCEL",
    [XEN_ELFNOTE_INIT_P2M] = "INIT_P2M",
    [XEN_ELFNOTE_MOD_START_PFN] = "MOD_START_PFN",
    [XEN_ELFNOTE_SUPPORTED_FEATURES] = "SUPPORTED_FEATURES",
    [XEN_ELFNOTE_PHYS32_ENTRY] = "PHYS32_ENTRY",
    [XEN_ELFNOTE_PHYS32_RELOC] = "PHYS32_RELOC",
};

static uint64_t read_le(const uint8_t *p, unsigned size)
{
    uint64_t v = 0;
    for (unsigned i = size; i-- > 0;)
        v = v << 8 | p[i];
    return v;
}

/* libelf reads numeric notes of 1, 2, 4 or 8 bytes; anything else is malformed. */
static int note_number(const struct note *n, uint64_t *v, struct loader_err *e)
{
    switch (n->descsz) {
    case 1: case 2: case 4: case 8:
        *v = read_le(n->desc, n->descsz);
        return 0;
    default:
        return loader_fail(e, "Xen ELF note %s has a %u-byte value (expected 1, 2, 4 or 8)",
                           note_names[n->type], n->descsz);
    }
}

/* The string a note carries: up to its NUL, never beyond the note. */
static size_t note_strlen(const struct note *n)
{
    return strnlen((const char *)n->desc, n->descsz);
}

static bool note_str_is(const struct note *n, const char *s)
{
    size_t len = note_strlen(n);
    return len == strlen(s) && memcmp(n->desc, s, len) == 0;
}

static bool note_str_contains(const struct note *n, const char *s)
{
    size_t len = note_strlen(n), sl = strlen(s);
    for (size_t i = 0; i + sl <= len; i++)
        if (memcmp(n->desc + i, s, sl) == 0)
            return true;
    return false;
}

static void note_copy_str(const struct note *n, char *dst, size_t cap)
{
    size_t len = note_strlen(n);
    if (len > cap - 1)
        len = cap - 1;
    memcpy(dst, n->desc, len);
    dst[len] = '\0';
}

/*
 * L1_MFN_VALID: maddr_t-sized (8-byte) mask/value pairs. A non-PAE 32-bit
 * kernel writes 4-byte pairs; accept that shape so the refusal names the
 * real problem (no PAE) later. Only the first pair is kept.
 */
static int note_l1_mfn_valid(const struct note *n, struct xen_parse *xp, struct loader_err *e)
{
    struct xen_guest_params *p = xp->p;
    if (n->descsz >= 16 && n->descsz % 16 == 0) {
        p->l1_mfn_valid_mask = read_le(n->desc, 8);
        p->l1_mfn_valid_value = read_le(n->desc + 8, 8);
    } else if (xp->elf_class == 32 && n->descsz == 8) {
        p->l1_mfn_valid_mask = read_le(n->desc, 4);
        p->l1_mfn_valid_value = read_le(n->desc + 4, 4);
    } else {
        return loader_fail(e, "Xen ELF note L1_MFN_VALID has %u bytes, not mask/value pairs",
                           n->descsz);
    }
    p->has_l1_mfn_valid = true;
    return 0;
}

static bool is_numeric(uint32_t type)
{
    switch (type) {
    case XEN_ELFNOTE_ENTRY: case XEN_ELFNOTE_HYPERCALL_PAGE: case XEN_ELFNOTE_VIRT_BASE:
    case XEN_ELFNOTE_INIT_P2M: case XEN_ELFNOTE_PADDR_OFFSET: case XEN_ELFNOTE_HV_START_LOW:
    case XEN_ELFNOTE_SUSPEND_CANCEL: case XEN_ELFNOTE_MOD_START_PFN:
    case XEN_ELFNOTE_PHYS32_ENTRY:
        return true;
    default:
        return false;
    }
}

static int apply_note(const struct note *n, struct xen_parse *xp, struct loader_err *e)
{
    struct xen_guest_params *p = xp->p;
    uint64_t v = 0;

    if (is_numeric(n->type) && note_number(n, &v, e))
        return -1;

    switch (n->type) {
    case XEN_ELFNOTE_ENTRY:
        p->virt_entry = v;
        xp->entry_set = true;
        break;
    case XEN_ELFNOTE_HYPERCALL_PAGE:
        p->virt_hypercall = v;
        p->has_hypercall_page = true;
        break;
    case XEN_ELFNOTE_VIRT_BASE:
        p->virt_base = v;
        xp->virt_base_set = true;
        break;
    case XEN_ELFNOTE_PADDR_OFFSET:
        p->paddr_offset = v;
        xp->paddr_offset_set = true;
        break;
    case XEN_ELFNOTE_INIT_P2M:
        p->virt_init_p2m = v;
        p->has_init_p2m = true;
        break;
    case XEN_ELFNOTE_HV_START_LOW:
        p->hv_start_low = v;
        p->has_hv_start_low = true;
        break;
    case XEN_ELFNOTE_SUSPEND_CANCEL:
        p->suspend_cancel = v != 0;
        break;
    case XEN_ELFNOTE_MOD_START_PFN:
        p->mod_start_pfn = v != 0;
        break;
    case XEN_ELFNOTE_PHYS32_ENTRY:
        p->phys32_entry = v;
        p->has_phys32_entry = true;
        break;

    case XEN_ELFNOTE_XEN_VERSION:
        note_copy_str(n, p->xen_version, sizeof(p->xen_version));
        break;
    case XEN_ELFNOTE_GUEST_OS:
        note_copy_str(n, p->guest_os, sizeof(p->guest_os));
        break;
    case XEN_ELFNOTE_GUEST_VERSION:
        note_copy_str(n, p->guest_version, sizeof(p->guest_version));
        break;
    case XEN_ELFNOTE_LOADER:
        note_copy_str(n, p->loader, sizeof(p->loader));
        break;
    case XEN_ELFNOTE_PAE_MODE:
        /* In notes, "yes" means extended-cr3 capable (elfnote.h); others keep the mode. */
        if (note_str_is(n, "yes"))
            p->pae = GUEST_PAE_EXTENDED_CR3;
        if (note_str_contains(n, "bimodal"))
            p->pae = GUEST_PAE_BIMODAL;
        break;
    case XEN_ELFNOTE_BSD_SYMTAB:
        if (note_str_is(n, "yes"))
            p->bsd_symtab = true;
        break;
    case XEN_ELFNOTE_FEATURES:
        return xen_features_parse((const char *)n->desc, note_strlen(n),
                                  p->features_supported, p->features_required, e);
    case XEN_ELFNOTE_SUPPORTED_FEATURES:
        if (n->descsz == 0 || n->descsz % 4 != 0)
            return loader_fail(e, "Xen ELF note SUPPORTED_FEATURES has %u bytes, "
                               "not 32-bit words", n->descsz);
        for (unsigned w = 0; w < GUEST_FEATURE_WORDS && w < n->descsz / 4; w++)
            p->features_supported[w] |= (uint32_t)read_le(n->desc + 4 * w, 4);
        break;
    case XEN_ELFNOTE_L1_MFN_VALID:
        return note_l1_mfn_valid(n, xp, e);
    default:
        /* INFO, PHYS32_RELOC (PVH only), crash and dump-core notes: not for us. */
        break;
    }
    return 0;
}

static bool owner_is_xen(const uint8_t *name, uint32_t namesz)
{
    return namesz >= 3 && strnlen((const char *)name, namesz) == 3 &&
           memcmp(name, "Xen", 3) == 0;
}

/* Notes whose value is a NUL-terminated string. */
static bool is_string(uint32_t type)
{
    switch (type) {
    case XEN_ELFNOTE_XEN_VERSION: case XEN_ELFNOTE_GUEST_OS: case XEN_ELFNOTE_GUEST_VERSION:
    case XEN_ELFNOTE_LOADER: case XEN_ELFNOTE_PAE_MODE: case XEN_ELFNOTE_BSD_SYMTAB:
    case XEN_ELFNOTE_FEATURES:
        return true;
    default:
        return false;
    }
}

static int past_end(struct loader_err *e, uint64_t off, const char *what, unsigned idx)
{
    return loader_fail(e, "malformed ELF note at offset 0x%llx of %s %u: "
                       "it extends past the end of the %s",
                       (unsigned long long)off, what, idx, what);
}

/*
 * Walk the notes in data[start, start+len) (already inside the file);
 * what names the container in messages. Returns the number of Xen notes.
 */
static int parse_note_area(const struct elf_file *f, uint64_t start, uint64_t len,
                           const char *what, unsigned idx, struct xen_parse *xp,
                           struct loader_err *e)
{
    const uint8_t *area = f->data + start;
    uint64_t off = 0;
    int found = 0;

    /* Each note takes at least a header, which bounds the loop by len / 12. */
    while (off <= len && len - off >= ELF_NHDR_SIZE) {
        uint32_t namesz = rd32(area + off);
        uint32_t descsz = rd32(area + off + 4);
        uint32_t type = rd32(area + off + 8);
        uint64_t name_off = off + ELF_NHDR_SIZE;
        uint64_t desc_off = name_off + ALIGN_UP((uint64_t)namesz, 4);
        if (!range_ok(name_off, namesz, len) || desc_off > len)
            return past_end(e, off, what, idx);
        /*
         * A descriptor running past the area (GRUB's i386-xen PAE_MODE
         * declares 12 bytes and writes "yes\0") is cut at the area's end:
         * a string note still reads up to its NUL, nothing else may be cut.
         */
        bool cut = !range_ok(desc_off, descsz, len);
        if (cut)
            descsz = (uint32_t)(len - desc_off);
        if (owner_is_xen(area + name_off, namesz)) {
            struct note n = { type, area + desc_off, descsz };
            bool known = type < ARRAY_SIZE(note_names) && note_names[type];
            if (cut && (!is_string(type) || note_strlen(&n) == descsz))
                return past_end(e, off, what, idx);
            if (known && apply_note(&n, xp, e))
                return -1;
            found++;
        }
        if (cut)
            break;
        off = desc_off + ALIGN_UP((uint64_t)descsz, 4);
    }
    return found;
}

int xen_notes_parse(const struct elf_file *f, struct xen_parse *xp, struct loader_err *e)
{
    int total = 0;

    for (unsigned i = 0; i < f->phnum; i++) {
        struct elf_phdr ph;
        elf_phdr_get(f, i, &ph);
        /* Some binutils leave p_offset 0 in note segments; libelf skips them. */
        if (ph.type != ELF_PT_NOTE || ph.offset == 0)
            continue;
        if (!range_ok(ph.offset, ph.filesz, f->size))
            return loader_fail(e, "truncated ELF: note segment %u beyond end of file", i);
        int n = parse_note_area(f, ph.offset, ph.filesz, "segment", i, xp, e);
        if (n < 0)
            return -1;
        total += n;
    }
    if (total > 0)
        return total;

    for (unsigned i = 1; i < f->shnum; i++) {
        struct elf_shdr sh;
        elf_shdr_get(f, i, &sh);
        if (sh.type != ELF_SHT_NOTE)
            continue;
        if (!range_ok(sh.offset, sh.size, f->size))
            return loader_fail(e, "truncated ELF: note section %u beyond end of file", i);
        int n = parse_note_area(f, sh.offset, sh.size, "section", i, xp, e);
        if (n < 0)
            return -1;
        total += n;
    }
    return total;
}
