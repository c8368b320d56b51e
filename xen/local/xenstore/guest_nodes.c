/*
 * The guest's part of the tree, as libxl creates it for a PV domU
 * (libxl__domain_make, libxl__build_post, the primary console) and as
 * docs/misc/xenstore-paths.pandoc describes it:
 *
 *   /local/domain/<D>            dom0's, guest may read (so are cpu, memory,
 *                                device, control and what dom0 writes in them)
 *   ~/control/{shutdown,sysrq,feature-*}, ~/device/suspend/event-channel,
 *   ~/{data,drivers,feature,attr,error}      the guest's own (it may write)
 *   ~/console                    the console frontend, read-only for the guest
 *   /vm/<uuid>                   dom0's, guest may read
 *   /local/domain/0/backend/console/<D>/0    the console backend (pvshim)
 */
#include <pvshim/string.h>
#include "xs.h"

#define PATH_LEN 128

static struct xs_ctx dom0_ctx = { .conn = &xstore.dom0, .tx = NULL };

static int put(const char *path, const char *value)
{
    return op_write(&dom0_ctx, path, value, strlen(value));
}

/* libxl__xs_mknod: an empty node with the given permissions. */
static int mknod(const char *path, const struct xs_perm *perms, unsigned n)
{
    int err = op_write(&dom0_ctx, path, "", 0);
    return err ? err : op_set_perms(&dom0_ctx, path, perms, n);
}

static int put_perms(const char *path, const char *value, const struct xs_perm *perms, unsigned n)
{
    int err = put(path, value);
    return err ? err : op_set_perms(&dom0_ctx, path, perms, n);
}

struct builder {
    int err;
    char path[PATH_LEN];
    char value[PATH_LEN];
};

/* The first error sticks; later steps then do nothing. */
static const char *at(struct builder *b, const char *base, const char *rel)
{
    snprintf(b->path, sizeof(b->path), "%s/%s", base, rel);
    return b->path;
}

static void step(struct builder *b, int err)
{
    if (!b->err)
        b->err = err;
}

static void make(struct builder *b, const char *base, const char *rel,
                 const struct xs_perm *perms, unsigned n)
{
    if (!b->err)
        step(b, mknod(at(b, base, rel), perms, n));
}

static void write_str(struct builder *b, const char *base, const char *rel, const char *value)
{
    if (!b->err)
        step(b, put(at(b, base, rel), value));
}

static void write_num(struct builder *b, const char *base, const char *rel, uint64_t v)
{
    snprintf(b->value, sizeof(b->value), "%llu", (unsigned long long)v);
    write_str(b, base, rel, b->value);
}

static void write_perms(struct builder *b, const char *base, const char *rel,
                        const char *value, const struct xs_perm *perms, unsigned n)
{
    if (!b->err)
        step(b, put_perms(at(b, base, rel), value, perms, n));
}

