#include <stdlib.h>
#include "read_all.h"

char *read_all(FILE *f, size_t *len)
{
    size_t cap = 1 << 16, n = 0;
    char *s = malloc(cap);
    while (s) {
        n += fread(s + n, 1, cap - n, f);
        if (n < cap)
            break;
        char *t = realloc(s, cap *= 2);
        if (!t) {
            free(s);
            return NULL;
        }
        s = t;
    }
    if (s && ferror(f)) {
        free(s);
        return NULL;
    }
    *len = n;
    return s;
}
