/*
 * pvshim's GDT layout. The GDT window is 16 pages: pages 0-13 are the
 * guest's (set_gdt), pages 14-15 (entries 7168 and up, selectors 0xe000
 * and up) are pvshim's, as the PV ABI reserves them. The guest-visible flat
 * selectors (FLAT_RING3_* in Xen's public headers) are here too.
 */
#ifndef PVSHIM_SELECTORS_H
#define PVSHIM_SELECTORS_H

#define GDT_ENTRIES             8192
#define GDT_FIRST_RESERVED      7168
#define SEL_HYP_CS              0xe008  /* pvshim 64-bit code, DPL 0 */
#define SEL_HYP_DS              0xe010  /* pvshim data, DPL 0 */
#define SEL_RING3_CS32          0xe023  /* FLAT_RING3_CS32 */
#define SEL_RING3_DS            0xe02b  /* FLAT_RING3_DS64/SS64 */
#define SEL_RING3_CS64          0xe033  /* FLAT_RING3_CS64 = FLAT_KERNEL_CS */
#define SEL_TSS                 0xe040  /* 16-byte system descriptor */
#define SEL_LDT                 0xe050  /* 16-byte system descriptor */

#endif
