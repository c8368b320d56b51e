/*
 * XEN_ELFNOTE_BSD_SYMTAB: where the symbol and string tables go after the
 * kernel, what the guest finds there (size word, rewritten ELF header,
 * three section headers, the tables), for both ELF classes; and malformed
 * section tables, which are refused or ignored as Xen does, never read
 * out of bounds.
 */
#include <string.h>
#include "unit.h"
#include "../../shim/loader/loader.h"

#define SYM_OFF     0x100
#define STR_OFF     0x200
#define SH_OFF      0x300
#define FILE_SIZE   (SH_OFF + 4 * 64)
#define KEND        0x400123ull

static uint8_t elf[FILE_SIZE];
static const char strtab[] = "\0foo\0bar";          /* 9 bytes with the final NUL */

static void w16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static void w32(uint8_t *p, uint32_t v) { w16(p, (uint16_t)v); w16(p + 2, (uint16_t)(v >> 16)); }
static void w64(uint8_t *p, uint64_t v) { w32(p, (uint32_t)v); w32(p + 4, (uint32_t)(v >> 32)); }
static uint16_t g16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t g32(const uint8_t *p) { return g16(p) | (uint32_t)g16(p + 2) << 16; }
static uint64_t g64(const uint8_t *p) { return g32(p) | (uint64_t)g32(p + 4) << 32; }

static unsigned shsz(unsigned cls) { return cls == 64 ? 64 : 40; }
static unsigned symsz(unsigned cls) { return cls == 64 ? 72 : 48; }   /* three symbols */

/* Section header i: type, link, offset, size, in the class's layout. */
static void set_shdr(unsigned cls, unsigned i, uint32_t type, uint32_t link, uint64_t off,
                     uint64_t size)
{
    uint8_t *p = elf + SH_OFF + i * shsz(cls);
    memset(p, 0, shsz(cls));
    w32(p + 4, type);
    if (cls == 64) {
        w64(p + 24, off);
        w64(p + 32, size);
        w32(p + 40, link);
        w64(p + 48, 8);                 /* sh_addralign, copied as is */
        w64(p + 56, 24);                /* sh_entsize */
    } else {
        w32(p + 16, off);
        w32(p + 20, size);
        w32(p + 24, link);
        w32(p + 32, 4);
        w32(p + 36, 16);
    }
}

/*
 * An executable with one PT_LOAD and sections [0] null, [1] strtab,
 * [2] symtab linking to 1 (so the guest's copy must relink it to 2),
 * [3] a PROGBITS section.
 */
static void craft(unsigned cls)
{
    memset(elf, 0, sizeof(elf));
    memcpy(elf, "\177ELF", 4);
    elf[4] = cls == 64 ? 2 : 1;
    elf[5] = 1;
    elf[6] = 1;
    w16(elf + 16, 2);
    w16(elf + 18, cls == 64 ? 62 : 3);
    w32(elf + 20, 1);
    if (cls == 64) {
        w64(elf + 24, 0x400000);
        w64(elf + 32, 64);              /* e_phoff */
        w64(elf + 40, SH_OFF);
        w16(elf + 52, 64);
        w16(elf + 54, 56);
        w16(elf + 56, 1);
        w16(elf + 58, 64);
        w16(elf + 60, 4);
        w16(elf + 62, 3);
        uint8_t *ph = elf + 64;
        w32(ph, 1);
        w32(ph + 4, 5);
        w64(ph + 16, 0x400000);
        w64(ph + 24, 0x400000);
        w64(ph + 40, 0x123);
    } else {
        w32(elf + 24, 0x400000);
        w32(elf + 28, 52);
        w32(elf + 32, SH_OFF);
        w16(elf + 40, 52);
        w16(elf + 42, 32);
        w16(elf + 44, 1);
        w16(elf + 46, 40);
        w16(elf + 48, 4);
        w16(elf + 50, 3);
        uint8_t *ph = elf + 52;
        w32(ph, 1);
        w32(ph + 8, 0x400000);
        w32(ph + 12, 0x400000);
        w32(ph + 20, 0x123);
        w32(ph + 24, 5);
    }
    for (unsigned i = 0; i < symsz(cls); i++)
        elf[SYM_OFF + i] = (uint8_t)(0xa0 + i);
    memcpy(elf + STR_OFF, strtab, sizeof(strtab));
    set_shdr(cls, 0, 0, 0, 0, 0);
    set_shdr(cls, 1, 3, 0, STR_OFF, sizeof(strtab));
    set_shdr(cls, 2, 2, 1, SYM_OFF, symsz(cls));
    set_shdr(cls, 3, 1, 0, 0, 0x10);
}

