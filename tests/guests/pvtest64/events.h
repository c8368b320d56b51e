/* Event channel helpers shared by events.c and time.c. */
#ifndef PVTEST_EVENTS_H
#define PVTEST_EVENTS_H

#include "pvtest.h"

#define MAX_PORTS 256
extern volatile unsigned event_count[MAX_PORTS];
extern volatile unsigned upcalls;

void events_install_handler(void);        /* the default upcall handler */
long bind_virq(unsigned virq);            /* port or -error */
long evtchn_close(unsigned port);
void port_mask(unsigned port, bool masked);
bool port_pending(unsigned port);
void port_clear(unsigned port);
/* Unmask upcalls and make Xen look (a cheap hypercall), mask again. */
void deliver_pending(void);
uint64_t system_time_ns(void);            /* from vcpu 0's time info */

#endif
