/*
 * Host tool: run pvshim's guest image parser on kernel files and print
 * what it understood (container, segments, Xen parameters) or why it
 * refused. Used on real distribution kernels (cache/guests/) that unit
 * tests must not depend on.
 *
 *   guest-image-info FILE...     exit status 0 only if every file parsed
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <xen/features.h>
#include <pvshim/guest_image.h>
#include <pvshim/log.h>

/* The decoders log through the kernel's log; here it goes to stderr. */
int log_threshold = LOG_WARN;

void log_vprintf(int level, const char *fmt, va_list ap)
{
    if (level > log_threshold)
        return;
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
}

void log_printf(int level, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    log_vprintf(level, fmt, ap);
    va_end(ap);
}

static uint8_t *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 1 << 20, n = 0;
    uint8_t *buf = malloc(cap);
    for (size_t got; buf && (got = fread(buf + n, 1, cap - n, f)) > 0;) {
        n += got;
        if (n == cap)
            buf = realloc(buf, cap *= 2);
    }
    fclose(f);
    *len = n;
    return buf;
}

static const char *pae_name(enum guest_pae_mode m)
{
    static const char *const names[] = { "no", "yes", "yes[extended-cr3]", "bimodal" };
    return (unsigned)m < 4 ? names[m] : "?";
}

static void show(const struct guest_image *g)
{
    const struct xen_guest_params *x = &g->xen;
    printf("  container %s, ELF%u machine %u, %zu bytes of ELF\n", g->container,
           g->elf_class, g->machine, g->elf_size);
    printf("  entry 0x%llx, kernel 0x%llx-0x%llx\n", (unsigned long long)g->entry,
           (unsigned long long)g->virt_kstart, (unsigned long long)g->virt_kend);
    for (unsigned i = 0; i < g->nr_segments; i++) {
        const struct guest_segment *s = &g->segments[i];
        printf("  segment vaddr 0x%llx filesz 0x%llx memsz 0x%llx offset 0x%llx flags %c%c%c\n",
               (unsigned long long)s->vaddr, (unsigned long long)s->filesz,
               (unsigned long long)s->memsz, (unsigned long long)s->offset,
               s->flags & 4 ? 'R' : '-', s->flags & 2 ? 'W' : '-', s->flags & 1 ? 'X' : '-');
    }
    printf("  from %s: GUEST_OS '%s' GUEST_VERSION '%s' XEN_VERSION '%s' LOADER '%s'\n",
           x->from_notes ? "notes" : "__xen_guest", x->guest_os, x->guest_version,
           x->xen_version, x->loader);
    printf("  VIRT_BASE 0x%llx PADDR_OFFSET 0x%llx PAE %s\n",
           (unsigned long long)x->virt_base, (unsigned long long)x->paddr_offset,
           pae_name(x->pae));
    if (x->has_hypercall_page)
        printf("  HYPERCALL_PAGE 0x%llx\n", (unsigned long long)x->virt_hypercall);
    if (x->has_init_p2m)
        printf("  INIT_P2M 0x%llx\n", (unsigned long long)x->virt_init_p2m);
    if (x->has_hv_start_low)
        printf("  HV_START_LOW 0x%llx\n", (unsigned long long)x->hv_start_low);
    if (x->has_l1_mfn_valid)
        printf("  L1_MFN_VALID mask 0x%llx value 0x%llx\n",
               (unsigned long long)x->l1_mfn_valid_mask,
               (unsigned long long)x->l1_mfn_valid_value);
    if (x->has_phys32_entry)
        printf("  PHYS32_ENTRY 0x%llx\n", (unsigned long long)x->phys32_entry);
    printf("  features supported 0x%08x required 0x%08x%s%s%s\n", x->features_supported[0],
           x->features_required[0], x->suspend_cancel ? ", SUSPEND_CANCEL" : "",
           x->mod_start_pfn ? ", MOD_START_PFN" : "", x->bsd_symtab ? ", BSD_SYMTAB" : "");
}

int main(int argc, char **argv)
{
    /* Offer what a PV host usually does; a required feature outside it is reported. */
    static const uint32_t offered[GUEST_FEATURE_WORDS] = {
        1u << XENFEAT_writable_page_tables | 1u << XENFEAT_writable_descriptor_tables |
        1u << XENFEAT_auto_translated_physmap | 1u << XENFEAT_supervisor_mode_kernel |
        1u << XENFEAT_pae_pgdir_above_4gb,
    };
    size_t out_cap = 256u << 20, work_len = 0;
    for (int f = DECOMP_GZIP; f <= DECOMP_ZSTD; f++)
        if (decomp_workspace_size((enum decomp_format)f) > work_len)
            work_len = decomp_workspace_size((enum decomp_format)f);
    uint8_t *out = malloc(out_cap);
    void *work = malloc(work_len ? work_len : 1);
    int failed = 0;

    if (argc < 2) {
        fprintf(stderr, "usage: %s KERNEL...\n", argv[0]);
        return 2;
    }
    for (int i = 1; i < argc; i++) {
        size_t len = 0;
        uint8_t *mod = read_file(argv[i], &len);
        struct guest_image g;
        char err[256];
        printf("%s:\n", argv[i]);
        if (!mod) {
            printf("  cannot read\n");
            failed = 1;
            continue;
        }
        if (guest_image_parse(mod, len, out, out_cap, work, work_len, offered, &g, err,
                              sizeof(err)) == 0) {
            show(&g);
        } else {
            printf("  REFUSED: %s\n", err);
            failed = 1;
        }
        free(mod);
    }
    free(out);
    free(work);
    return failed;
}
