/*
 * ELF32 and ELF64 (little-endian, x86) headers, program and section
 * headers. Every table is bounds-checked once in elf_open(); entries are
 * then read by index without further checks.
 */
#include <pvshim/string.h>
#include "loader.h"
#include "elf_defs.h"

bool elf_has_magic(const uint8_t *data, size_t size)
{
    return size >= 4 && memcmp(data, ELF_MAGIC, 4) == 0;
}

static int check_machine(unsigned cls, unsigned machine, struct loader_err *e)
{
    if (machine != ELF_EM_386 && machine != ELF_EM_X86_64)
        return loader_fail(e, "ELF machine %u is not x86 (i386 or x86-64)", machine);
    if (cls == 32 && machine == ELF_EM_X86_64)
        return loader_fail(e, "image is ELF32 but its machine is x86-64: not a PV kernel layout");
    if (cls == 64 && machine == ELF_EM_386)
        return loader_fail(e, "image is 32-bit i386 but packed as ELF64");
    return 0;
}

int elf_open(struct elf_file *f, const uint8_t *d, size_t size, struct loader_err *e)
{
    memset(f, 0, sizeof(*f));
    if (!elf_has_magic(d, size))
        return loader_fail(e, "not an ELF image");
    if (size < 16)
        return loader_fail(e, "truncated ELF: identification beyond end of file");
    if (d[ELF_IDENT_CLASS] != ELFCLASS_32 && d[ELF_IDENT_CLASS] != ELFCLASS_64)
        return loader_fail(e, "unknown ELF class %u", d[ELF_IDENT_CLASS]);
    if (d[ELF_IDENT_DATA] != ELFDATA_2LSB)
        return loader_fail(e, "ELF image is not little-endian (data encoding %u)",
                           d[ELF_IDENT_DATA]);
    if (d[ELF_IDENT_VERSION] != ELF_EV_CURRENT)
        return loader_fail(e, "unknown ELF version %u", d[ELF_IDENT_VERSION]);

    f->data = d;
    f->size = size;
    f->cls = d[ELF_IDENT_CLASS] == ELFCLASS_64 ? 64 : 32;
    unsigned ph_min, sh_min;
    if (f->cls == 64) {
        if (size < ELF64_EHDR_SIZE)
            return loader_fail(e, "truncated ELF: header beyond end of file");
        f->entry = rd64(d + 24);
        f->phoff = rd64(d + 32);
        f->shoff = rd64(d + 40);
        f->phentsize = rd16(d + 54);
        f->phnum = rd16(d + 56);
        f->shentsize = rd16(d + 58);
        f->shnum = rd16(d + 60);
        f->shstrndx = rd16(d + 62);
        ph_min = ELF64_PHDR_SIZE;
        sh_min = ELF64_SHDR_SIZE;
    } else {
        if (size < ELF32_EHDR_SIZE)
            return loader_fail(e, "truncated ELF: header beyond end of file");
        f->entry = rd32(d + 24);
        f->phoff = rd32(d + 28);
        f->shoff = rd32(d + 32);
        f->phentsize = rd16(d + 42);
        f->phnum = rd16(d + 44);
        f->shentsize = rd16(d + 46);
        f->shnum = rd16(d + 48);
        f->shstrndx = rd16(d + 50);
        ph_min = ELF32_PHDR_SIZE;
        sh_min = ELF32_SHDR_SIZE;
    }
    unsigned type = rd16(d + 16);
    f->machine = rd16(d + 18);

    if (type != ELF_ET_EXEC)
        return loader_fail(e, "ELF type %u is not an executable (ET_EXEC)", type);
    if (check_machine(f->cls, f->machine, e))
        return -1;

    if (f->phnum == 0)
        return loader_fail(e, "ELF has no program headers");
    if (f->phentsize < ph_min)
        return loader_fail(e, "ELF program header size %u is below %u", f->phentsize, ph_min);
    if (!range_ok(f->phoff, (uint64_t)f->phnum * f->phentsize, size))
        return loader_fail(e, "truncated ELF: program header table beyond end of file");

    /* No section headers is legal; sections are only a fallback for notes. */
    if (f->shnum != 0) {
        if (f->shentsize < sh_min)
            return loader_fail(e, "ELF section header size %u is below %u",
                               f->shentsize, sh_min);
        if (!range_ok(f->shoff, (uint64_t)f->shnum * f->shentsize, size))
            return loader_fail(e, "truncated ELF: section header table beyond end of file");
    }
    if (f->shstrndx == ELF_SHN_UNDEF || f->shstrndx >= f->shnum)
        f->shstrndx = 0;        /* no usable section names */
    return 0;
}

