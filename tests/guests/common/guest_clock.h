/*
 * A PV guest's clock, shared by our test guests of both widths: system
 * time now = system_time + (TSC - tsc_timestamp) scaled by the vCPU's
 * vcpu_time_info (public/xen.h), read under its version protocol (odd:
 * being updated). system_time alone is the time of the last update.
 */
#ifndef GUEST_CLOCK_H
#define GUEST_CLOCK_H

#include <stdint.h>

static inline uint64_t guest_rdtsc(void)
{
    uint32_t lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return ((uint64_t)hi << 32) | lo;
}

/* (delta << shift) * mul / 2^32, without a 96-bit product (i386 has none). */
static inline uint64_t guest_tsc_scale(uint64_t delta, const volatile struct vcpu_time_info *t)
{
    if (t->tsc_shift < 0)
        delta >>= -t->tsc_shift;
    else
        delta <<= t->tsc_shift;
    uint32_t hi = (uint32_t)(delta >> 32), lo = (uint32_t)delta;
    return (uint64_t)hi * t->tsc_to_system_mul +
           (((uint64_t)lo * t->tsc_to_system_mul) >> 32);
}

static inline uint64_t guest_system_time(const volatile struct vcpu_time_info *t)
{
    uint32_t v;
    uint64_t now;
    do {
        v = t->version;
        __atomic_thread_fence(__ATOMIC_ACQUIRE);
        now = t->system_time + guest_tsc_scale(guest_rdtsc() - t->tsc_timestamp, t);
        __atomic_thread_fence(__ATOMIC_ACQUIRE);
    } while ((v & 1) || v != t->version);
    return now;
}

#endif
