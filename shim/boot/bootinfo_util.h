/* Helpers the PVH and Multiboot parsers share. */
#ifndef PVSHIM_BOOTINFO_UTIL_H
#define PVSHIM_BOOTINFO_UTIL_H

#include <pvshim/bootinfo.h>
#include <pvshim/error.h>

/*
 * Copy the NUL-terminated string at machine address pa into dst (size max,
 * including the NUL). pa == 0 gives "". Returns 0, BOOTINFO_UNREACHABLE or
 * BOOTINFO_CMDLINE_TOO_LONG.
 */
int bootinfo_copy_string(paddr_t pa, char *dst, size_t max);

/*
 * Multiboot loaders put the file name first in command lines. Move the
 * first word of s into name (truncated to namelen) and shift the rest of s
 * down, without its leading blanks.
 */
void bootinfo_split_name(char *s, char *name, size_t namelen);


#endif