static int place(unsigned cls, uint64_t kend, struct guest_image *img, char *err, size_t len)
{
    struct elf_file f;
    struct loader_err e = { err, len };
    err[0] = '\0';
    ck_assert_int_eq(elf_open(&f, elf, sizeof(elf), &e), 0);
    memset(img, 0, sizeof(*img));
    img->elf = elf;
    img->elf_size = sizeof(elf);
    img->elf_class = cls;
    img->xen.bsd_symtab = true;
    img->virt_kstart = 0x400000;
    img->virt_kend = ALIGN_UP(kend, 0x1000);
    return bsd_symtab_place(&f, img, kend, &e);
}

/* Guest memory [base, base + sizeof(mem)) for guest_bsd_symtab_write. */
static struct { uint64_t base; uint8_t mem[0x1000]; } guest;

static int put(void *ctx, uint64_t va, const void *src, size_t n)
{
    (void)ctx;
    ck_assert_uint_ge(va, guest.base);
    ck_assert_uint_le(va - guest.base + n, sizeof(guest.mem));
    memcpy(guest.mem + (va - guest.base), src, n);
    return 0;
}

static const struct {
    unsigned cls;
    uint64_t vstart, vend;      /* relative to KEND's page */
    uint32_t size_word;
    uint64_t sym_rel, str_rel;  /* sh_offset: from the ELF header (P + 4) */
} good[] = {
    /* P = round8(0x123); Xen reserves 264 + 72 + 9 rounded = 352; S = P+264, T = P+336. */
    { 64, 0x128, 0x128 + 352, 336 + 9 - 4, 260, 332 },
    /* P = round4(0x123); Xen reserves 252, but S = P+260 and T = P+308 end at P+317. */
    { 32, 0x124, 0x124 + 317, 308 + 9 - 4, 256, 304 },
};

