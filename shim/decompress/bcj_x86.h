/*
 * xz's BCJ x86 filter, decoding side: turns the absolute addresses the
 * encoder wrote into E8/E9 (CALL/JMP rel32) operands back into relative ones.
 */
#ifndef PVSHIM_DECOMPRESS_BCJ_X86_H
#define PVSHIM_DECOMPRESS_BCJ_X86_H

#include <pvshim/types.h>

/*
 * Undo the filter over a whole block in place; start is the filter's
 * start offset (0 unless the block header says otherwise). The last four
 * bytes are never converted, exactly as the streaming filter leaves them.
 */
void bcj_x86_decode(uint8_t *buf, size_t size, uint32_t start);

#endif
