/*
 * XEN_ELFNOTE_BSD_SYMTAB, as Xen 4.17's PV builders honour it. The
 * contract with the guest (guest-virtual, W = 8 for ELF64, 4 for ELF32):
 *
 *   P = kernel end rounded up to W       u32: bytes from P+4 to the strtab's end
 *   P+4                                  the kernel's ELF header, with e_shoff 64,
 *                                        e_shnum 3, e_shentsize/e_ehsize of the
 *                                        class, e_version 1, e_ph* and e_shstrndx 0
 *   P+4+64                               three section headers of the class:
 *                                        [0] zero, [1] symtab (sh_link 2),
 *                                        [2] strtab; sh_offset relative to P+4
 *   S = round_up(P+4+64+3*64, W)         the symbol table
 *   T = round_up(S+symtab size, W)       the string table
 *
 * The header area is sized for the larger class whatever the kernel's
 * class, so a 32-bit kernel sees a gap before S (zero here). virt_kend
 * covers Xen's reservation (P plus the word-rounded sum of the size
 * word, the header and both tables) and at least everything written.
 *
 * The symtab is the first SHT_SYMTAB section. With none, with its
 * sh_link 0 or out of range, or linking to a section that is not
 * SHT_STRTAB, Xen loads nothing (only logging a "broken ELF" warning) and
 * the kernel keeps its end; so here. Tables outside the file are refused.
 */
#include <pvshim/string.h>
#include "loader.h"
#include "elf_defs.h"

#define BSD_HDR_OFF         4           /* the ELF header follows the size word */
#define BSD_EHDR_ROOM       64          /* room for either class's ELF header */
#define BSD_SHDR_ROOM       64          /* per section header, in the layout sums */
#define BSD_NR_SECTIONS     3
#define BSD_SYM_INDEX       1
#define BSD_STR_INDEX       2
/* Size word + ELF header room + three section headers of the larger class. */
#define BSD_HEADER_AREA     (BSD_HDR_OFF + BSD_EHDR_ROOM + BSD_NR_SECTIONS * BSD_SHDR_ROOM)

typedef unsigned long long ull;

static uint64_t round_w(uint64_t v, unsigned cls)
{
    return ALIGN_UP(v, cls == 64 ? 8u : 4u);
}

static unsigned shdr_size(unsigned cls) { return cls == 64 ? ELF64_SHDR_SIZE : ELF32_SHDR_SIZE; }
static unsigned ehdr_size(unsigned cls) { return cls == 64 ? ELF64_EHDR_SIZE : ELF32_EHDR_SIZE; }

static uint32_t shdr_link(const struct elf_file *f, unsigned i)
{
    return rd32(f->data + f->shoff + (uint64_t)i * f->shentsize + (f->cls == 64 ? 40 : 24));
}

/* Guest addresses of the symtab and strtab for a blob at P. */
static uint64_t sym_base(uint64_t p, unsigned cls) { return round_w(p + BSD_HEADER_AREA, cls); }
static uint64_t str_base(uint64_t p, const struct guest_bsd_symtab *b, unsigned cls)
{
    return round_w(sym_base(p, cls) + b->sym_size, cls);
}

int bsd_symtab_place(const struct elf_file *f, struct guest_image *img, uint64_t kend,
                     struct loader_err *e)
{
    struct guest_bsd_symtab *b = &img->symtab;
    memset(b, 0, sizeof(*b));
    if (!img->xen.bsd_symtab)
        return 0;

    unsigned sym = f->shnum;
    for (unsigned i = 0; i < f->shnum; i++) {
        struct elf_shdr sh;
        elf_shdr_get(f, i, &sh);
        if (sh.type == ELF_SHT_SYMTAB) {
            sym = i;
            break;
        }
    }
    if (sym == f->shnum)
        return 0;       /* Xen warns ("broken ELF") and boots it without */
    uint32_t link = shdr_link(f, sym);
    if (link == ELF_SHN_UNDEF || link >= f->shnum)
        return 0;       /* Xen then has no symtab either: the same warning */

    struct elf_shdr symh, strh;
    elf_shdr_get(f, sym, &symh);
    elf_shdr_get(f, link, &strh);
    if (strh.type != ELF_SHT_STRTAB)
        return 0;       /* Xen loads nothing and keeps the kernel's end */
    if (!range_ok(symh.offset, symh.size, f->size))
        return loader_fail(e, "BSD_SYMTAB: symbol table section %u (offset 0x%llx, size "
                           "0x%llx) lies outside the %zu-byte ELF", sym, (ull)symh.offset,
                           (ull)symh.size, f->size);
    if (!range_ok(strh.offset, strh.size, f->size))
        return loader_fail(e, "BSD_SYMTAB: string table section %u (offset 0x%llx, size "
                           "0x%llx) lies outside the %zu-byte ELF", link, (ull)strh.offset,
                           (ull)strh.size, f->size);

