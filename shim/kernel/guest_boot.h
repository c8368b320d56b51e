/*
 * The two ways a guest starts (shim/kernel/): built from a kernel image
 * (guest_boot.c) or restored from a save file (guest_restore.c), and the
 * steps they share.
 */
#ifndef PVSHIM_KERNEL_GUEST_BOOT_H
#define PVSHIM_KERNEL_GUEST_BOOT_H

#include <pvshim/bootinfo.h>
#include <pvshim/memmap.h>
#include <pvshim/options.h>
#include <pvshim/cpu_regs.h>
#include <pvshim/types.h>
#include <xen/event_channel.h>
#include "devices.h"
#include "vbd.h"
#include "vif.h"

/* n frames for pvshim's own use (zeroed by take), counted in the boot log's footprint. */
mfn_t take_frames(uint64_t n, uint64_t align, const char *what, bool zero);
mfn_t take(uint64_t n, uint64_t align, const char *what);
/* The builder's and the restore's report of frames given to the guest. */
void assign_to_guest(mfn_t first, uint64_t n);

/*
 * The VMM's disks and NICs pvshim drives (probed before the guest gets the
 * rest of memory: their queues are pvshim's), and, once the guest's
 * xenstore exists, a vbd and a vif for each.
 */
struct guest_devices {
    struct blkdev *disks[VBD_MAX];
    struct netdev *nics[VIF_MAX];
    struct device_list list;
};
void guest_devices_probe(struct guest_devices *d, const struct pvshim_options *o);
void guest_devices_attach(const struct guest_devices *d);

/*
 * The domain around the guest, built or restored: M2P, frame table, PV MMU,
 * shared_info, vCPUs (one per CPU of the VM, at most max_vcpus), the
 * provider, event channels, the console and xenstore ports.
 */
void guest_domain_setup(const struct memmap *m, unsigned max_vcpus, mfn_t *max_mfn,
                        evtchn_port_t *console_port, evtchn_port_t *xenstore_port);
/* trace=abi's counters (taken before the guest gets the rest) and trace=boot's lock counts. */
void guest_traces_setup(const struct pvshim_options *o);

/*
 * CPU policy, time, then enter the guest on tables l4 with registers entry.
 * fsgsbase: offer RD/WR{FS,GS}BASE (the hardware's, if it has them).
 * before_entry (may be NULL) runs after the vCPU's emulation state is
 * reset and before time starts.
 */
void guest_start(mfn_t l4, const struct cpu_regs *entry, mfn_t max_mfn,
                 const struct pvshim_options *o, bool fsgsbase, void (*before_entry)(void))
    __attribute__((noreturn));

/* Module 0 is a save file: restore the domain in it and resume it. */
void guest_restore(const struct boot_info *bi, const struct memmap *m,
                   const struct pvshim_options *o) __attribute__((noreturn));

#endif
