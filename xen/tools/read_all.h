/* Host tools: a whole stream read into memory. */
#ifndef PVSHIM_TOOLS_READ_ALL_H
#define PVSHIM_TOOLS_READ_ALL_H

#include <stddef.h>
#include <stdio.h>

/*
 * Reads f to its end into a malloc'd buffer (the caller frees it) and
 * stores the byte count in *len. NULL on a read error or without memory.
 * The buffer is not NUL-terminated.
 */
char *read_all(FILE *f, size_t *len);

#endif
