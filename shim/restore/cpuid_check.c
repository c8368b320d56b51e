/* The saved CPUID policy against pvshim's offer (include/pvshim/restore_cpuid.h). */
#include <pvshim/restore_cpuid.h>
#include <pvshim/save_stream.h>
#include <pvshim/error.h>
#include <pvshim/string.h>

#define SUB_ANY 0xffffffffu     /* the leaf has no subleaves */
enum { EAX, EBX, ECX, EDX };

static const struct word {
    uint32_t leaf, subleaf;
    unsigned reg;
    uint32_t ignore;            /* bits that are not features */
    const char *names[32];      /* NULL: unnamed */
} words[] = {
    { 1, SUB_ANY, ECX, 1u << 27 | 1u << 31, {
        [0] = "SSE3", [1] = "PCLMULQDQ", [9] = "SSSE3", [12] = "FMA", [13] = "CX16",
        [17] = "PCID", [19] = "SSE4.1", [20] = "SSE4.2", [22] = "MOVBE", [23] = "POPCNT",
        [25] = "AES", [26] = "XSAVE", [28] = "AVX", [29] = "F16C", [30] = "RDRAND" } },
    { 1, SUB_ANY, EDX, 0, {
        [0] = "FPU", [4] = "TSC", [8] = "CX8", [15] = "CMOV", [19] = "CLFLUSH",
        [23] = "MMX", [24] = "FXSR", [25] = "SSE", [26] = "SSE2" } },
    { 7, 0, EBX, 0, {
        [0] = "FSGSBASE", [3] = "BMI1", [4] = "HLE", [5] = "AVX2", [7] = "SMEP", [8] = "BMI2",
        [9] = "ERMS", [10] = "INVPCID", [11] = "RTM", [16] = "AVX512F", [18] = "RDSEED",
        [19] = "ADX", [20] = "SMAP", [23] = "CLFLUSHOPT", [24] = "CLWB", [29] = "SHA" } },
    { 7, 0, ECX, 1u << 4, {
        [1] = "AVX512_VBMI", [2] = "UMIP", [3] = "PKU", [8] = "GFNI", [9] = "VAES",
        [10] = "VPCLMULQDQ", [22] = "RDPID" } },
    { 7, 0, EDX, 0, { [4] = "FSRM", [26] = "IBRSB", [27] = "STIBP", [31] = "SSBD" } },
    { 7, 1, EAX, 0, { [4] = "AVX_VNNI", [5] = "AVX512_BF16", [10] = "FZRM", [11] = "FSRS",
                      [12] = "FSRCS" } },
    { 0xd, 1, EAX, 0, { [0] = "XSAVEOPT", [1] = "XSAVEC", [2] = "XGETBV1", [3] = "XSAVES" } },
    { 0x80000001, SUB_ANY, ECX, 0, {
        [0] = "LAHF_LM", [5] = "ABM", [6] = "SSE4A", [8] = "PREFETCHW", [11] = "XOP",
        [16] = "FMA4", [21] = "TBM" } },
    { 0x80000001, SUB_ANY, EDX, 0, {
        [11] = "SYSCALL", [20] = "NX", [22] = "MMXEXT", [26] = "PAGE1GB", [27] = "RDTSCP",
        [29] = "LM" } },
};

static const char *const reg_names[] = { "eax", "ebx", "ecx", "edx" };

int restore_check_cpuid(const uint8_t *policy, uint32_t len, restore_cpuid_fn offered,
                        char *err, size_t errlen)
{
    char missing[256];
    size_t used = 0;
    unsigned n = 0;
    missing[0] = '\0';
    for (uint32_t off = 0; off + SAVE_CPUID_ENTRY_LEN <= len; off += SAVE_CPUID_ENTRY_LEN) {
        const uint8_t *e = policy + off;
        uint32_t leaf = save_le32(e), sub = save_le32(e + 4);
        for (unsigned w = 0; w < sizeof(words) / sizeof(words[0]); w++) {
            const struct word *wd = &words[w];
            if (wd->leaf != leaf || (wd->subleaf != SUB_ANY && wd->subleaf != sub))
                continue;
            uint32_t saw = save_le32(e + 8 + 4 * wd->reg) & ~wd->ignore;
            uint32_t have[4];
            offered(leaf, wd->subleaf == SUB_ANY ? 0 : sub, have);
            uint32_t lack = saw & ~have[wd->reg];
            for (unsigned b = 0; b < 32; b++) {
                if (!(lack >> b & 1))
                    continue;
                char one[48];
                if (wd->names[b])
                    snprintf(one, sizeof(one), " %s", wd->names[b]);
                else
                    snprintf(one, sizeof(one), " %#x.%s[%u]", leaf, reg_names[wd->reg], b);
                size_t l = strlen(one);
                if (used + l < sizeof(missing)) {
                    memcpy(missing + used, one, l + 1);
                    used += l;
                }
                n++;
            }
        }
    }
    if (n)
        return error_set(err, errlen, -1, "save stream: X86_CPUID_POLICY: the saved guest saw %u "
                         "CPU feature%s pvshim does not offer here (its code may use them):%s",
                         n, n == 1 ? "" : "s", missing);
    return 0;
}
