#include <pvshim/phys.h>
#include <pvshim/string.h>
#include <pvshim/compiler.h>
#include "bootinfo_util.h"
#include <pvshim/error.h>

int bootinfo_copy_string(paddr_t pa, char *dst, size_t max)
{
    dst[0] = '\0';
    if (pa == 0)
        return BOOTINFO_OK;
    for (size_t i = 0; i < max; i++) {
        const char *c = phys_access(pa + i, 1);
        if (!c)
            return BOOTINFO_UNREACHABLE;
        dst[i] = *c;
        if (*c == '\0')
            return BOOTINFO_OK;
    }
    dst[max - 1] = '\0';
    return BOOTINFO_CMDLINE_TOO_LONG;
}


void bootinfo_split_name(char *s, char *name, size_t namelen)
{
    size_t i = 0;
    while (s[i] == ' ' || s[i] == '\t')
        i++;
    size_t w = i;
    while (s[i] && s[i] != ' ' && s[i] != '\t')
        i++;
    if (namelen) {
        size_t n = MIN(i - w, namelen - 1);
        memcpy(name, s + w, n);
        name[n] = '\0';
    }
    while (s[i] == ' ' || s[i] == '\t')
        i++;
    memmove(s, s + i, strlen(s + i) + 1);
}

static bool ram_covers(const struct memmap *m, paddr_t start, paddr_t end)
{
    for (unsigned i = 0; i < m->nr; i++)
        if (m->e[i].type == MEM_RAM && m->e[i].start <= start &&
            end <= m->e[i].start + m->e[i].size)
            return true;
    return false;
}

int bootinfo_check_modules(const struct boot_info *bi, const struct memmap *m,
                           paddr_t img_start, paddr_t img_end, char *err, size_t errlen)
{
    for (unsigned i = 0; i < bi->nr_modules; i++) {
        const struct boot_module *mod = &bi->modules[i];
        paddr_t s = mod->start, e = mod->start + mod->size;
        if (mod->size == 0)
            continue;
        if (s < img_end && img_start < e)
            return error_set(err, errlen, -1,
                                 "module %u (%#llx-%#llx) overlaps pvshim (%#llx-%#llx)", i,
                                 (unsigned long long)s, (unsigned long long)e,
                                 (unsigned long long)img_start, (unsigned long long)img_end);
        if (!ram_covers(m, ALIGN_DOWN(s, PAGE_SIZE), ALIGN_UP(e, PAGE_SIZE)))
            return error_set(err, errlen, -1,
                                 "module %u (%#llx-%#llx) is not in usable RAM", i,
                                 (unsigned long long)s, (unsigned long long)e);
        for (unsigned j = 0; j < i; j++) {
            const struct boot_module *o = &bi->modules[j];
            if (o->size && s < o->start + o->size && o->start < e)
                return error_set(err, errlen, -1, "modules %u and %u overlap", j, i);
        }
    }
    return 0;
}