int guest_nodes_create(const struct xenstore_guest_params *p)
{
    static struct builder b;
    memset(&b, 0, sizeof(b));
    domid_t d = p->domid;
    const struct xs_perm roperm[2] = { { .id = 0, .access = XS_PERM_NONE },
                                       { .id = d, .access = XS_PERM_READ } };
    const struct xs_perm rwperm[1] = { { .id = d, .access = XS_PERM_NONE } };
    const struct xs_perm front_perm[2] = { { .id = d, .access = XS_PERM_NONE },
                                           { .id = 0, .access = XS_PERM_READ } };
    const struct xs_perm back_perm[2] = { { .id = 0, .access = XS_PERM_NONE },
                                          { .id = d, .access = XS_PERM_READ } };

    char dom[32], vm[64], back[64];
    const uint8_t *u = p->uuid;
    snprintf(dom, sizeof(dom), "/local/domain/%u", (unsigned)d);
    snprintf(vm, sizeof(vm),
             "/vm/%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
             u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7],
             u[8], u[9], u[10], u[11], u[12], u[13], u[14], u[15]);
    snprintf(back, sizeof(back), "/local/domain/0/backend/console/%u/0", (unsigned)d);

    /* dom0's own home, as xen-init-dom0 leaves it. */
    write_str(&b, "/local/domain/0", "name", "Domain-0");
    write_str(&b, "/local/domain/0", "domid", "0");

    /* libxl__domain_make */
    if (!b.err)
        step(&b, mknod(dom, roperm, 2));
    if (!b.err)
        step(&b, mknod(vm, roperm, 2));
    write_str(&b, dom, "vm", vm);
    write_str(&b, dom, "name", p->name);
    write_str(&b, vm, "name", p->name);
    make(&b, dom, "cpu", roperm, 2);
    make(&b, dom, "memory", roperm, 2);
    make(&b, dom, "device", roperm, 2);
    make(&b, dom, "device/suspend/event-channel", rwperm, 1);
    make(&b, dom, "control", roperm, 2);
    make(&b, dom, "control/shutdown", rwperm, 1);
    make(&b, dom, "control/feature-poweroff", rwperm, 1);
    make(&b, dom, "control/feature-reboot", rwperm, 1);
    make(&b, dom, "control/feature-suspend", rwperm, 1);
    make(&b, dom, "control/sysrq", rwperm, 1);
    make(&b, dom, "data", rwperm, 1);
    make(&b, dom, "drivers", rwperm, 1);
    make(&b, dom, "feature", rwperm, 1);
    make(&b, dom, "attr", rwperm, 1);
    make(&b, dom, "error", rwperm, 1);
    snprintf(b.value, sizeof(b.value), "%s", vm + 4);
    write_str(&b, vm, "uuid", b.value);
    write_str(&b, dom, "control/platform-feature-multiprocessor-suspend", "1");
    write_str(&b, dom, "control/platform-feature-xs_reset_watches", "1");

    /* libxl__build_post */
    write_num(&b, dom, "memory/static-max", p->max_memory_kb ? p->max_memory_kb : p->memory_kb);
    write_num(&b, dom, "memory/target", p->memory_kb);
    write_num(&b, dom, "domid", d);
    write_num(&b, dom, "store/port", p->store_port);
    write_num(&b, dom, "store/ring-ref", p->store_mfn);
    for (unsigned i = 0; i < p->vcpus && !b.err; i++) {
        char rel[32];
        snprintf(rel, sizeof(rel), "cpu/%u/availability", i);
        write_str(&b, dom, rel, "online");
    }
    write_str(&b, vm, "image/ostype", "linux");

    /* The primary console (libxl__device_console_add with a build state). */
    make(&b, dom, "console", back_perm, 2);
    write_str(&b, dom, "console/backend", back);
    write_perms(&b, dom, "console/backend-id", "0", front_perm, 2);
    write_perms(&b, dom, "console/limit", "1048576", back_perm, 2);
    write_perms(&b, dom, "console/type", "xenconsoled", back_perm, 2);
    write_perms(&b, dom, "console/output", "pty", back_perm, 2);
    write_perms(&b, dom, "console/tty", "", back_perm, 2);
    snprintf(b.value, sizeof(b.value), "%u", (unsigned)p->console_port);
    write_perms(&b, dom, "console/port", b.value, back_perm, 2);
    snprintf(b.value, sizeof(b.value), "%llu", (unsigned long long)p->console_mfn);
    write_perms(&b, dom, "console/ring-ref", b.value, back_perm, 2);
    if (!b.err)
        step(&b, mknod(back, back_perm, 2));
    snprintf(b.value, sizeof(b.value), "%s/console", dom);
    write_str(&b, back, "frontend", b.value);
    write_num(&b, back, "frontend-id", d);
    write_str(&b, back, "online", "1");
    write_str(&b, back, "state", "1");
    write_str(&b, back, "protocol", "vt100");
    return b.err;
}