    b->sym_shdr = f->shoff + (uint64_t)sym * f->shentsize;
    b->str_shdr = f->shoff + (uint64_t)link * f->shentsize;
    b->sym_off = symh.offset;
    b->sym_size = symh.size;
    b->str_off = strh.offset;
    b->str_size = strh.size;

    /* Sizes are bounded by the file, so only the addresses can wrap. */
    uint64_t room = BSD_HEADER_AREA + 16 + symh.size + strh.size + PAGE_SIZE;
    if (kend > UINT64_MAX - room)
        return loader_fail(e, "BSD_SYMTAB: the symbol tables would wrap around the end of "
                           "the address space");
    unsigned cls = f->cls;
    uint64_t p = round_w(kend, cls);
    uint64_t sz = round_w(BSD_HDR_OFF + BSD_HDR_OFF + BSD_EHDR_ROOM +
                          BSD_NR_SECTIONS * shdr_size(cls), cls);
    sz = round_w(round_w(sz + symh.size, cls) + strh.size, cls);
    uint64_t written = str_base(p, b, cls) + strh.size;
    b->vstart = p;
    b->vend = MAX(p + sz, written);
    if (cls == 32 && b->vend > UINT32_MAX)
        return loader_fail(e, "BSD_SYMTAB: the symbol tables end at 0x%llx, beyond 4 GiB",
                           (ull)b->vend);
    b->present = true;
    img->virt_kend = ALIGN_UP(b->vend, PAGE_SIZE);
    return 0;
}

static void wr16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static void wr32(uint8_t *p, uint32_t v) { wr16(p, (uint16_t)v); wr16(p + 2, (uint16_t)(v >> 16)); }
static void wr64(uint8_t *p, uint64_t v) { wr32(p, (uint32_t)v); wr32(p + 4, (uint32_t)(v >> 32)); }

/* Write an address-sized field: 64-bit in ELF64, 32-bit in ELF32. */
static void wr_addr(uint8_t *p, uint64_t v, unsigned cls)
{
    if (cls == 64)
        wr64(p, v);
    else
        wr32(p, (uint32_t)v);
}

static void fix_ehdr(uint8_t *h, unsigned cls)
{
    bool is64 = cls == 64;
    wr32(h + 20, ELF_EV_CURRENT);                                   /* e_version */
    wr_addr(h + (is64 ? 32 : 28), 0, cls);                          /* e_phoff */
    wr_addr(h + (is64 ? 40 : 32), BSD_EHDR_ROOM, cls);              /* e_shoff */
    unsigned base = is64 ? 52 : 40;                                 /* e_ehsize.. */
    wr16(h + base, (uint16_t)ehdr_size(cls));                       /* e_ehsize */
    wr16(h + base + 2, 0);                                          /* e_phentsize */
    wr16(h + base + 4, 0);                                          /* e_phnum */
    wr16(h + base + 6, (uint16_t)shdr_size(cls));                   /* e_shentsize */
    wr16(h + base + 8, BSD_NR_SECTIONS);                            /* e_shnum */
    wr16(h + base + 10, 0);                                         /* e_shstrndx */
}

int guest_bsd_symtab_write(const struct guest_image *img, guest_put_fn put, void *ctx)
{
    const struct guest_bsd_symtab *b = &img->symtab;
    if (!b->present)
        return 0;
    unsigned cls = img->elf_class;
    unsigned shsz = shdr_size(cls);
    uint64_t p = b->vstart, hdr = p + BSD_HDR_OFF;
    uint64_t s = sym_base(p, cls), t = str_base(p, b, cls);

    uint8_t blob[BSD_HEADER_AREA];
    memset(blob, 0, sizeof(blob));
    wr32(blob, (uint32_t)(t + b->str_size - hdr));
    uint8_t *eh = blob + BSD_HDR_OFF;
    memcpy(eh, img->elf, ehdr_size(cls));
    fix_ehdr(eh, cls);

    uint8_t *sh = eh + BSD_EHDR_ROOM;
    uint8_t *symh = sh + BSD_SYM_INDEX * shsz, *strh = sh + BSD_STR_INDEX * shsz;
    memcpy(symh, img->elf + b->sym_shdr, shsz);
    memcpy(strh, img->elf + b->str_shdr, shsz);
    wr_addr(symh + (cls == 64 ? 24 : 16), s - hdr, cls);            /* sh_offset */
    wr32(symh + (cls == 64 ? 40 : 24), BSD_STR_INDEX);              /* sh_link */
    wr_addr(strh + (cls == 64 ? 24 : 16), t - hdr, cls);            /* sh_offset */

    size_t used = BSD_HDR_OFF + BSD_EHDR_ROOM + BSD_NR_SECTIONS * shsz;
    int rc = put(ctx, p, blob, used);
    if (!rc)
        rc = put(ctx, s, img->elf + b->sym_off, b->sym_size);
    if (!rc)
        rc = put(ctx, t, img->elf + b->str_off, b->str_size);
    return rc;
}
