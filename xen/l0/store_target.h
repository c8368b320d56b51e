/*
 * The guest's balloon target on a Xen host. xl writes memory/target for the
 * whole domain (it gives a shim nothing extra), but the guest gets that
 * less what pvshim keeps; a balloon driver aiming at xl's number asks for
 * memory that does not exist, for ever. So the xenstore relay answers the
 * guest's reads of its memory/target with xl's number less pvshim's share
 * (offset_kib); `xl mem-set` then moves the guest's target by as much as
 * xl's. Pure byte logic: the relay feeds it the request stream and each
 * complete reply.
 */
#ifndef PVSHIM_L0_STORE_TARGET_H
#define PVSHIM_L0_STORE_TARGET_H

#include <pvshim/types.h>
#include <pvshim/xen_abi.h>
#include <xen/io/xs_wire.h>

#define XS_TARGET_PENDING 16    /* target reads in flight at once */
#define XS_TARGET_PATH    64    /* bytes of a request's path looked at */

struct xs_target {
    domid_t domid;
    uint64_t offset_kib;
    /* The request being read. */
    struct xsd_sockmsg hdr;
    unsigned hdr_have;
    uint32_t body_left;
    char path[XS_TARGET_PATH];
    unsigned path_have;
    /* req_ids of target reads whose reply has not come. */
    uint32_t pending[XS_TARGET_PENDING];
    unsigned nr_pending;
};

void xs_target_init(struct xs_target *t, domid_t domid, uint64_t offset_kib);
/* Each byte the guest sends to xenstored, in order. */
void xs_target_request_byte(struct xs_target *t, char c);
/* A complete reply (header and payload) in msg, which has room for
 * sizeof(struct xsd_sockmsg) + XENSTORE_PAYLOAD_MAX bytes: rewritten in
 * place if it answers a target read. Returns its length. */
uint32_t xs_target_reply(struct xs_target *t, char *msg);

#endif
