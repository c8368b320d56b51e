/* The string routines our freestanding PV test guests share. */
#ifndef GUEST_STRING_H
#define GUEST_STRING_H

#include <stddef.h>

void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);

#endif
