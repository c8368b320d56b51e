/*
 * The Linux x86 boot protocol's bzImage (Documentation/arch/x86/boot.rst):
 * real-mode setup sectors, then the protected-mode part whose compressed
 * kernel ELF (the payload) protocol 2.08 and later locate precisely. A
 * Xen PV loader needs only that payload.
 */
#include <pvshim/string.h>
#include "loader.h"

#define HDR_SETUP_SECTS     0x1f1
#define HDR_MAGIC           0x202   /* "HdrS" */
#define HDR_VERSION         0x206
#define HDR_PAYLOAD_OFFSET  0x248   /* from the protected-mode code (2.08+) */
#define HDR_PAYLOAD_LENGTH  0x24c
#define HDR_END             0x250
#define SECTOR              512
#define PROTOCOL_PAYLOAD    0x0208

bool bzimage_detect(const uint8_t *mod, size_t len)
{
    return len >= HDR_MAGIC + 4 && memcmp(mod + HDR_MAGIC, "HdrS", 4) == 0;
}

int bzimage_payload(const uint8_t *mod, size_t len, const uint8_t **payload,
                    size_t *payload_len, struct loader_err *e)
{
    if (len < HDR_VERSION + 2)
        return loader_fail(e, "truncated bzImage: setup header beyond end of file");
    unsigned version = rd16(mod + HDR_VERSION);
    if (version < PROTOCOL_PAYLOAD)
        return loader_fail(e, "bzImage boot protocol %u.%02u is older than 2.08 and does not "
                           "locate its payload", version >> 8, version & 0xff);
    if (len < HDR_END)
        return loader_fail(e, "truncated bzImage: setup header beyond end of file");

    /* A setup_sects of 0 means 4, for compatibility with ancient kernels. */
    unsigned sects = mod[HDR_SETUP_SECTS] ? mod[HDR_SETUP_SECTS] : 4;
    uint64_t off = (uint64_t)(sects + 1) * SECTOR + rd32(mod + HDR_PAYLOAD_OFFSET);
    uint64_t plen = rd32(mod + HDR_PAYLOAD_LENGTH);
    if (plen == 0)
        return loader_fail(e, "bzImage has an empty payload");
    if (!range_ok(off, plen, len))
        return loader_fail(e, "truncated bzImage: payload (0x%llx bytes at 0x%llx) beyond "
                           "end of file", (unsigned long long)plen, (unsigned long long)off);
    *payload = mod + off;
    *payload_len = plen;
    return 0;
}
