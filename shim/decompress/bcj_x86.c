/*
 * The x86 branch converter. prev_mask remembers, for the last few bytes,
 * where an E8/E9 was seen but not converted (bit 0, shifted along as the
 * position advances) and whether its fourth operand byte looked like an
 * address high byte (bit 4); conversion depends on that history exactly
 * as in the encoder, so both sides agree on which bytes were touched.
 */
#include "bcj_x86.h"
#include "lz_copy.h"

static inline bool is_addr_high_byte(uint8_t b)
{
    return b == 0x00 || b == 0xff;
}

/*
 * Rounds of the re-conversion loop. Reachable inputs need at most two
 * (sampled over millions of operand/position pairs); the bound only
 * guarantees termination on hostile data.
 */
#define BCJ_X86_MAX_ROUNDS 8

void bcj_x86_decode(uint8_t *buf, size_t size, uint32_t start)
{
    /* Byte of the operand to test again, indexed by prev_mask >> 1 (1, 2 or 4). */
    static const uint8_t recheck_byte[5] = { 0, 1, 2, 2, 3 };
    uint32_t prev_mask = 0;
    size_t prev_end = 0;    /* position of the last E8/E9 plus 5; as if one sat at -5 */
    size_t i = 0;

    if (size < 5)
        return;
    while (i <= size - 5) {
        uint8_t b;
        if (size - i >= 8) {
            /* Skip eight bytes at a time while none is E8 or E9 (the common case). */
            uint64_t x = (lz_le64(buf + i) & 0xfefefefefefefefeull) ^ 0xe8e8e8e8e8e8e8e8ull;
            uint64_t zero = (x - 0x0101010101010101ull) & ~x & 0x8080808080808080ull;
            if (!zero) {
                i += 8;
                continue;
            }
            /* The lowest flagged byte is a true E8/E9 (borrows only run upwards). */
            i += (size_t)__builtin_ctzll(zero) >> 3;
            if (i > size - 5)
                break;
        } else if ((buf[i] & 0xfe) != 0xe8) {
            i++;
            continue;
        }

        size_t gap = i + 5 - prev_end;
        prev_end = i + 5;
        if (gap > 5) {
            prev_mask = 0;
        } else {
            for (size_t k = 0; k < gap; k++)
                prev_mask = (prev_mask & 0x77) << 1;
        }

        b = buf[i + 4];
        if (is_addr_high_byte(b) && (prev_mask >> 1) <= 4 && (prev_mask >> 1) != 3) {
            uint32_t src = (uint32_t)buf[i + 1] | (uint32_t)buf[i + 2] << 8 |
                           (uint32_t)buf[i + 3] << 16 | (uint32_t)b << 24;
            uint32_t here = start + (uint32_t)i + 5;
            uint32_t dest = src - here;
            for (int round = 0; prev_mask != 0 && round < BCJ_X86_MAX_ROUNDS; round++) {
                unsigned shift = 8 * recheck_byte[prev_mask >> 1];
                if (!is_addr_high_byte((uint8_t)(dest >> (24 - shift))))
                    break;
                src = dest ^ ((1u << (32 - shift)) - 1);
                dest = src - here;
            }
            buf[i + 1] = (uint8_t)dest;
            buf[i + 2] = (uint8_t)(dest >> 8);
            buf[i + 3] = (uint8_t)(dest >> 16);
            buf[i + 4] = (dest >> 24) & 1 ? 0xff : 0x00;
            i += 5;
            prev_mask = 0;
        } else {
            i++;
            prev_mask |= 1;
            if (is_addr_high_byte(b))
                prev_mask |= 0x10;
        }
    }
}
