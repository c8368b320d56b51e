/* Memory-map handling: the firmware's word is checked before it is used. */
#include <pvshim/memmap.h>
#include <pvshim/compiler.h>
#include <pvshim/string.h>

#define PHYS_ADDR_LIMIT ((uint64_t)1 << 52)

const char *memmap_type_name(uint32_t type)
{
    switch (type) {
    case MEM_RAM:       return "RAM";
    case MEM_RESERVED:  return "reserved";
    case MEM_ACPI:      return "ACPI";
    case MEM_NVS:       return "ACPI NVS";
    case MEM_UNUSABLE:  return "unusable";
    case MEM_DISABLED:  return "disabled";
    case MEM_PMEM:      return "persistent";
    default:            return "unknown";
    }
}

bool memmap_add(struct memmap *m, uint64_t start, uint64_t size, uint32_t type)
{
    if (size == 0)
        return true;
    if (m->nr >= MEMMAP_MAX)
        return false;
    m->e[m->nr++] = (struct memmap_entry){ .start = start, .size = size, .type = type };
    return true;
}

/* Which of two claims on the same byte stands: anything beats RAM. */
static uint32_t stronger_type(uint32_t a, uint32_t b)
{
    if (a == 0) return b;
    if (b == 0) return a;
    if (a == MEM_RAM) return b;
    if (b == MEM_RAM) return a;
    return a > b ? a : b;
}

static void sort_u64(uint64_t *v, unsigned n)
{
    for (unsigned i = 1; i < n; i++) {
        uint64_t x = v[i];
        unsigned j = i;
        for (; j > 0 && v[j - 1] > x; j--)
            v[j] = v[j - 1];
        v[j] = x;
    }
}

void memmap_sanitize(struct memmap *m)
{
    /* Clip every entry to the physical address space; wrapping ends clip too. */
    uint64_t bounds[2 * MEMMAP_MAX];
    unsigned nb = 0;
    struct memmap in = *m;
    for (unsigned i = 0; i < in.nr; i++) {
        struct memmap_entry *e = &in.e[i];
        uint64_t end = e->start + e->size;
        if (end < e->start || end > PHYS_ADDR_LIMIT)
            end = PHYS_ADDR_LIMIT;
        if (e->start >= end) {
            e->size = 0;
            continue;
        }
        e->size = end - e->start;
        bounds[nb++] = e->start;
        bounds[nb++] = end;
    }
    sort_u64(bounds, nb);

    /* Walk the elementary intervals between boundaries; one type wins each. */
    struct memmap out = { .nr = 0 };
    for (unsigned b = 0; b + 1 < nb; b++) {
        uint64_t lo = bounds[b], hi = bounds[b + 1];
        if (lo == hi)
            continue;
        uint32_t type = 0;
        for (unsigned i = 0; i < in.nr; i++) {
            const struct memmap_entry *e = &in.e[i];
            if (e->size && e->start <= lo && hi <= e->start + e->size)
                type = stronger_type(type, e->type);
        }
        if (type == 0)
            continue;   /* a hole */
        struct memmap_entry *last = out.nr ? &out.e[out.nr - 1] : NULL;
        if (last && last->type == type && last->start + last->size == lo)
            last->size += hi - lo;
        else if (out.nr < MEMMAP_MAX)
            out.e[out.nr++] = (struct memmap_entry){ lo, hi - lo, type };
    }

    /* RAM is only usable in whole pages. */
    m->nr = 0;
    for (unsigned i = 0; i < out.nr; i++) {
        struct memmap_entry e = out.e[i];
        if (e.type == MEM_RAM) {
            uint64_t s = ALIGN_UP(e.start, PAGE_SIZE);
            uint64_t t = ALIGN_DOWN(e.start + e.size, PAGE_SIZE);
            if (t <= s)
                continue;
            e.start = s;
            e.size = t - s;
        }
        m->e[m->nr++] = e;
    }
}

void memmap_limit_ram(struct memmap *m, uint64_t limit)
{
    unsigned j = 0;
    for (unsigned i = 0; i < m->nr; i++) {
        struct memmap_entry e = m->e[i];
        if (e.type == MEM_RAM) {
            if (e.start >= limit)
                continue;
            if (e.start + e.size > limit)
                e.size = limit - e.start;
        }
        m->e[j++] = e;
    }
    m->nr = j;
}

uint64_t memmap_ram_bytes(const struct memmap *m)
{
    uint64_t total = 0;
    for (unsigned i = 0; i < m->nr; i++)
        if (m->e[i].type == MEM_RAM)
            total += m->e[i].size;
    return total;
}
