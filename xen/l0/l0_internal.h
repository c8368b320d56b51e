/* Shared inside xen/l0 only. */
#ifndef PVSHIM_L0_INTERNAL_H
#define PVSHIM_L0_INTERNAL_H

#include <pvshim/types.h>
#include <pvshim/xen_abi.h>
#include "services.h"

/* Slots of the arch's map_frame. */
#define L0_SLOT_CONSOLE 0
#define L0_SLOT_STORE   1
#define L0_SLOT_SHARED_INFO 2

long l0_hypercall(unsigned nr, unsigned long a1, unsigned long a2, unsigned long a3);
long l0_hvm_get_param(uint32_t index, uint64_t *value);
long l0_hvm_set_param(uint32_t index, uint64_t value);
/* L0's shared_info once l0_wallclock_ns mapped it, else NULL. */
volatile struct shared_info *l0_shared_info(void);
void l0_notify(evtchn_port_t port);
void *l0_map(uint64_t gfn, unsigned slot);

/* The xenstore relay (store_relay.c). */
bool l0_store_available(void);
evtchn_port_t l0_store_bind(void);
/* offset_kib: what pvshim keeps, taken off the guest's memory/target reads. */
void l0_store_attach(mfn_t ring_mfn, domid_t domid, uint64_t offset_kib);
/* L0 signalled the store port: move what waits. */
void l0_store_kick(void);
evtchn_port_t l0_store_port(void);
/* After a restore: L0's store port again (its number may change), the
 * domain's new id for the target paths. false if L0 gives no store. */
bool l0_store_reconnect(domid_t domid);

/* The arch's upcall vector for fn; 0 if none. */
uint8_t l0_route_upcall(void (*fn)(void));
/* L0's events work: the guest's event channels and grant frames are L0's
 * from now on (l0_services). */
void l0_forwarding_on(void);
/* After a restore, L0's shared_info mapped again: every L0 port masked,
 * the upcall vector set again, the store port unmasked (evtchn_l0.c). */
bool l0_events_reconnect(void);
extern struct xen_services l0_services;
/* After a restore (a new domain at L0): the domain's id, L0's console
 * port, shared_info, wall clock, xenstore and upcall again (l0.c). */
bool l0_reconnect(void);
/* Unmask the xenstore relay's L0 port (evtchn_l0.c). */
void l0_events_watch_store(void);

/* Event channels (evtchn_l0.c) and grant frames (gnttab_l0.c). */
struct evtchn_forward;
extern const struct evtchn_forward l0_evtchn_forward;
long l0_gnttab_frame(unsigned idx, mfn_t mfn);
/* The guest's balloon (balloon_l0.c); frames given to L0 and not back yet. */
extern const struct mem_forward l0_mem_forward;
uint64_t l0_ballooned_frames(void);
/* The same, as a pointer taken where the kernel is linked (not in code). */
extern const gnttab_frame_fn l0_gnttab_frame_fn;

#endif
