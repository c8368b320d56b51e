/*
 * The few ELF constants and record sizes the loader needs. The kernel is
 * freestanding (no <elf.h>), and the loader reads every field byte by byte
 * from little-endian data, so no structure layouts are declared here.
 */
#ifndef PVSHIM_LOADER_ELF_DEFS_H
#define PVSHIM_LOADER_ELF_DEFS_H

#define ELF_MAGIC           "\177ELF"
#define ELF_IDENT_CLASS     4
#define ELF_IDENT_DATA      5
#define ELF_IDENT_VERSION   6
#define ELFCLASS_32         1
#define ELFCLASS_64         2
#define ELFDATA_2LSB        1
#define ELF_EV_CURRENT      1

#define ELF_ET_EXEC         2
#define ELF_EM_386          3
#define ELF_EM_X86_64       62

#define ELF_PT_LOAD         1
#define ELF_PT_NOTE         4
#define ELF_PF_X            1
#define ELF_PF_W            2
#define ELF_PF_R            4

#define ELF_SHT_SYMTAB      2
#define ELF_SHT_STRTAB      3
#define ELF_SHT_NOTE        7
#define ELF_SHN_UNDEF       0
#define ELF_SHN_LORESERVE   0xff00

/* Header and table entry sizes per class. */
#define ELF32_EHDR_SIZE     52
#define ELF64_EHDR_SIZE     64
#define ELF32_PHDR_SIZE     32
#define ELF64_PHDR_SIZE     56
#define ELF32_SHDR_SIZE     40
#define ELF64_SHDR_SIZE     64
#define ELF_NHDR_SIZE       12      /* namesz, descsz, type: 32-bit in both classes */

#endif
