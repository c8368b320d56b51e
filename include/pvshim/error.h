/*
 * One-line error reports. Parsers and builders that can refuse their input
 * write the reason into a caller's buffer and return a code; the caller
 * decides whether that ends pvshim (fail_bad_input) or something smaller.
 */
#ifndef PVSHIM_ERROR_H
#define PVSHIM_ERROR_H

#include <pvshim/types.h>
#include <pvshim/compiler.h>

/* Format the reason into err[0, errlen) (err may be NULL) and return code. */
int error_set(char *err, size_t errlen, int code, const char *fmt, ...) PRINTF_LIKE(4, 5);

#endif
