/*
 * The Xen public headers, as the system ships them (Debian libxen-dev), in
 * the one configuration pvshim uses. Include this, not <xen/...> directly.
 */
#ifndef PVSHIM_XEN_ABI_H
#define PVSHIM_XEN_ABI_H

#include <pvshim/types.h>
#include <xen/xen.h>
#include <xen/errno.h>
#include <xen/elfnote.h>
#include <xen/features.h>
#include <xen/version.h>
#include <xen/memory.h>
#include <xen/event_channel.h>
#include <xen/sched.h>
#include <xen/vcpu.h>
#include <xen/callback.h>
#include <xen/physdev.h>
#include <xen/grant_table.h>
#include <xen/nmi.h>
#include <xen/io/console.h>
#include <xen/io/xs_wire.h>

/* Hypercall results are negative Xen errno values: return -XEN_EINVAL etc. */

#endif