START_TEST(layout_and_fixups)
{
    unsigned cls = good[_i].cls;
    craft(cls);
    struct guest_image img;
    char err[160];
    ck_assert_msg(place(cls, KEND, &img, err, sizeof(err)) == 0, "%s", err);
    const struct guest_bsd_symtab *b = &img.symtab;
    ck_assert(b->present);
    ck_assert_uint_eq(b->vstart, 0x400000 + good[_i].vstart);
    ck_assert_uint_eq(b->vend, 0x400000 + good[_i].vend);
    ck_assert_uint_eq(img.virt_kend, 0x401000);

    memset(&guest, 0x5a, sizeof(guest));
    guest.base = 0x400000;
    ck_assert_int_eq(guest_bsd_symtab_write(&img, put, NULL), 0);
    const uint8_t *p = guest.mem + good[_i].vstart, *eh = p + 4;
    ck_assert_uint_eq(g32(p), good[_i].size_word);
    ck_assert_int_eq(memcmp(eh, elf, 16), 0);                   /* e_ident kept */
    ck_assert_uint_eq(g16(eh + 18), cls == 64 ? 62 : 3);        /* e_machine kept */
    ck_assert_uint_eq(g32(eh + 20), 1);
    const uint8_t *sh = eh + 64;
    if (cls == 64) {
        ck_assert_uint_eq(g64(eh + 24), 0x400000);              /* e_entry kept */
        ck_assert_uint_eq(g64(eh + 32), 0);
        ck_assert_uint_eq(g64(eh + 40), 64);
        ck_assert_uint_eq(g16(eh + 52), 64);
        ck_assert_uint_eq(g16(eh + 54), 0);
        ck_assert_uint_eq(g16(eh + 56), 0);
        ck_assert_uint_eq(g16(eh + 58), 64);
        ck_assert_uint_eq(g16(eh + 60), 3);
        ck_assert_uint_eq(g16(eh + 62), 0);
        ck_assert_uint_eq(g32(sh + 64 + 4), 2);
        ck_assert_uint_eq(g64(sh + 64 + 24), good[_i].sym_rel);
        ck_assert_uint_eq(g64(sh + 64 + 32), symsz(cls));
        ck_assert_uint_eq(g32(sh + 64 + 40), 2);
        ck_assert_uint_eq(g64(sh + 64 + 56), 24);               /* sh_entsize kept */
        ck_assert_uint_eq(g32(sh + 128 + 4), 3);
        ck_assert_uint_eq(g64(sh + 128 + 24), good[_i].str_rel);
        ck_assert_uint_eq(g64(sh + 128 + 32), sizeof(strtab));
    } else {
        ck_assert_uint_eq(g32(eh + 28), 0);
        ck_assert_uint_eq(g32(eh + 32), 64);
        ck_assert_uint_eq(g16(eh + 40), 52);
        ck_assert_uint_eq(g16(eh + 42), 0);
        ck_assert_uint_eq(g16(eh + 44), 0);
        ck_assert_uint_eq(g16(eh + 46), 40);
        ck_assert_uint_eq(g16(eh + 48), 3);
        ck_assert_uint_eq(g16(eh + 50), 0);
        for (unsigned i = 52; i < 64; i++)
            ck_assert_uint_eq(eh[i], 0);                        /* no stale bytes */
        ck_assert_uint_eq(g32(sh + 40 + 4), 2);
        ck_assert_uint_eq(g32(sh + 40 + 16), good[_i].sym_rel);
        ck_assert_uint_eq(g32(sh + 40 + 20), symsz(cls));
        ck_assert_uint_eq(g32(sh + 40 + 24), 2);
        ck_assert_uint_eq(g32(sh + 80 + 4), 3);
        ck_assert_uint_eq(g32(sh + 80 + 16), good[_i].str_rel);
    }
    for (unsigned i = 0; i < shsz(cls); i++)
        ck_assert_uint_eq(sh[i], 0);                            /* section 0 is null */
    ck_assert_int_eq(memcmp(eh + good[_i].sym_rel, elf + SYM_OFF, symsz(cls)), 0);
    ck_assert_int_eq(memcmp(eh + good[_i].str_rel, strtab, sizeof(strtab)), 0);
    /* The size word covers exactly the header through the string table. */
    ck_assert_uint_eq(good[_i].str_rel + sizeof(strtab), good[_i].size_word);
}
END_TEST

enum outcome { REFUSED, NOTHING };

