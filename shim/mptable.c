/*
 * The MultiProcessor Specification 1.4 table, for machines without ACPI
 * (QEMU's microvm with acpi=off, whose firmware writes one): where the
 * I/O APIC is and how the ISA IRQs reach its pins. Only read when the
 * ACPI MADT gave no I/O APIC. Layouts from the MP specification (1.4,
 * chapter 4); nothing is trusted without its checksum.
 */
#include <pvshim/acpi.h>
#include <pvshim/phys.h>
#include <pvshim/string.h>
#include <pvshim/log.h>

#define FPS_LEN         16      /* the floating pointer structure, "_MP_" */
#define CFG_HEADER_LEN  44      /* the configuration table header, "PCMP" */
#define CFG_MAX_LEN     65535u  /* base table length is 16 bits */

enum { E_CPU = 0, E_BUS = 1, E_IOAPIC = 2, E_IOINT = 3, E_LINT = 4 };

static bool checksum_ok(const uint8_t *p, size_t len)
{
    uint8_t sum = 0;
    for (size_t i = 0; i < len; i++)
        sum += p[i];
    return sum == 0;
}

static uint16_t rd16(const uint8_t *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t rd32(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

bool mptable_parse_config(const uint8_t *t, size_t len, struct acpi_info *out)
{
    if (len < CFG_HEADER_LEN || memcmp(t, "PCMP", 4) != 0 || rd16(t + 4) > len ||
        rd16(t + 4) < CFG_HEADER_LEN || !checksum_ok(t, rd16(t + 4)))
        return false;
    size_t end = rd16(t + 4), off = CFG_HEADER_LEN;
    int isa_bus = -1, ioapic_id = -1;
    uint32_t ioapic_addr = 0;
    struct { uint8_t src, pin; uint16_t flags; } ints[16];
    bool have_int[16] = { false };
    /*
     * Entries: CPU 20 bytes, every other kind 8; walked by the table's length
     * (qboot leaves the entry count 0, and Linux reads by length too).
     * Interrupts may precede their bus: two passes.
     */
    while (off < end) {
        size_t elen = t[off] == E_CPU ? 20 : 8;
        if (t[off] > E_LINT || off + elen > end)
            break;
        const uint8_t *e = t + off;
        if (e[0] == E_BUS && memcmp(e + 2, "ISA   ", 6) == 0 && isa_bus < 0)
            isa_bus = e[1];
        else if (e[0] == E_IOAPIC && (e[3] & 1) && ioapic_id < 0) {
            ioapic_id = e[1];
            ioapic_addr = rd32(e + 4);
        }
        off += elen;
    }
    if (ioapic_id < 0 || !ioapic_addr)
        return false;
    off = CFG_HEADER_LEN;
    while (off < end) {
        size_t elen = t[off] == E_CPU ? 20 : 8;
        if (t[off] > E_LINT || off + elen > end)
            break;
        const uint8_t *e = t + off;
        /* A vectored interrupt from an ISA IRQ to a pin of our I/O APIC. */
        if (e[0] == E_IOINT && e[1] == 0 && e[4] == isa_bus && e[5] < 16 &&
            (e[6] == ioapic_id || e[6] == 0xff)) {
            ints[e[5]].pin = e[7];
            ints[e[5]].flags = rd16(e + 2);
            have_int[e[5]] = true;
        }
        off += elen;
    }
    out->ioapic_addr = ioapic_addr;
    out->ioapic_gsi_base = 0;
    for (unsigned i = 0; i < 16; i++) {
        out->isa_irq[i].gsi = have_int[i] ? ints[i].pin : i;
        out->isa_irq[i].flags = have_int[i] ? ints[i].flags : 0;
    }
    return true;
}

/* A checksummed floating pointer structure in [pa, pa + len), or 0. */
static paddr_t find_fps(paddr_t pa, size_t len)
{
    for (paddr_t p = pa; p + FPS_LEN <= pa + len; p += 16) {
        const uint8_t *f = phys_access(p, FPS_LEN);
        if (f && memcmp(f, "_MP_", 4) == 0 && f[8] == 1 && checksum_ok(f, FPS_LEN))
            return p;
    }
    return 0;
}

void mptable_parse(struct acpi_info *out)
{
    /* The first KiB of the EBDA, the last KiB of base memory, the BIOS ROM. */
    paddr_t fps = 0;
    const uint8_t *bda = phys_access(0x40e, 2);
    const uint8_t *base_kib = phys_access(0x413, 2);
    if (bda && rd16(bda))
        fps = find_fps((paddr_t)rd16(bda) << 4, 1024);
    unsigned kib = base_kib && rd16(base_kib) >= 1 && rd16(base_kib) <= 640 ? rd16(base_kib) : 640;
    if (!fps)
        fps = find_fps(((paddr_t)kib - 1) * 1024, 1024);
    if (!fps)
        fps = find_fps(0xf0000, 0x10000);
    if (!fps)
        return;
    const uint8_t *f = phys_access(fps, FPS_LEN);
    paddr_t cfg = rd32(f + 4);
    const uint8_t *h = cfg ? phys_access(cfg, CFG_HEADER_LEN) : NULL;
    if (!h || f[11] != 0)
        return;         /* no table, or one of the default configurations */
    const uint8_t *t = phys_access(cfg, rd16(h + 4));
    if (t && mptable_parse_config(t, rd16(h + 4), out))
        log_info("mptable: I/O APIC at %#x (no ACPI MADT)", out->ioapic_addr);
}
