/*
 * pvshim-inventory's output: a table for people, or one JSON object a line
 * for programs ({"pvshim":"domain",...}, the same framing and naming as
 * pvshim's own logformat=json records; pvshim-inventory(1) lists the
 * fields). Text that comes from the host (names, paths, command lines)
 * is shown with control characters as '?' in the table and escaped in
 * the JSON.
 */
#include <string.h>
#include "inventory.h"

#define PAGE_KIB 4

static const char *table_type(const struct inv_domain *d)
{
    if (d->pv_in_pvh)
        return "PVH+shim";
    switch (d->type) {
    case INV_PV: return "PV";
    case INV_PVH: return "PVH";
    case INV_HVM: return "HVM";
    }
    return "?";
}

static const char *table_verdict(const struct inv_domain *d)
{
    switch (d->verdict) {
    case INV_NOT_PV: return "-";
    case INV_DOM0: return "dom0";
    case INV_NO_KERNEL: return "no kernel";
    case INV_RUNS: return "runs";
    case INV_REFUSED: return "REFUSED";
    }
    return "?";
}

static void put_printable(FILE *f, const char *s)
{
    for (; *s; s++)
        fputc((unsigned char)*s < 0x20 || *s == 0x7f ? '?' : *s, f);
}

/* s (or "-" for none) into buf, cut to fit, control characters as '?'. */
static void printable_copy(char *buf, size_t cap, const char *s)
{
    snprintf(buf, cap, "%s", s ? s : "-");
    for (char *c = buf; *c; c++)
        *c = (unsigned char)*c < 0x20 || *c == 0x7f ? '?' : *c;
}

static unsigned vcpus(const struct inv_domain *d)
{
    return d->info.max_vcpu_id == XEN_INVALID_MAX_VCPU_ID ? 0 : d->info.max_vcpu_id + 1;
}

/* The XENFEAT_* names of the bits in words, '|'-separated as in the FEATURES note. */
static void put_features(FILE *f, const uint32_t words[GUEST_FEATURE_WORDS], bool json)
{
    bool first = true;
    for (unsigned w = 0; w < GUEST_FEATURE_WORDS; w++)
        for (unsigned b = 0; b < 32; b++) {
            if (!(words[w] & (1u << b)))
                continue;
            const char *name = xen_feature_name(w * 32 + b);
            if (json)
                fprintf(f, "%s\"", first ? "" : ",");
            else if (!first)
                fputc('|', f);
            if (name)
                fputs(name, f);
            else
                fprintf(f, "%u", w * 32 + b);
            if (json)
                fputc('"', f);
            first = false;
        }
    if (first && !json)
        fputs("none", f);
}

static const char *pae_name(enum guest_pae_mode m)
{
    switch (m) {
    case GUEST_PAE_NO: return "no";
    case GUEST_PAE_YES: return "yes";
    case GUEST_PAE_EXTENDED_CR3: return "yes[extended-cr3]";
    case GUEST_PAE_BIMODAL: return "bimodal";
    }
    return "?";
}

/* One line: what the kernel declares, in the words of its notes. */
static void put_image_text(FILE *f, const struct inv_image *im)
{
    const struct xen_guest_params *x = &im->xen;
    fprintf(f, "%s, %u-bit, %s %s, %s, loader %s, entry %#llx, virtual %#llx-%#llx",
            im->container, im->elf_class, x->guest_os[0] ? x->guest_os : "?",
            x->guest_version[0] ? x->guest_version : "?",
            x->xen_version[0] ? x->xen_version : "?", x->loader[0] ? x->loader : "?",
            (unsigned long long)im->entry, (unsigned long long)im->virt_kstart,
            (unsigned long long)im->virt_kend);
    if (x->from_legacy_string)
        fputs(", __xen_guest string", f);
    if (im->elf_class == 32)
        fprintf(f, ", PAE %s", pae_name(x->pae));
    fputs("; requires ", f);
    put_features(f, x->features_required, false);
    fputs(", supports ", f);
    put_features(f, x->features_supported, false);
}

void inventory_print_table(FILE *f, const struct inv_domain *d, size_t n)
{
    /* Column widths from the data, within reason. */
    int wname = 4, wkernel = 6;
    for (size_t i = 0; i < n; i++) {
        int l = d[i].name ? (int)strlen(d[i].name) : 1;
        wname = l > wname ? (l < 24 ? l : 24) : wname;
        l = d[i].kernel ? (int)strlen(d[i].kernel) : 1;
        wkernel = l > wkernel ? (l < 40 ? l : 40) : wkernel;
    }
    fprintf(f, "%-5s  %-*s  %-8s  %-5s  %9s  %-*s  %s\n", "DOMID", wname, "NAME", "TYPE",
            "VCPUS", "MEMORY", wkernel, "KERNEL", "PVSHIM");
    for (size_t i = 0; i < n; i++) {
        const struct inv_domain *x = &d[i];
        char name[64], kernel[256];
        printable_copy(name, sizeof(name), x->name);
        printable_copy(kernel, sizeof(kernel), x->kernel);
        char vc[24], mem[24];
        snprintf(vc, sizeof(vc), "%u/%u", x->info.nr_online_vcpus, vcpus(x));
        snprintf(mem, sizeof(mem), "%llu MiB",
                 (unsigned long long)(x->info.tot_pages * PAGE_KIB / 1024));
        fprintf(f, "%-5u  %-*s  %-8s  %-5s  %9s  %-*s  %s\n", x->info.domid, wname, name,
                table_type(x), vc, mem, wkernel, kernel, table_verdict(x));
    }

    /* The details, one line each; a domain with nothing more to say has none. */
    bool blank_line = false;
    for (size_t i = 0; i < n; i++) {
        const struct inv_domain *x = &d[i];
        if (x->verdict == INV_NOT_PV && !x->kernel)
            continue;
        if (!blank_line) {
            fputc('\n', f);
            blank_line = true;
        }
        fprintf(f, "%u ", x->info.domid);
        put_printable(f, x->name ? x->name : "-");
        fputs(": ", f);
        switch (x->verdict) {
        case INV_DOM0:
            fputs("dom0; its kernel is not recorded (Xen was given it at boot), and pvshim "
                  "runs domUs", f);
            break;
        case INV_NOT_PV:
            fprintf(f, "%s, not a PV guest; kernel ", table_type(x));
            put_printable(f, x->kernel);
            break;
        case INV_NO_KERNEL:
            put_printable(f, x->reason);
            break;
        case INV_RUNS:
        case INV_REFUSED:
            if (x->pv_in_pvh) {
                fputs("PV guest in a PVH domain, shim ", f);
                put_printable(f, x->shim_path ? x->shim_path : "xen-shim (libxl's default)");
                fputs("; ", f);
            }
            fputs("kernel ", f);
            inventory_print_kernel(f, x, false);
            continue;
        }
        fputc('\n', f);
    }
}

