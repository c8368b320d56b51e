/*
 * ACPI table walking, just far enough to power off: RSDP -> RSDT/XSDT ->
 * FADT (PM1 control and PM timer ports) -> DSDT (\_S5 package). Layouts are
 * from the ACPI specification; nothing is trusted without its checksum.
 */
#include <pvshim/acpi.h>
#include <pvshim/phys.h>
#include <pvshim/string.h>
#include <pvshim/log.h>

struct acpi_info acpi;

#define SDT_HEADER_LEN  36
#define TABLE_MAX_LEN   (16u << 20)

static bool checksum_ok(const uint8_t *p, size_t len)
{
    uint8_t sum = 0;
    for (size_t i = 0; i < len; i++)
        sum += p[i];
    return sum == 0;
}

static uint32_t rd32(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

static uint64_t rd64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

static const uint8_t *rsdp_at(paddr_t pa)
{
    const uint8_t *p = phys_access(pa, 20);
    if (!p || memcmp(p, "RSD PTR ", 8) != 0 || !checksum_ok(p, 20))
        return NULL;
    if (p[15] >= 2) {
        const uint8_t *x = phys_access(pa, 36);
        if (!x || rd32(x + 20) < 36 || !checksum_ok(x, 36))
            return NULL;
    }
    return p;
}

static paddr_t find_rsdp(paddr_t hint)
{
    if (hint && rsdp_at(hint))
        return hint;
    const uint8_t *bda = phys_access(0x40e, 2);
    if (bda) {
        paddr_t ebda = (paddr_t)(bda[0] | (bda[1] << 8)) << 4;
        for (paddr_t pa = ebda; ebda && pa < ebda + 1024; pa += 16)
            if (rsdp_at(pa))
                return pa;
    }
    for (paddr_t pa = 0xe0000; pa < 0x100000; pa += 16)
        if (rsdp_at(pa))
            return pa;
    return 0;
}

/* A whole, checksummed table at pa, or NULL. */
static const uint8_t *table_at(paddr_t pa, const char *sig)
{
    const uint8_t *h = phys_access(pa, SDT_HEADER_LEN);
    if (!h || (sig && memcmp(h, sig, 4) != 0))
        return NULL;
    uint32_t len = rd32(h + 4);
    if (len < SDT_HEADER_LEN || len > TABLE_MAX_LEN)
        return NULL;
    const uint8_t *t = phys_access(pa, len);
    return t && checksum_ok(t, len) ? t : NULL;
}

/* Decode an AML PkgLength at p (at most end); returns bytes used or 0. */
static size_t pkg_length(const uint8_t *p, const uint8_t *end, uint32_t *len)
{
    if (p >= end)
        return 0;
    unsigned follow = p[0] >> 6;
    if ((size_t)(end - p) < 1 + follow)
        return 0;
    if (follow == 0) {
        *len = p[0] & 0x3f;
        return 1;
    }
    uint32_t v = p[0] & 0x0f;
    for (unsigned i = 0; i < follow; i++)
        v |= (uint32_t)p[1 + i] << (4 + 8 * i);
    *len = v;
    return 1 + follow;
}

/* One AML integer element: ZeroOp, OneOp, OnesOp or BytePrefix value. */
static size_t aml_small_int(const uint8_t *p, const uint8_t *end, uint8_t *v)
{
    if (p >= end)
        return 0;
    switch (p[0]) {
    case 0x00: *v = 0; return 1;
    case 0x01: *v = 1; return 1;
    case 0xff: *v = 0xff; return 1;
    case 0x0a:
        if (end - p < 2)
            return 0;
        *v = p[1];
        return 2;
    default:
        return 0;
    }
}

bool acpi_find_s5(const uint8_t *aml, size_t len, uint8_t *typa, uint8_t *typb)
{
    const uint8_t *end = aml + len;
    for (const uint8_t *p = aml; p + 4 <= end; p++) {
        if (memcmp(p, "_S5_", 4) != 0)
            continue;
        /* NameOp precedes the name, possibly with a root prefix. */
        if (!(p > aml && (p[-1] == 0x08 || (p[-1] == '\\' && p - 1 > aml && p[-2] == 0x08))))
            continue;
        const uint8_t *q = p + 4;
        if (q >= end || *q != 0x12)     /* PackageOp */
            continue;
        q++;
        uint32_t plen;
        size_t n = pkg_length(q, end, &plen);
        if (!n)
            continue;
        q += n;
        if (q >= end)
            continue;
        q++;    /* NumElements */
        size_t a = aml_small_int(q, end, typa);
        if (!a)
            continue;
        size_t b = aml_small_int(q + a, end, typb);
        if (!b)
            *typb = *typa;
        return true;
    }
    return false;
}

void acpi_parse_madt(const uint8_t *madt, size_t len, struct acpi_info *out)
{
    out->nr_cpus = 0;
    out->cpus_ignored = 0;
    for (unsigned i = 0; i < 16; i++)
        out->isa_irq[i].gsi = i;    /* identity unless overridden */
    /* Header, local APIC address and flags, then variable-length entries. */
    size_t off = SDT_HEADER_LEN + 8;
    while (off + 2 <= len) {
        uint8_t type = madt[off], elen = madt[off + 1];
        if (elen < 2 || off + elen > len)
            break;
        if (type == 1 && elen >= 12 && !out->ioapic_addr) {
            out->ioapic_addr = rd32(madt + off + 4);
            out->ioapic_gsi_base = rd32(madt + off + 8);
        } else if ((type == 0 && elen >= 8) || (type == 9 && elen >= 16)) {
            /* Processor Local APIC: ID byte at 3, flags at 4; x2APIC: ID at 4, flags at 8. */
            uint32_t id = type == 0 ? madt[off + 3] : rd32(madt + off + 4);
            uint32_t flags = rd32(madt + off + (type == 0 ? 4 : 8));
            bool dup = false;
            for (unsigned i = 0; i < out->nr_cpus; i++)
                dup |= out->cpu_apic_id[i] == id;
            if (!(flags & 1) || dup)
                ;   /* disabled (perhaps online-capable) or listed twice */
            else if (out->nr_cpus < ACPI_MAX_CPUS)
                out->cpu_apic_id[out->nr_cpus++] = id;
            else
                out->cpus_ignored++;
        } else if (type == 2 && elen >= 10 && madt[off + 2] == 0 && madt[off + 3] < 16) {
            out->isa_irq[madt[off + 3]].gsi = rd32(madt + off + 4);
            out->isa_irq[madt[off + 3]].flags = (uint16_t)(madt[off + 8] | (madt[off + 9] << 8));
        }
        off += elen;
    }
}

void acpi_parse(paddr_t rsdp_hint, struct acpi_info *out)
{
    memset(out, 0, sizeof(*out));
    paddr_t rsdp_pa = find_rsdp(rsdp_hint);
    if (!rsdp_pa)
        return;
    out->rsdp = rsdp_pa;
    const uint8_t *rsdp = rsdp_at(rsdp_pa);

    /* Prefer the XSDT (64-bit entries) when the RSDP is version 2 or later. */
    const uint8_t *root = NULL;
    unsigned entry_size = 4;
    if (rsdp[15] >= 2 && rd64(rsdp + 24)) {
        root = table_at(rd64(rsdp + 24), "XSDT");
        entry_size = 8;
    }
    if (!root) {
        root = table_at(rd32(rsdp + 16), "RSDT");
        entry_size = 4;
    }
    if (!root)
        return;

    const uint8_t *fadt = NULL;
    uint32_t root_len = rd32(root + 4);
    for (uint32_t off = SDT_HEADER_LEN; off + entry_size <= root_len; off += entry_size) {
        paddr_t pa = entry_size == 8 ? rd64(root + off) : rd32(root + off);
        const uint8_t *madt = table_at(pa, "APIC");
        if (madt && !out->ioapic_addr)
            acpi_parse_madt(madt, rd32(madt + 4), out);
        if (!fadt)
            fadt = table_at(pa, "FACP");
    }
    if (!fadt)
        return;
    out->have_fadt = true;
    uint32_t flen = rd32(fadt + 4);
    if (flen >= 76)
        out->pm1a_cnt = (uint16_t)rd32(fadt + 64), out->pm1b_cnt = (uint16_t)rd32(fadt + 68);
    if (flen >= 80)
        out->pm_tmr = (uint16_t)rd32(fadt + 76);
    if (flen >= 116)
        out->pm_tmr_32bit = rd32(fadt + 112) & (1u << 8);
    /* RESET_REG_SUP (flag bit 10), the register at 116 and the value at 128. */
    if (flen >= 129 && (rd32(fadt + 112) & (1u << 10))) {
        out->have_reset = true;
        out->reset_space = fadt[116];
        out->reset_addr = rd64(fadt + 120);
        out->reset_value = fadt[128];
    }
    /* SLEEP_CONTROL_REG (ACPI 5+), a generic address structure at 244. */
    if (flen >= 256 && rd64(fadt + 248) && (fadt[244] == 0 || fadt[244] == 1)) {
        out->have_sleep_ctl = true;
        out->sleep_ctl_space = fadt[244];
        out->sleep_ctl_addr = rd64(fadt + 248);
    }

    paddr_t dsdt_pa = flen >= 148 && rd64(fadt + 140) ? rd64(fadt + 140) : rd32(fadt + 40);
    const uint8_t *dsdt = table_at(dsdt_pa, "DSDT");
    if (dsdt)
        out->have_s5 = acpi_find_s5(dsdt + SDT_HEADER_LEN, rd32(dsdt + 4) - SDT_HEADER_LEN,
                                    &out->slp_typa, &out->slp_typb);
}
