/*
 * The pages pvshim shares with a 32-bit guest, in their 32-bit layout
 * (struct shared_info_x86_32 and vcpu_info_x86_32 of xen/foreign/x86_32.h):
 * 32-bit event words (so 1024 ports, one selector bit per 32 ports), the
 * event mask at byte 2176, the wall clock at 2304, arch at 2316 (wc_sec_hi
 * at its end), CR2 at byte 8 of vcpu_info, and the 44-byte runstate area.
 * The vcpu_time_info at byte 32 of vcpu_info is the same for both widths.
 */
#include "compat.h"
#include "evtchn_port.h"
#include "event_channel.h"
#include <pvshim/guest_access.h>

STATIC_ASSERT(offsetof(struct shared_info_x86_32, evtchn_mask) == 2176, "32-bit shared_info");
STATIC_ASSERT(offsetof(struct shared_info_x86_32, wc_version) == 2304, "32-bit shared_info");
STATIC_ASSERT(offsetof(struct shared_info_x86_32, arch) == 2316, "32-bit shared_info");
STATIC_ASSERT(offsetof(struct vcpu_info_x86_32, time) ==
              offsetof(struct vcpu_info, time), "vcpu_time_info shared by both widths");
STATIC_ASSERT(EVTCHN_PORTS <= 32 * 32, "2-level ports of a 32-bit guest");

static struct shared_info_x86_32 *shinfo(void)
{
    return (struct shared_info_x86_32 *)dom.shared_info;
}

/* The vcpu_info of the vCPU an event on port notifies. */
static struct vcpu_info_x86_32 *vinfo(evtchn_port_t port)
{
    return (struct vcpu_info_x86_32 *)evtchn_notify_vcpu(port)->vcpu_info;
}

/* The guest updates these words concurrently from its side: atomics only. */
static bool test_bit32(const uint32_t *w, unsigned bit)
{
    return (__atomic_load_n(&w[bit / 32], __ATOMIC_ACQUIRE) >> (bit % 32)) & 1;
}

static bool test_and_set_bit32(uint32_t *w, unsigned bit)
{
    uint32_t m = 1u << (bit % 32);
    return __atomic_fetch_or(&w[bit / 32], m, __ATOMIC_SEQ_CST) & m;
}

static bool test_and_clear_bit32(uint32_t *w, unsigned bit)
{
    uint32_t m = 1u << (bit % 32);
    return __atomic_fetch_and(&w[bit / 32], ~m, __ATOMIC_SEQ_CST) & m;
}

static void c2l_bound(evtchn_port_t port)
{
}

/* Pending bit, then selector bit (one per 32 ports), then the upcall flag. */
static bool c2l_set_pending(evtchn_port_t port)
{
    struct shared_info_x86_32 *s = shinfo();
    struct vcpu_info_x86_32 *vi = vinfo(port);
    if (test_and_set_bit32(s->evtchn_pending, port))
        return false;
    if (!test_bit32(s->evtchn_mask, port) &&
        !test_and_set_bit32(&vi->evtchn_pending_sel, port / 32))
        __atomic_store_n(&vi->evtchn_upcall_pending, 1, __ATOMIC_SEQ_CST);
    return true;
}

static void c2l_clear_pending(evtchn_port_t port)
{
    test_and_clear_bit32(shinfo()->evtchn_pending, port);
}

static void c2l_unmask(evtchn_port_t port)
{
    struct shared_info_x86_32 *s = shinfo();
    struct vcpu_info_x86_32 *vi = vinfo(port);
    if (test_and_clear_bit32(s->evtchn_mask, port) && test_bit32(s->evtchn_pending, port) &&
        !test_and_set_bit32(&vi->evtchn_pending_sel, port / 32))
        __atomic_store_n(&vi->evtchn_upcall_pending, 1, __ATOMIC_SEQ_CST);
}

static bool c2l_is_pending(evtchn_port_t port)
{
    return test_bit32(shinfo()->evtchn_pending, port);
}

static bool c2l_is_busy(evtchn_port_t port)
{
    return false;
}

const struct evtchn_port_ops evtchn_2l_compat_ops = {
    .bound = c2l_bound,
    .set_pending = c2l_set_pending,
    .clear_pending = c2l_clear_pending,
    .unmask = c2l_unmask,
    .is_pending = c2l_is_pending,
    .is_busy = c2l_is_busy,
    .set_priority = NULL,
};

void compat_publish_wallclock(uint64_t wc_ns)
{
    struct shared_info_x86_32 *s = shinfo();
    uint64_t sec = wc_ns / 1000000000ull;
    s->wc_version++;
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    s->wc_sec = (uint32_t)sec;
    s->wc_nsec = (uint32_t)(wc_ns % 1000000000ull);
    s->arch.wc_sec_hi = (uint32_t)(sec >> 32);
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    s->wc_version++;
}

void compat_set_cr2(struct vcpu_info *vi, uint64_t cr2)
{
    ((struct vcpu_info_x86_32 *)vi)->arch.cr2 = (uint32_t)cr2;
}

void compat_set_max_pfn(uint64_t max_pfn)
{
    shinfo()->arch.max_pfn = (uint32_t)max_pfn;
}

uint64_t compat_max_pfn(void)
{
    return shinfo()->arch.max_pfn;
}

/* As pv_runstate_publish(), in the 44-byte layout (state_entry_time at 4). */
void compat_runstate_publish(struct pv_vcpu *v)
{
    if (!v->runstate_area)
        return;
    const vaddr_t at = v->runstate_area;
    const vaddr_t entry_time = at + offsetof(struct compat_vcpu_runstate_info, state_entry_time);
    struct compat_vcpu_runstate_info rs = {
        .state = v->runstate.state, .state_entry_time = v->runstate.state_entry_time,
    };
    for (unsigned i = 0; i < 4; i++)
        rs.time[i] = v->runstate.time[i];
    if (dom.vm_assist & (1ul << VMASST_TYPE_runstate_update_flag)) {
        uint64_t t = rs.state_entry_time | XEN_RUNSTATE_UPDATE;
        copy_to_guest(entry_time, &t, sizeof(t));
        __atomic_thread_fence(__ATOMIC_SEQ_CST);
        rs.state_entry_time |= XEN_RUNSTATE_UPDATE;
        copy_to_guest(at, &rs, sizeof(rs));
        __atomic_thread_fence(__ATOMIC_SEQ_CST);
        rs.state_entry_time &= ~XEN_RUNSTATE_UPDATE;
        copy_to_guest(entry_time, &rs.state_entry_time, sizeof(rs.state_entry_time));
    } else {
        copy_to_guest(at, &rs, sizeof(rs));
    }
}
