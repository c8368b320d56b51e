/*
 * String and memory primitives. The freestanding kernel implements them in
 * shim/lib/; host builds (unit tests, fuzzers) use the C library's.
 */
#ifndef PVSHIM_STRING_H
#define PVSHIM_STRING_H

#include <pvshim/types.h>
#include <pvshim/compiler.h>

#ifdef PVSHIM_HOSTED
#include <string.h>
#include <stdio.h>
#else
void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
void *memchr(const void *s, int c, size_t n);
size_t strlen(const char *s);
size_t strnlen(const char *s, size_t max);
size_t strcspn(const char *s, const char *reject);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
char *strchr(const char *s, int c);
int snprintf(char *buf, size_t size, const char *fmt, ...) PRINTF_LIKE(3, 4);
int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
#endif

/*
 * pvshim's own formatter, always built so hosted unit tests exercise the
 * same code the kernel runs. Supports %d %i %u %x %X %o %c %s %p %%, the
 * flags '-', '0', '#', field width, precision and the h hh l ll z t j sizes.
 */
int fmt_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);

/* Copy at most size-1 bytes and always terminate; returns strlen(src). */
size_t strlcpy_s(char *dst, const char *src, size_t size);

/* Parse an unsigned number: 0x hex, 0 octal, else decimal. false on junk or overflow. */
bool parse_u64(const char *s, size_t len, uint64_t *out);

#endif