void elf_phdr_get(const struct elf_file *f, unsigned i, struct elf_phdr *ph)
{
    const uint8_t *p = f->data + f->phoff + (uint64_t)i * f->phentsize;
    ph->type = rd32(p);
    if (f->cls == 64) {
        ph->flags = rd32(p + 4);
        ph->offset = rd64(p + 8);
        ph->vaddr = rd64(p + 16);
        ph->paddr = rd64(p + 24);
        ph->filesz = rd64(p + 32);
        ph->memsz = rd64(p + 40);
    } else {
        ph->offset = rd32(p + 4);
        ph->vaddr = rd32(p + 8);
        ph->paddr = rd32(p + 12);
        ph->filesz = rd32(p + 16);
        ph->memsz = rd32(p + 20);
        ph->flags = rd32(p + 24);
    }
}

void elf_shdr_get(const struct elf_file *f, unsigned i, struct elf_shdr *sh)
{
    const uint8_t *p = f->data + f->shoff + (uint64_t)i * f->shentsize;
    sh->name = rd32(p);
    sh->type = rd32(p + 4);
    if (f->cls == 64) {
        sh->offset = rd64(p + 24);
        sh->size = rd64(p + 32);
    } else {
        sh->offset = rd32(p + 16);
        sh->size = rd32(p + 20);
    }
}

bool elf_section_named(const struct elf_file *f, const struct elf_shdr *sh, const char *name)
{
    if (f->shstrndx == 0)
        return false;
    struct elf_shdr strtab;
    elf_shdr_get(f, f->shstrndx, &strtab);
    if (!range_ok(strtab.offset, strtab.size, f->size) || sh->name >= strtab.size)
        return false;
    const char *s = (const char *)f->data + strtab.offset + sh->name;
    size_t room = strtab.size - sh->name;
    size_t n = strlen(name);
    /* The name and its terminator must both lie inside the string table. */
    return n < room && memcmp(s, name, n) == 0 && s[n] == '\0';
}

/* libelf loads PT_LOAD entries that have at least one of R, W, X. */
static bool loadable(const struct elf_phdr *ph)
{
    return ph->type == ELF_PT_LOAD && (ph->flags & (ELF_PF_R | ELF_PF_W | ELF_PF_X)) != 0;
}

int elf_load_segments(const struct elf_file *f, struct elf_load_seg *segs,
                      unsigned *nr, struct loader_err *e)
{
    unsigned n = 0;
    for (unsigned i = 0; i < f->phnum; i++) {
        struct elf_phdr ph;
        elf_phdr_get(f, i, &ph);
        if (!loadable(&ph) || ph.memsz == 0)
            continue;
        if (ph.filesz > ph.memsz)
            return loader_fail(e, "segment %u: file size 0x%llx exceeds memory size 0x%llx",
                               i, (unsigned long long)ph.filesz,
                               (unsigned long long)ph.memsz);
        if (!range_ok(ph.offset, ph.filesz, f->size))
            return loader_fail(e, "truncated ELF: segment %u data beyond end of file", i);
        if (n == ELF_MAX_LOAD_SEGS)
            return loader_fail(e, "ELF has more than %u loadable segments", ELF_MAX_LOAD_SEGS);
        segs[n].phdr_index = i;
        segs[n].paddr = ph.paddr;
        segs[n].offset = ph.offset;
        segs[n].filesz = ph.filesz;
        segs[n].memsz = ph.memsz;
        segs[n].flags = ph.flags;
        n++;
    }
    if (n == 0)
        return loader_fail(e, "ELF has no loadable segments");
    *nr = n;
    return 0;
}
