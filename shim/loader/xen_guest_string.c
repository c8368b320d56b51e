/*
 * The legacy __xen_guest section of pre-3.0.2 interface kernels: a
 * NUL-terminated "KEY=VALUE,KEY=VALUE,..." string. Tokenised as Xen's
 * libelf does (keys cut at 31 characters, values at 127, the remainder
 * read as the next key), with the legacy meanings: HYPERCALL_PAGE is a
 * page number relative to VIRT_BASE, BSD_SYMTAB counts by its presence.
 * Unlike libelf, a number with junk in it is refused rather than read
 * as its numeric prefix.
 */
#include <pvshim/string.h>
#include "loader.h"

#define KEY_MAX   31
#define VALUE_MAX 127

struct cursor {
    const uint8_t *s;
    size_t len;         /* the section size: nothing beyond is read */
    size_t pos;
};

static uint8_t peek(const struct cursor *c)
{
    return c->pos < c->len ? c->s[c->pos] : 0;
}

/* One token: "KEY=VALUE", or a bare "KEY" (empty value). */
static void next_token(struct cursor *c, char key[KEY_MAX + 1], char value[VALUE_MAX + 1])
{
    size_t k = 0, v = 0;
    for (;;) {
        uint8_t ch = peek(c);
        if (k >= KEY_MAX || ch == 0)
            break;
        c->pos++;
        if (ch == ',')
            break;
        if (ch == '=') {
            for (;;) {
                uint8_t vc = peek(c);
                if (v >= VALUE_MAX || vc == 0)
                    break;
                c->pos++;
                if (vc == ',')
                    break;
                value[v++] = (char)vc;
            }
            break;
        }
        key[k++] = (char)ch;
    }
    key[k] = '\0';
    value[v] = '\0';
}

static int number(const char *key, const char *value, uint64_t *out, struct loader_err *e)
{
    if (!parse_u64(value, strlen(value), out))
        return loader_fail(e, "__xen_guest: %s=%s is not a number", key, value);
    return 0;
}

static int apply(const char *key, const char *value, struct xen_parse *xp,
                 struct loader_err *e)
{
    struct xen_guest_params *p = xp->p;
    uint64_t v;

    if (!strcmp(key, "LOADER"))
        strlcpy_s(p->loader, value, sizeof(p->loader));
    else if (!strcmp(key, "GUEST_OS"))
        strlcpy_s(p->guest_os, value, sizeof(p->guest_os));
    else if (!strcmp(key, "GUEST_VER"))
        strlcpy_s(p->guest_version, value, sizeof(p->guest_version));
    else if (!strcmp(key, "XEN_VER"))
        strlcpy_s(p->xen_version, value, sizeof(p->xen_version));
    else if (!strcmp(key, "PAE")) {
        if (!strcmp(value, "yes[extended-cr3]"))
            p->pae = GUEST_PAE_EXTENDED_CR3;
        else if (!strncmp(value, "yes", 3))
            p->pae = GUEST_PAE_YES;
    } else if (!strcmp(key, "BSD_SYMTAB")) {
        p->bsd_symtab = true;
    } else if (!strcmp(key, "VIRT_BASE")) {
        if (number(key, value, &p->virt_base, e))
            return -1;
        xp->virt_base_set = true;
    } else if (!strcmp(key, "VIRT_ENTRY")) {
        if (number(key, value, &p->virt_entry, e))
            return -1;
        xp->entry_set = true;
    } else if (!strcmp(key, "ELF_PADDR_OFFSET")) {
        if (number(key, value, &p->paddr_offset, e))
            return -1;
        xp->paddr_offset_set = true;
    } else if (!strcmp(key, "HYPERCALL_PAGE")) {
        if (number(key, value, &v, e))
            return -1;
        if (v > (UINT64_MAX >> PAGE_SHIFT))
            return loader_fail(e, "__xen_guest: HYPERCALL_PAGE=%s is beyond the address space",
                               value);
        p->virt_hypercall = v << PAGE_SHIFT;
        p->has_hypercall_page = true;
    } else if (!strcmp(key, "FEATURES")) {
        return xen_features_parse(value, strlen(value), p->features_supported,
                                  p->features_required, e);
    }
    /* Unknown keys are ignored, as libelf does. */
    return 0;
}

static int find_section(const struct elf_file *f, struct elf_shdr *out)
{
    for (unsigned i = 1; i < f->shnum; i++) {
        elf_shdr_get(f, i, out);
        if (elf_section_named(f, out, "__xen_guest"))
            return (int)i;
    }
    return 0;
}

int xen_guest_string_parse(const struct elf_file *f, struct xen_parse *xp,
                           struct loader_err *e)
{
    struct elf_shdr sh;
    int idx = find_section(f, &sh);
    if (idx == 0)
        return 0;
    if (!range_ok(sh.offset, sh.size, f->size))
        return loader_fail(e, "truncated ELF: __xen_guest section beyond end of file");

    struct cursor c = { f->data + sh.offset, sh.size, 0 };
    /* Each round consumes at least one character, so this ends within len rounds. */
    while (peek(&c) != 0) {
        char key[KEY_MAX + 1], value[VALUE_MAX + 1];
        next_token(&c, key, value);
        if (apply(key, value, xp, e))
            return -1;
    }

    /* The legacy page number counts from VIRT_BASE. */
    if (xp->p->has_hypercall_page && xp->virt_base_set)
        xp->p->virt_hypercall += xp->p->virt_base;
    xp->p->from_legacy_string = true;
    return 1;
}