static const struct {
    const char *what;
    unsigned cls;
    unsigned index;             /* section header to rewrite */
    uint32_t type, link;
    uint64_t off, size;
    uint64_t kend;
    enum outcome outcome;
    const char *msg;
} bad[] = {
    { "symtab beyond the file", 64, 2, 2, 1, FILE_SIZE - 8, 72, KEND, REFUSED,
      "symbol table section 2" },
    { "symtab size wraps", 64, 2, 2, 1, SYM_OFF, ~0ull - 0x50, KEND, REFUSED,
      "symbol table section 2" },
    { "strtab beyond the file", 32, 1, 3, 0, STR_OFF, FILE_SIZE, KEND, REFUSED,
      "string table section 1" },
    { "strtab offset huge", 64, 1, 3, 0, ~0ull, 1, KEND, REFUSED, "string table section 1" },
    { "tables past the top of memory", 64, 3, 1, 0, 0, 0, ~0ull - 0x300, REFUSED, "wrap" },
    { "32-bit tables past 4 GiB", 32, 3, 1, 0, 0, 0, 0xffffff00ull, REFUSED, "beyond 4 GiB" },
    { "link 0", 64, 2, 2, 0, SYM_OFF, 72, KEND, NOTHING, NULL },
    { "link out of range", 32, 2, 2, 4, SYM_OFF, 48, KEND, NOTHING, NULL },
    { "link to a non-strtab", 64, 2, 2, 3, SYM_OFF, 72, KEND, NOTHING, NULL },
    { "no symtab at all", 64, 2, 1, 1, SYM_OFF, 72, KEND, NOTHING, NULL },
    /* The first SHT_SYMTAB decides, even when a later one would do. */
    { "first symtab is bad", 32, 1, 2, 0, STR_OFF, 9, KEND, NOTHING, NULL },
};

START_TEST(malformed)
{
    unsigned cls = bad[_i].cls;
    craft(cls);
    set_shdr(cls, bad[_i].index, bad[_i].type, bad[_i].link, bad[_i].off, bad[_i].size);
    struct guest_image img;
    char err[160];
    int rc = place(cls, bad[_i].kend, &img, err, sizeof(err));
    if (bad[_i].outcome == REFUSED) {
        ck_assert_msg(rc == -1, "%s: accepted", bad[_i].what);
        ck_assert_msg(strstr(err, bad[_i].msg), "%s: '%s'", bad[_i].what, err);
        ck_assert_msg(strstr(err, "BSD_SYMTAB"), "%s: '%s'", bad[_i].what, err);
    } else {
        ck_assert_msg(rc == 0, "%s: %s", bad[_i].what, err);
        ck_assert(!img.symtab.present);
        ck_assert_uint_eq(img.virt_kend, ALIGN_UP(bad[_i].kend, 0x1000));
        ck_assert_int_eq(guest_bsd_symtab_write(&img, put, NULL), 0);
    }
}
END_TEST

START_TEST(not_requested)
{
    craft(64);
    struct guest_image img;
    char err[160];
    struct elf_file f;
    struct loader_err e = { err, sizeof(err) };
    ck_assert_int_eq(elf_open(&f, elf, sizeof(elf), &e), 0);
    memset(&img, 0, sizeof(img));
    img.virt_kend = 0x401000;
    ck_assert_int_eq(bsd_symtab_place(&f, &img, KEND, &e), 0);
    ck_assert(!img.symtab.present);
    ck_assert_uint_eq(img.virt_kend, 0x401000);
}
END_TEST

/* A symtab ending near a page boundary pushes virt_kend to the next page. */
START_TEST(grows_kernel_end)
{
    craft(64);
    struct guest_image img;
    char err[160];
    ck_assert_int_eq(place(64, 0x400f00, &img, err, sizeof(err)), 0);
    ck_assert_uint_eq(img.symtab.vstart, 0x400f00);
    ck_assert_uint_eq(img.symtab.vend, 0x400f00 + 352);
    ck_assert_uint_eq(img.virt_kend, 0x402000);
}
END_TEST

static Suite *loader_bsd_symtab_suite(void)
{
    Suite *s = suite_create("loader_bsd_symtab");
    TCase *tc = tcase_create("core");
    tcase_add_loop_test(tc, layout_and_fixups, 0, sizeof(good) / sizeof(good[0]));
    tcase_add_loop_test(tc, malformed, 0, sizeof(bad) / sizeof(bad[0]));
    tcase_add_test(tc, not_requested);
    tcase_add_test(tc, grows_kernel_end);
    suite_add_tcase(s, tc);
    return s;
}
UNIT_SUITE(loader_bsd_symtab_suite)