/* ---- JSON */

static void json_string(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            fprintf(f, "\\%c", c);
        else if (c == '\n')
            fputs("\\n", f);
        else if (c == '\t')
            fputs("\\t", f);
        else if (c < 0x20 || c == 0x7f)
            fprintf(f, "\\u%04x", c);
        else
            fputc(c, f);
    }
    fputc('"', f);
}

static void json_key(FILE *f, const char *key)
{
    fprintf(f, ",\"%s\":", key);
}

/* A member only when there is a value: absent means unknown, as in pvshim's records. */
static void json_str_member(FILE *f, const char *key, const char *val)
{
    if (!val || !val[0])
        return;
    json_key(f, key);
    json_string(f, val);
}

static void json_hex_member(FILE *f, const char *key, unsigned long long v)
{
    json_key(f, key);
    fprintf(f, "\"%#llx\"", v);
}

static void json_image(FILE *f, const struct inv_image *im)
{
    const struct xen_guest_params *x = &im->xen;
    fputs(",\"image\":{\"container\":", f);
    json_string(f, im->container);
    fprintf(f, ",\"elf_class\":%u", im->elf_class);
    json_str_member(f, "guest_os", x->guest_os);
    json_str_member(f, "guest_version", x->guest_version);
    json_str_member(f, "xen_version", x->xen_version);
    json_str_member(f, "loader", x->loader);
    fprintf(f, ",\"notes\":\"%s\"", x->from_legacy_string ? "__xen_guest" : "elfnotes");
    json_hex_member(f, "entry", im->entry);
    json_hex_member(f, "virt_start", im->virt_kstart);
    json_hex_member(f, "virt_end", im->virt_kend);
    if (x->has_hypercall_page)
        json_hex_member(f, "hypercall_page", x->virt_hypercall);
    if (im->elf_class == 32)
        json_str_member(f, "pae", pae_name(x->pae));
    fputs(",\"features_required\":[", f);
    put_features(f, x->features_required, true);
    fputs("],\"features_supported\":[", f);
    put_features(f, x->features_supported, true);
    fputs("]}", f);
}

/* The kernel, pvshim's verdict on it and what it declares. */
static void json_kernel_members(FILE *f, const struct inv_domain *x)
{
    json_str_member(f, "kernel", x->kernel);
    json_str_member(f, "kernel_source", x->kernel_source);
    json_str_member(f, "ramdisk", x->ramdisk);
    json_str_member(f, "cmdline", x->cmdline);
    json_str_member(f, "bootloader", x->bootloader);
    json_str_member(f, "verdict", inv_verdict_name(x->verdict));
    json_str_member(f, "reason", x->reason);
    if (x->image_parsed)
        json_image(f, &x->image);
}

void inventory_print_json(FILE *f, const struct inv_domain *d, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const struct inv_domain *x = &d[i];
        fprintf(f, "{\"pvshim\":\"domain\",\"domid\":%u", x->info.domid);
        json_str_member(f, "name", x->name);
        json_str_member(f, "uuid", x->uuid);
        json_str_member(f, "type", inv_type_name(x->type));
        fprintf(f, ",\"pv_in_pvh\":%s", x->pv_in_pvh ? "true" : "false");
        json_str_member(f, "shim_path", x->shim_path);
        fprintf(f, ",\"vcpus\":%u,\"vcpus_online\":%u", vcpus(x), x->info.nr_online_vcpus);
        fprintf(f, ",\"memory_kib\":%llu,\"max_memory_kib\":%llu",
                (unsigned long long)x->info.tot_pages * PAGE_KIB,
                (unsigned long long)x->info.max_pages * PAGE_KIB);
        json_kernel_members(f, x);
        fputs("}\n", f);
    }
}

void inventory_print_kernel(FILE *f, const struct inv_domain *d, bool json)
{
    if (json) {
        fputs("{\"pvshim\":\"kernel\"", f);
        json_kernel_members(f, d);
        fputs("}\n", f);
        return;
    }
    put_printable(f, d->kernel);
    if (d->image_parsed) {
        fputs(": ", f);
        put_image_text(f, &d->image);
    }
    fputs(d->verdict == INV_RUNS ? "; pvshim runs it" : "; pvshim refuses it: ", f);
    if (d->verdict != INV_RUNS)
        put_printable(f, d->reason);
    fputc('\n', f);
}
