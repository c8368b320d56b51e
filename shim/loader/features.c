/*
 * XENFEAT_* names, and the FEATURES list of the Xen notes and the legacy
 * __xen_guest string ("name|!name|..."). A plain name declares that the
 * kernel can use the feature; "!name" declares that it cannot run without
 * it (and can use it). As in Xen's libelf, only the names libelf knows
 * count: another plain name is ignored, another "!name" refuses the image.
 */
#include <pvshim/string.h>
#include <pvshim/xen_abi.h>
#include "loader.h"

struct feature_name {
    const char *name;
    bool in_feature_strings;    /* libelf accepts it in FEATURES */
};

static const struct feature_name feature_names[] = {
    [XENFEAT_writable_page_tables]       = { "writable_page_tables", true },
    [XENFEAT_writable_descriptor_tables] = { "writable_descriptor_tables", true },
    [XENFEAT_auto_translated_physmap]    = { "auto_translated_physmap", true },
    [XENFEAT_supervisor_mode_kernel]     = { "supervisor_mode_kernel", true },
    [XENFEAT_pae_pgdir_above_4gb]        = { "pae_pgdir_above_4gb", true },
    [XENFEAT_mmu_pt_update_preserve_ad]  = { "mmu_pt_update_preserve_ad", false },
    [XENFEAT_highmem_assist]             = { "highmem_assist", false },
    [XENFEAT_gnttab_map_avail_bits]      = { "gnttab_map_avail_bits", false },
    [XENFEAT_hvm_callback_vector]        = { "hvm_callback_vector", true },
    [XENFEAT_hvm_safe_pvclock]           = { "hvm_safe_pvclock", false },
    [XENFEAT_hvm_pirqs]                  = { "hvm_pirqs", false },
    [XENFEAT_dom0]                       = { "dom0", true },
    [12 /* grant_map_identity, deprecated */] = { "grant_map_identity", false },
    [XENFEAT_memory_op_vnode_supported]  = { "memory_op_vnode_supported", false },
    [XENFEAT_ARM_SMCCC_supported]        = { "ARM_SMCCC_supported", false },
    [XENFEAT_linux_rsdp_unrestricted]    = { "linux_rsdp_unrestricted", false },
    [XENFEAT_not_direct_mapped]          = { "not_direct_mapped", false },
    [XENFEAT_direct_mapped]              = { "direct_mapped", false },
};

STATIC_ASSERT(ARRAY_SIZE(feature_names) <= GUEST_FEATURE_WORDS * 32,
              "feature bitmap too small for the XENFEAT names");

const char *xen_feature_name(unsigned nr)
{
    return nr < ARRAY_SIZE(feature_names) ? feature_names[nr].name : NULL;
}

static int feature_lookup(const char *name, size_t len)
{
    for (unsigned i = 0; i < ARRAY_SIZE(feature_names); i++) {
        const struct feature_name *f = &feature_names[i];
        if (f->name && f->in_feature_strings && strlen(f->name) == len &&
            memcmp(f->name, name, len) == 0)
            return (int)i;
    }
    return -1;
}

/*
 * libelf cuts the list into tokens at '|' and also after 63 characters
 * (its token buffer), the rest of a long name becoming the next token.
 * We cut identically so the same strings mean the same features.
 */
#define FEATURE_TOKEN_MAX 63

int xen_features_parse(const char *s, size_t len, uint32_t *supported,
                       uint32_t *required, struct loader_err *e)
{
    size_t pos = 0;
    while (pos < len && s[pos] != '\0') {
        size_t tok = 0, step;
        while (tok < FEATURE_TOKEN_MAX && pos + tok < len && s[pos + tok] != '\0' &&
               s[pos + tok] != '|')
            tok++;
        step = tok;
        if (tok < FEATURE_TOKEN_MAX && pos + tok < len && s[pos + tok] == '|')
            step++;

        const char *name = s + pos;
        bool must = tok > 0 && name[0] == '!';
        if (must) {
            name++;
            tok--;
        }
        int nr = feature_lookup(name, tok);
        if (nr >= 0) {
            supported[nr / 32] |= 1u << (nr % 32);
            if (must)
                required[nr / 32] |= 1u << (nr % 32);
        } else if (must) {
            return loader_fail(e, "guest kernel requires Xen feature '%.*s' that pvshim "
                               "does not offer", (int)tok, name);
        }
        pos += step;
    }
    return 0;
}

int xen_features_check(const struct xen_guest_params *p,
                       const uint32_t offered[GUEST_FEATURE_WORDS], struct loader_err *e)
{
    for (unsigned w = 0; w < GUEST_FEATURE_WORDS; w++) {
        uint32_t missing = p->features_required[w] & ~offered[w];
        for (unsigned b = 0; b < 32; b++) {
            if (!(missing & (1u << b)))
                continue;
            const char *name = xen_feature_name(w * 32 + b);
            if (name)
                return loader_fail(e, "guest kernel requires Xen feature '%s' that pvshim "
                                   "does not offer", name);
            return loader_fail(e, "guest kernel requires Xen feature %u that pvshim "
                               "does not offer", w * 32 + b);
        }
    }
    return 0;
}
