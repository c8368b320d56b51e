/* Compiler attributes and small generic macros. */
#ifndef PVSHIM_COMPILER_H
#define PVSHIM_COMPILER_H

#define NORETURN        __attribute__((noreturn))
#define PACKED          __attribute__((packed))
#define ALIGNED(n)      __attribute__((aligned(n)))
#define UNUSED          __attribute__((unused))
#define SECTION(s)      __attribute__((section(s)))
#define PRINTF_LIKE(f, a) __attribute__((format(printf, f, a)))
#define WARN_UNUSED     __attribute__((warn_unused_result))
#define ALWAYS_INLINE   __attribute__((always_inline))
#define NOINLINE        __attribute__((noinline))

#define likely(x)       __builtin_expect(!!(x), 1)
#define unlikely(x)     __builtin_expect(!!(x), 0)

#define ARRAY_SIZE(a)   (sizeof(a) / sizeof((a)[0]))
#define MIN(a, b)       ((a) < (b) ? (a) : (b))
#define MAX(a, b)       ((a) > (b) ? (a) : (b))
/* Power-of-two alignment helpers. */
#define ALIGN_UP(x, a)   (((x) + ((a) - 1)) & ~((__typeof__(x))(a) - 1))
#define ALIGN_DOWN(x, a) ((x) & ~((__typeof__(x))(a) - 1))
#define IS_ALIGNED(x, a) (((x) & ((__typeof__(x))(a) - 1)) == 0)
#define DIV_ROUND_UP(n, d) (((n) + (d) - 1) / (d))

#define STATIC_ASSERT(c, msg) _Static_assert(c, msg)

/*
 * Zero-initialised static data whose frames pvshim gives back once it knows
 * it will not need them (pvshim.ld, shim/kernel/image_reclaim.c):
 *  BUILD_ONLY    used only to build a guest from a kernel image (before the
 *                guest gets its memory); freed then, and at once on a restore
 *  RESTORE_ONLY  used only to restore a saved guest; freed when one is built
 *  RECLAIM_TAIL  the image's last object, `dom`: its vCPU array past the
 *                VM's vCPUs is freed once their number is known
 */
#define BUILD_ONLY      SECTION(".bss.reclaim_build")
#define RESTORE_ONLY    SECTION(".bss.reclaim_restore")
#define RECLAIM_TAIL    SECTION(".bss.reclaim_tail")

#define container_of(ptr, type, member) \
    ((type *)((char *)(ptr) - offsetof(type, member)))

#endif
