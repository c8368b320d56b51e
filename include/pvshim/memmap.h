/* Memory maps in the E820 vocabulary, and their sanitising. */
#ifndef PVSHIM_MEMMAP_H
#define PVSHIM_MEMMAP_H

#include <pvshim/types.h>

#define MEMMAP_MAX  128

enum memmap_type {
    MEM_RAM         = 1,
    MEM_RESERVED    = 2,
    MEM_ACPI        = 3,
    MEM_NVS         = 4,
    MEM_UNUSABLE    = 5,
    MEM_DISABLED    = 6,
    MEM_PMEM        = 7,
};

struct memmap_entry {
    uint64_t start;
    uint64_t size;
    uint32_t type;
};

struct memmap {
    unsigned nr;
    struct memmap_entry e[MEMMAP_MAX];
};

const char *memmap_type_name(uint32_t type);

/* Append an entry; false when the map is full. Zero-sized entries are dropped. */
bool memmap_add(struct memmap *m, uint64_t start, uint64_t size, uint32_t type);

/*
 * Make a firmware map trustworthy: sort it, resolve overlaps (any non-RAM
 * type wins over RAM; between two non-RAM types the higher number wins),
 * merge neighbours of one type, shrink RAM to whole pages and clip
 * everything to the 52-bit physical address space.
 */
void memmap_sanitize(struct memmap *m);

/* Drop RAM at and above limit (the mem= option). */
void memmap_limit_ram(struct memmap *m, uint64_t limit);

/* Total bytes of RAM in a map. */
uint64_t memmap_ram_bytes(const struct memmap *m);

#endif
