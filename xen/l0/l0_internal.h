/* Shared inside xen/l0 only. */
#ifndef PVSHIM_L0_INTERNAL_H
#define PVSHIM_L0_INTERNAL_H

#include <pvshim/types.h>
#include <pvshim/xen_abi.h>

/* Slots of the arch's map_frame. */
#define L0_SLOT_CONSOLE 0
#define L0_SLOT_STORE   1
#define L0_SLOT_SHARED_INFO 2

long l0_hvm_get_param(uint32_t index, uint64_t *value);
void l0_notify(evtchn_port_t port);
void *l0_map(uint64_t gfn, unsigned slot);

/* The xenstore relay (store_relay.c). */
bool l0_store_available(void);
evtchn_port_t l0_store_bind(void);
void l0_store_attach(mfn_t ring_mfn);

#endif
