/*
 * Internals of the guest image parser (guest_image_parse()): one header
 * for the steps it chains. Each step either succeeds or writes a one-line
 * reason through loader_fail() and returns -1.
 */
#ifndef PVSHIM_LOADER_LOADER_H
#define PVSHIM_LOADER_LOADER_H

#include <pvshim/guest_image.h>
#include <pvshim/compiler.h>

struct loader_err {
    char *buf;
    size_t len;
};

/* Record the reason (first one wins) and return -1. */
int loader_fail(struct loader_err *e, const char *fmt, ...) PRINTF_LIKE(2, 3);

/* Little-endian field readers; callers have bounds-checked [p, p+size). */
static inline uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static inline uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static inline uint64_t rd64(const uint8_t *p) { return rd32(p) | (uint64_t)rd32(p + 4) << 32; }

/* True when [off, off+len) lies inside a buffer of size bytes (no wrap). */
static inline bool range_ok(uint64_t off, uint64_t len, uint64_t size)
{
    return off <= size && len <= size - off;
}

/* ---- containers (image.c, bzimage.c) */

bool bzimage_detect(const uint8_t *mod, size_t len);
/* Locate the protocol >= 2.08 payload inside a bzImage. */
int bzimage_payload(const uint8_t *mod, size_t len, const uint8_t **payload,
                    size_t *payload_len, struct loader_err *e);

/* ---- ELF (elf.c) */

struct elf_file {
    const uint8_t *data;
    size_t size;
    unsigned cls;               /* 32 or 64 */
    unsigned machine;
    uint64_t entry;
    uint64_t phoff, shoff;
    unsigned phentsize, phnum;
    unsigned shentsize, shnum, shstrndx;
};

struct elf_phdr {
    uint32_t type, flags;
    uint64_t offset, vaddr, paddr, filesz, memsz;
};

struct elf_shdr {
    uint32_t name, type;
    uint64_t offset, size;
};

bool elf_has_magic(const uint8_t *data, size_t size);
/* Check the header and that both header tables lie inside the file. */
int elf_open(struct elf_file *f, const uint8_t *data, size_t size, struct loader_err *e);
/* Index i < phnum / shnum of a file elf_open() accepted. */
void elf_phdr_get(const struct elf_file *f, unsigned i, struct elf_phdr *ph);
void elf_shdr_get(const struct elf_file *f, unsigned i, struct elf_shdr *sh);
/* Whether section sh is named name (false if the name is unreadable). */
bool elf_section_named(const struct elf_file *f, const struct elf_shdr *sh, const char *name);

/* A loadable segment as the ELF states it, before Xen's address rules. */
struct elf_load_seg {
    unsigned phdr_index;
    uint64_t paddr, offset, filesz, memsz;
    uint32_t flags;
};
#define ELF_MAX_LOAD_SEGS GUEST_IMAGE_MAX_SEGMENTS
int elf_load_segments(const struct elf_file *f, struct elf_load_seg *segs,
                      unsigned *nr, struct loader_err *e);

/* ---- Xen parameters (xen_notes.c, xen_guest_string.c, features.c) */

/* What libelf tracks as "unset" beyond the has_* flags of xen_guest_params. */
struct xen_parse {
    struct xen_guest_params *p;
    unsigned elf_class;
    bool virt_base_set, paddr_offset_set, entry_set;
};

/* Xen notes from PT_NOTE segments, else SHT_NOTE sections: count, or -1. */
int xen_notes_parse(const struct elf_file *f, struct xen_parse *xp, struct loader_err *e);
/* The legacy __xen_guest section, if any: 1 found, 0 absent, -1 refused. */
int xen_guest_string_parse(const struct elf_file *f, struct xen_parse *xp,
                           struct loader_err *e);

/* A '|'-separated FEATURES list, with libelf's meaning of '!'. */
int xen_features_parse(const char *s, size_t len, uint32_t *supported,
                       uint32_t *required, struct loader_err *e);

/* ---- checks and address computation (xen_params.c, layout.c) */

/* libelf's note check: LOADER/GUEST_OS and XEN_VERSION. */
int xen_params_check(const struct xen_parse *xp, struct loader_err *e);
/* Refuse required features outside what pvshim offers. */
int xen_features_check(const struct xen_guest_params *p,
                       const uint32_t offered[GUEST_FEATURE_WORDS], struct loader_err *e);
/* Virtual addresses of the segments, entry, bounds and per-class checks. */
int guest_layout(struct guest_image *img, struct xen_parse *xp,
                 const struct elf_load_seg *segs, unsigned nr, uint64_t e_entry,
                 struct loader_err *e);

/* ---- BSD_SYMTAB (bsd_symtab.c) */

/*
 * When the kernel asked for it, find its symbol table and place it after
 * the kernel's highest byte kend, growing img->virt_kend over it.
 */
int bsd_symtab_place(const struct elf_file *f, struct guest_image *img, uint64_t kend,
                     struct loader_err *e);

#endif
