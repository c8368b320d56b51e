/*
 * xenstore: the node operations as the guest sees them over its ring —
 * read, write, mkdir, rm, directory, directory-part, permissions, path
 * syntax, errors, privileged-only requests and the guest's quotas.
 */
#include <stdio.h>
#include <string.h>
#include <pvshim/heap.h>
#include "unit.h"
#include "fakes.h"
#include "xenstore_sim.h"

#define OK(expr) ck_assert_int_eq((expr), 0)

START_TEST(initial_tree_as_libxl_writes_it)
{
    ck_assert_str_eq(sim_read(0, "name"), "guest");
    ck_assert_str_eq(sim_read(0, "domid"), "5");
    ck_assert_str_eq(sim_read(0, "vm"), "/vm/" SIM_UUID);
    ck_assert_str_eq(sim_read(0, "/vm/" SIM_UUID "/uuid"), SIM_UUID);
    ck_assert_str_eq(sim_read(0, "/vm/" SIM_UUID "/name"), "guest");
    ck_assert_str_eq(sim_read(0, "memory/target"), "262144");
    ck_assert_str_eq(sim_read(0, "memory/static-max"), "262144");
    ck_assert_str_eq(sim_read(0, "cpu/0/availability"), "online");
    ck_assert_str_eq(sim_read(0, "cpu/1/availability"), "online");
    ck_assert_str_eq(sim_try1(XS_READ, 0, "cpu/2/availability"), "ENOENT");
    ck_assert_str_eq(sim_read(0, "store/port"), "1");
    ck_assert_str_eq(sim_read(0, "store/ring-ref"), "4660");
    ck_assert_str_eq(sim_read(0, "console/port"), "2");
    ck_assert_str_eq(sim_read(0, "console/ring-ref"), "4661");
    ck_assert_str_eq(sim_read(0, "console/type"), "xenconsoled");
    ck_assert_str_eq(sim_read(0, "console/limit"), "1048576");
    ck_assert_str_eq(sim_read(0, "console/output"), "pty");
    ck_assert_str_eq(sim_read(0, "console/tty"), "");
    ck_assert_str_eq(sim_read(0, "console/backend"), "/local/domain/0/backend/console/5/0");
    ck_assert_str_eq(sim_read(0, "control/platform-feature-multiprocessor-suspend"), "1");
    ck_assert_str_eq(sim_read(0, "control/platform-feature-xs_reset_watches"), "1");
    ck_assert_str_eq(sim_read(0, "control/shutdown"), "");
    ck_assert_str_eq(sim_read(0, "control/feature-poweroff"), "");
    ck_assert_str_eq(sim_dir(0, "device"), "suspend");
    ck_assert_str_eq(sim_dir(0, "data"), "");
    ck_assert_str_eq(sim_dir(0, "control"),
                     "shutdown,feature-poweroff,feature-reboot,feature-suspend,sysrq,"
                     "platform-feature-multiprocessor-suspend,"
                     "platform-feature-xs_reset_watches");

    /* Who owns what: dom0 owns the home and lets the guest read it ... */
    ck_assert_str_eq(sim_perms(0, SIM_HOME), "n0,r5");
    ck_assert_str_eq(sim_perms(0, "name"), "n0,r5");
    ck_assert_str_eq(sim_perms(0, "memory/target"), "n0,r5");
    ck_assert_str_eq(sim_perms(0, "cpu/0/availability"), "n0,r5");
    ck_assert_str_eq(sim_perms(0, "device"), "n0,r5");
    ck_assert_str_eq(sim_perms(0, "/vm/" SIM_UUID), "n0,r5");
    ck_assert_str_eq(sim_perms(0, "console"), "n0,r5");
    ck_assert_str_eq(sim_perms(0, "console/backend-id"), "n5,r0");
    /* ... and the guest owns the nodes it is meant to write. */
    ck_assert_str_eq(sim_perms(0, "control/shutdown"), "n5");
    ck_assert_str_eq(sim_perms(0, "control/sysrq"), "n5");
    ck_assert_str_eq(sim_perms(0, "control/feature-reboot"), "n5");
    ck_assert_str_eq(sim_perms(0, "device/suspend/event-channel"), "n5");
    ck_assert_str_eq(sim_perms(0, "data"), "n5");
    ck_assert_str_eq(sim_perms(0, "error"), "n5");

    ck_assert_str_eq(dom0_read("/local/domain/0/name"), "Domain-0");
    ck_assert_str_eq(dom0_read("/local/domain/0/backend/console/5/0/frontend"),
                     SIM_HOME "/console");
    ck_assert_str_eq(dom0_read("/local/domain/0/backend/console/5/0/state"), "1");
    ck_assert_str_eq(dom0_control("check"), "OK");
}
END_TEST

START_TEST(reads_hide_what_the_guest_may_not_see)
{
    /* Missing under a readable parent: ENOENT; elsewhere EACCES, existing or not. */
    ck_assert_str_eq(sim_try1(XS_READ, 0, "nonexistent"), "ENOENT");
    ck_assert_str_eq(sim_try1(XS_READ, 0, "data/a/b/c"), "ENOENT");
    ck_assert_str_eq(sim_try1(XS_READ, 0, "/nonexistent"), "EACCES");
    ck_assert_str_eq(sim_try1(XS_READ, 0, "/tool/xenstored"), "EACCES");
    ck_assert_str_eq(sim_try1(XS_READ, 0, "/local/domain/0/name"), "EACCES");
    ck_assert_str_eq(sim_try1(XS_READ, 0, "/local/domain/7/name"), "EACCES");
    ck_assert_str_eq(sim_try1(XS_READ, 0, "/"), "EACCES");
    ck_assert_str_eq(sim_try1(XS_DIRECTORY, 0, "/local/domain"), "EACCES");
    ck_assert_str_eq(sim_try1(XS_GET_PERMS, 0, "/local"), "EACCES");
    ck_assert_str_eq(sim_try1(XS_GET_PERMS, 0, "@releaseDomain"), "EACCES");
}
END_TEST

START_TEST(write_read_roundtrip)
{
    sim_write(0, "data/x", "hello");
    ck_assert_str_eq(sim_read(0, "data/x"), "hello");
    ck_assert_str_eq(sim_read(0, SIM_HOME "/data/x"), "hello");
    sim_write(0, "data/x", "");
    ck_assert_str_eq(sim_read(0, "data/x"), "");
    sim_write(0, SIM_HOME "/data/x", "again");
    ck_assert_str_eq(sim_read(0, "data/x"), "again");

    /* Values are bytes: NULs and all. */
    static const char raw[] = "data/bin\0a\0b\xff";
    struct sim_msg m;
    sim_request(XS_WRITE, 0, raw, sizeof(raw) - 1, &m);
    ck_assert_uint_eq(m.hdr.type, XS_WRITE);
    sim_request(XS_READ, 0, "data/bin", 9, &m);
    ck_assert_uint_eq(m.hdr.type, XS_READ);
    ck_assert_uint_eq(m.hdr.len, 4);
    ck_assert_mem_eq(m.body, "a\0b\xff", 4);
    ck_assert_str_eq(dom0_control("check"), "OK");
}
END_TEST

START_TEST(write_creates_missing_parents_owned_by_the_guest)
{
    sim_write(0, "data/a/b/c", "v");
    ck_assert_str_eq(sim_dir(0, "data"), "a");
    ck_assert_str_eq(sim_dir(0, "data/a"), "b");
    ck_assert_str_eq(sim_dir(0, "data/a/b"), "c");
    ck_assert_str_eq(sim_read(0, "data/a"), "");
    ck_assert_str_eq(sim_perms(0, "data/a"), "n5");
    ck_assert_str_eq(sim_perms(0, "data/a/b/c"), "n5");
    /* dom0 writing under a guest node inherits the parent's permissions as they are. */
    OK(xenstore_dom0_write_str(SIM_HOME "/data/a/fromdom0/x", "1"));
    ck_assert_str_eq(sim_perms(0, "data/a/fromdom0/x"), "n5");
    /* dom0's new nodes under its own keep dom0 as owner. */
    OK(xenstore_dom0_write_str(SIM_HOME "/memory/extra/y", "2"));
    ck_assert_str_eq(sim_perms(0, "memory/extra/y"), "n0,r5");
    ck_assert_str_eq(dom0_control("check"), "OK");
}
END_TEST

START_TEST(write_needs_write_permission)
{
    ck_assert_str_eq(sim_try(XS_WRITE, 0, "name\0x", 6), "EACCES");
    ck_assert_str_eq(sim_try(XS_WRITE, 0, "control/new\0x", 13), "EACCES");
    ck_assert_str_eq(sim_try(XS_WRITE, 0, "newtop\0x", 8), "EACCES");
    ck_assert_str_eq(sim_try(XS_WRITE, 0, "/tool/x\0x", 9), "EACCES");
    ck_assert_str_eq(sim_try(XS_WRITE, 0, "/local/domain/6/x\0x", 19), "EACCES");
    ck_assert_str_eq(sim_try(XS_WRITE, 0, "console/tty\0x", 13), "EACCES");
    ck_assert_str_eq(sim_read(0, "name"), "guest");
    /* The nodes libxl gives the guest are writable. */
    sim_write(0, "control/feature-poweroff", "1");
    sim_write(0, "control/shutdown", "");
    sim_write(0, "device/suspend/event-channel", "7");
    sim_write(0, "console/backend-id", "0");
    sim_write(0, "drivers/0", "Linux");
    ck_assert_str_eq(dom0_read(SIM_HOME "/control/feature-poweroff"), "1");
}
END_TEST

START_TEST(other_domains_access_entries)
{
    struct xenstore_perm rw_for_guest[2] = { { 0, 'n' }, { SIM_DOMID, 'b' } };
    struct xenstore_perm read_all[1] = { { 0, 'r' } };
    struct xenstore_perm write_all[1] = { { 0, 'w' } };
    struct xenstore_perm first_wins[3] = { { 0, 'n' }, { SIM_DOMID, 'r' }, { SIM_DOMID, 'w' } };
    OK(xenstore_dom0_write_str(SIM_HOME "/shared", "s"));
    OK(xenstore_dom0_set_perms(SIM_HOME "/shared", rw_for_guest, 2));
    ck_assert_str_eq(sim_read(0, "shared"), "s");
    sim_write(0, "shared", "t");
    /* Read and write, but not owner: no permission changes. */
    ck_assert_str_eq(sim_set_perms(0, "shared", "n0,b5"), "EACCES");

    OK(xenstore_dom0_write_str(SIM_HOME "/pub", "p"));
    OK(xenstore_dom0_set_perms(SIM_HOME "/pub", read_all, 1));
    ck_assert_str_eq(sim_read(0, "pub"), "p");
    ck_assert_str_eq(sim_try(XS_WRITE, 0, "pub\0x", 5), "EACCES");

    OK(xenstore_dom0_write_str(SIM_HOME "/drop", "d"));
    OK(xenstore_dom0_set_perms(SIM_HOME "/drop", write_all, 1));
    ck_assert_str_eq(sim_try1(XS_READ, 0, "drop"), "EACCES");
    sim_write(0, "drop", "in");
    ck_assert_str_eq(dom0_read(SIM_HOME "/drop"), "in");
    /* A write-only node's missing child: the parent allows writes, not reads. */
    ck_assert_str_eq(sim_try1(XS_READ, 0, "drop/none"), "EACCES");
    sim_write(0, "drop/child", "c");
    ck_assert_str_eq(sim_perms(0, "drop/child"), "w5");

    OK(xenstore_dom0_write_str(SIM_HOME "/first", "f"));
    OK(xenstore_dom0_set_perms(SIM_HOME "/first", first_wins, 3));
    ck_assert_str_eq(sim_read(0, "first"), "f");
    ck_assert_str_eq(sim_try(XS_WRITE, 0, "first\0x", 7), "EACCES");
}
END_TEST

START_TEST(mkdir_semantics)
{
    sim_mkdir(0, "data/d");
    ck_assert_str_eq(sim_read(0, "data/d"), "");
    sim_write(0, "data/d", "keep");
    sim_mkdir(0, "data/d");
    ck_assert_str_eq(sim_read(0, "data/d"), "keep");
    sim_mkdir(0, "data/p/q/r");
    ck_assert_str_eq(sim_dir(0, "data/p/q"), "r");
    ck_assert_str_eq(sim_try1(XS_MKDIR, 0, "name"), "EACCES");
    ck_assert_str_eq(sim_try1(XS_MKDIR, 0, "/new"), "EACCES");
    ck_assert_str_eq(sim_try1(XS_MKDIR, 0, "control/x"), "EACCES");
}
END_TEST

START_TEST(rm_is_recursive)
{
    sim_write(0, "data/a/b/c", "1");
    sim_write(0, "data/a/b/d", "2");
    sim_write(0, "data/a/e", "3");
    sim_write(0, "data/keep", "4");
    sim_rm(0, "data/a");
    ck_assert_str_eq(sim_try1(XS_READ, 0, "data/a"), "ENOENT");
    ck_assert_str_eq(sim_try1(XS_READ, 0, "data/a/b/c"), "ENOENT");
    ck_assert_str_eq(sim_dir(0, "data"), "keep");
    /* Absent with its parent present: fine. Parent absent too: ENOENT. */
    sim_rm(0, "data/a");
    ck_assert_str_eq(sim_try1(XS_RM, 0, "data/a/b"), "ENOENT");
    /* Not the guest's to remove. */
    ck_assert_str_eq(sim_try1(XS_RM, 0, "name"), "EACCES");
    ck_assert_str_eq(sim_try1(XS_RM, 0, "/"), "EACCES");
    ck_assert_str_eq(sim_try1(XS_RM, 0, "/tool"), "EACCES");
    ck_assert_str_eq(sim_try1(XS_RM, 0, "/nothere/x"), "EACCES");
    /* The guest may remove its own subtree, whatever owns the nodes below. */
    OK(xenstore_dom0_write_str(SIM_HOME "/data/keep/dom0s", "x"));
    struct xenstore_perm dom0_only[1] = { { 0, 'n' } };
    OK(xenstore_dom0_set_perms(SIM_HOME "/data/keep/dom0s", dom0_only, 1));
    sim_rm(0, "data/keep");
    ck_assert_str_eq(sim_dir(0, "data"), "");
    ck_assert_str_eq(dom0_control("check"), "OK");

    /* dom0 cannot remove the root either. */
    ck_assert_int_eq(xenstore_dom0_rm("/"), -XEN_EINVAL);
    OK(xenstore_dom0_rm("/tool"));
    ck_assert_ptr_null(dom0_read("/tool/xenstored"));
    ck_assert_str_eq(dom0_control("check"), "OK");
}
END_TEST

START_TEST(rm_of_a_wide_and_deep_tree)
{
    char path[64];
    for (int i = 0; i < 30; i++) {
        snprintf(path, sizeof(path), SIM_HOME "/data/w/n%d/x/y", i);
        OK(xenstore_dom0_write_str(path, "v"));
    }
    char deep[2048] = SIM_HOME "/data/deep";
    for (int i = 0; i < 200; i++)
        strcat(deep, "/d");
    OK(xenstore_dom0_write_str(deep, "bottom"));
    ck_assert_str_eq(dom0_control("check"), "OK");
    sim_rm(0, "data");
    ck_assert_str_eq(sim_try1(XS_READ, 0, "data"), "ENOENT");
    ck_assert_str_eq(dom0_control("check"), "OK");
}
END_TEST

START_TEST(directory_part_pages_long_lists)
{
    char path[96], expect[16384] = "";
    for (int i = 0; i < 300; i++) {
        snprintf(path, sizeof(path), SIM_HOME "/data/big/child-with-a-long-name-%03d", i);
        OK(xenstore_dom0_write_str(path, ""));
        snprintf(path, sizeof(path), "%schild-with-a-long-name-%03d", i ? "," : "", i);
        strcat(expect, path);
    }
    /* The whole list does not fit in one reply. */
    ck_assert_str_eq(sim_try1(XS_DIRECTORY, 0, "data/big"), "E2BIG");

    char got[16384] = "", gen[32] = "";
    uint32_t off = 0;
    for (int round = 0; round < 10; round++) {
        char req[64];
        int n = snprintf(req, sizeof(req), "data/big%c%u", '\0', off);
        struct sim_msg m;
        sim_request(XS_DIRECTORY_PART, 0, req, (size_t)n + 1, &m);
        ck_assert_uint_eq(m.hdr.type, XS_DIRECTORY_PART);
        ck_assert_uint_le(m.hdr.len, XENSTORE_PAYLOAD_MAX);
        /* <gencnt>\0 then children; the same generation while nothing changes. */
        if (round == 0)
            strcpy(gen, m.body);
        ck_assert_str_eq(m.body, gen);
        size_t p = strlen(m.body) + 1;
        bool end = false;
        while (p < m.hdr.len) {
            if (m.body[p] == '\0') {
                end = true;     /* an empty name closes the list */
                break;
            }
            if (got[0])
                strcat(got, ",");
            strcat(got, m.body + p);
            off += (uint32_t)strlen(m.body + p) + 1;
            p += strlen(m.body + p) + 1;
        }
        if (end)
            break;
    }
    ck_assert_str_eq(got, expect);

    /* Past the end: just the generation and the end mark. */
    struct sim_msg m;
    sim_request(XS_DIRECTORY_PART, 0, "data/big\0" "99999", 15, &m);
    ck_assert_uint_eq(m.hdr.len, strlen(gen) + 2);
    ck_assert_str_eq(sim_try(XS_DIRECTORY_PART, 0, "data/big", 9), "EINVAL");
    ck_assert_str_eq(sim_try(XS_DIRECTORY_PART, 0, "data/big\0" "0\0x", 13), "EINVAL");
    ck_assert_str_eq(sim_try(XS_DIRECTORY_PART, 0, "/tool\0" "0", 8), "EACCES");

    /* A change gives a new generation. */
    OK(xenstore_dom0_write_str(SIM_HOME "/data/big/zz", ""));
    sim_request(XS_DIRECTORY_PART, 0, "data/big\0" "0", 11, &m);
    ck_assert_str_ne(m.body, gen);
}
END_TEST

START_TEST(set_and_get_permissions)
{
    sim_write(0, "data/p", "v");
    ck_assert_str_eq(sim_perms(0, "data/p"), "n5");
    ck_assert_str_eq(sim_set_perms(0, "data/p", "r5,b0"), "OK");
    ck_assert_str_eq(sim_perms(0, "data/p"), "r5,b0");
    ck_assert_str_eq(sim_set_perms(0, "data/p", "b5"), "OK");
    /* Only dom0 changes owners. */
    ck_assert_str_eq(sim_set_perms(0, "data/p", "n0"), "EPERM");
    /* Entries for domains that do not exist are kept and ignored. */
    ck_assert_str_eq(sim_set_perms(0, "data/p", "n5,r9"), "OK");
    ck_assert_str_eq(sim_perms(0, "data/p"), "n5,r9");
    /* The owner must exist. */
    ck_assert_str_eq(sim_set_perms(0, "data/p", "n9"), "ENOENT");
    ck_assert_str_eq(sim_set_perms(0, "data/p", "x5"), "EINVAL");
    ck_assert_str_eq(sim_set_perms(0, "data/p", "r"), "EINVAL");
    ck_assert_str_eq(sim_set_perms(0, "data/p", "r5x"), "EINVAL");
    ck_assert_str_eq(sim_set_perms(0, "data/p", "n5,r0,r0,r0,r0"), "OK");
    ck_assert_str_eq(sim_set_perms(0, "data/p", "n5,r0,r0,r0,r0,r0"), "ENOSPC");
    ck_assert_str_eq(sim_try(XS_SET_PERMS, 0, "data/p", 7), "EINVAL");
    ck_assert_str_eq(sim_set_perms(0, "name", "n5"), "EACCES");
    ck_assert_str_eq(sim_set_perms(0, "data/none", "n5"), "ENOENT");
    ck_assert_str_eq(sim_set_perms(0, "@releaseDomain", "n5"), "EACCES");
    ck_assert_str_eq(sim_set_perms(0, "/tool", "n5"), "EACCES");

    /* dom0 may hand a node to the guest and take it back. */
    OK(xenstore_dom0_write_str(SIM_HOME "/gift", "g"));
    struct xenstore_perm to_guest[1] = { { SIM_DOMID, 'n' } };
    OK(xenstore_dom0_set_perms(SIM_HOME "/gift", to_guest, 1));
    sim_write(0, "gift", "mine");
    ck_assert_str_eq(sim_set_perms(0, "gift", "r5"), "OK");
    struct xenstore_perm back[1] = { { 0, 'n' } };
    OK(xenstore_dom0_set_perms(SIM_HOME "/gift", back, 1));
    ck_assert_str_eq(sim_try1(XS_READ, 0, "gift"), "EACCES");
    ck_assert_str_eq(dom0_control("check"), "OK");

    /* Special nodes carry permissions too. */
    struct xenstore_perm watchable[2] = { { 0, 'n' }, { SIM_DOMID, 'r' } };
    OK(xenstore_dom0_set_perms("@releaseDomain", watchable, 2));
    ck_assert_str_eq(sim_perms(0, "@releaseDomain"), "n0,r5");
}
END_TEST

START_TEST(domain_requests)
{
    ck_assert_str_eq(sim_try1(XS_GET_DOMAIN_PATH, 0, "5"), "/local/domain/5");
    ck_assert_str_eq(sim_try1(XS_GET_DOMAIN_PATH, 0, "0"), "/local/domain/0");
    ck_assert_str_eq(sim_try1(XS_GET_DOMAIN_PATH, 0, "65535"), "/local/domain/65535");
    ck_assert_str_eq(sim_try1(XS_GET_DOMAIN_PATH, 0, "65536"), "EINVAL");
    ck_assert_str_eq(sim_try1(XS_GET_DOMAIN_PATH, 0, "5x"), "EINVAL");
    ck_assert_str_eq(sim_try(XS_GET_DOMAIN_PATH, 0, "5", 1), "EINVAL");

    /* What only dom0 may ask, the guest is refused. */
    ck_assert_str_eq(sim_try1(XS_IS_DOMAIN_INTRODUCED, 0, "5"), "EACCES");
    ck_assert_str_eq(sim_try1(XS_CONTROL, 0, "check"), "EACCES");
    ck_assert_str_eq(sim_try1(XS_DEBUG, 0, "print"), "EACCES");
    ck_assert_str_eq(sim_try(XS_INTRODUCE, 0, "6\0" "1\0" "2", 6), "EACCES");
    ck_assert_str_eq(sim_try1(XS_RELEASE, 0, "5"), "EACCES");
    ck_assert_str_eq(sim_try1(XS_RESUME, 0, "5"), "EACCES");
    ck_assert_str_eq(sim_try(XS_SET_TARGET, 0, "5\0" "0", 4), "EACCES");

    /* dom0 gets answers. */
    char buf[64];
    uint32_t type;
    size_t len;
    ck_assert_int_eq(xenstore_dom0_request(XS_IS_DOMAIN_INTRODUCED, 0, "5", 2, &type, buf,
                                           sizeof(buf), &len), 0);
    ck_assert_uint_eq(type, XS_IS_DOMAIN_INTRODUCED);
    ck_assert_str_eq(buf, "T");
    xenstore_dom0_request(XS_IS_DOMAIN_INTRODUCED, 0, "7", 2, &type, buf, sizeof(buf), &len);
    ck_assert_str_eq(buf, "F");
    ck_assert_int_eq(xenstore_dom0_request(XS_IS_DOMAIN_INTRODUCED, 0, "x", 2, &type, buf,
                                           sizeof(buf), &len), -XEN_EINVAL);
    ck_assert_uint_eq(type, XS_ERROR);
    ck_assert_str_eq(buf, "EINVAL");
    ck_assert_int_eq(xenstore_dom0_request(XS_INTRODUCE, 0, "6\0" "1\0" "2", 6, &type, buf,
                                           sizeof(buf), &len), -XEN_ENOSYS);
    ck_assert_str_eq(dom0_control("help"), "check\nhelp\nprint <string>\nquota\n");
    ck_assert_str_eq(dom0_control("nonsense"), "EINVAL");
    fake_log_reset();
    ck_assert_int_eq(xenstore_dom0_request(XS_CONTROL, 0, "print\0hello", 12, &type, buf,
                                           sizeof(buf), &len), 0);
    ck_assert_ptr_nonnull(strstr(fake_log_text(), "xenstore: hello"));
    ck_assert_ptr_nonnull(strstr(dom0_control("quota"), "nodes 12/1000"));
}
END_TEST

START_TEST(unknown_and_reply_only_types)
{
    ck_assert_str_eq(sim_try1(XS_WATCH_EVENT, 0, "x"), "ENOSYS");
    ck_assert_str_eq(sim_try1(XS_ERROR, 0, "x"), "ENOSYS");
    ck_assert_str_eq(sim_try1(20, 0, "x"), "ENOSYS");          /* XS_RESTRICT, removed */
    ck_assert_str_eq(sim_try1(XS_TYPE_COUNT, 0, "x"), "ENOSYS");
    ck_assert_str_eq(sim_try1(XS_INVALID, 0, "x"), "ENOSYS");
    ck_assert_str_eq(sim_try1(0x7fffffff, 0, "x"), "ENOSYS");
    ck_assert_str_eq(sim_read(0, "name"), "guest");
}
END_TEST

START_TEST(request_ids_and_transaction_ids_are_echoed)
{
    struct xsd_sockmsg h = { .type = XS_READ, .req_id = 0xdeadbeef, .tx_id = 0, .len = 5 };
    sim_put_bytes(&h, sizeof(h));
    sim_put_bytes("name", 5);
    xenstore_guest_notified();
    struct sim_msg m;
    ck_assert(sim_get_msg(&m));
    ck_assert_uint_eq(m.hdr.type, XS_READ);
    ck_assert_uint_eq(m.hdr.req_id, 0xdeadbeef);
    ck_assert_str_eq(m.body, "guest");

    /* An unknown transaction: ENOENT, ids echoed. */
    h = (struct xsd_sockmsg){ .type = XS_READ, .req_id = 77, .tx_id = 4242, .len = 5 };
    sim_put_bytes(&h, sizeof(h));
    sim_put_bytes("name", 5);
    ck_assert(sim_get_msg(&m));
    ck_assert_uint_eq(m.hdr.type, XS_ERROR);
    ck_assert_uint_eq(m.hdr.req_id, 77);
    ck_assert_uint_eq(m.hdr.tx_id, 4242);
    ck_assert_str_eq(m.body, "ENOENT");

    /* WATCH ignores tx_id but echoes it. */
    h = (struct xsd_sockmsg){ .type = XS_WATCH, .req_id = 78, .tx_id = 999, .len = 8 };
    sim_put_bytes(&h, sizeof(h));
    sim_put_bytes("data\0tk", 8);
    ck_assert(sim_get_msg(&m));
    ck_assert_uint_eq(m.hdr.type, XS_WATCH);
    ck_assert_uint_eq(m.hdr.req_id, 78);
    ck_assert_uint_eq(m.hdr.tx_id, 999);
    ck_assert_str_eq(m.body, "OK");
}
END_TEST

START_TEST(path_syntax)
{
    ck_assert_str_eq(sim_try(XS_WRITE, 0, "data/a b\0x", 10), "EINVAL");
    ck_assert_str_eq(sim_try(XS_WRITE, 0, "data/a.b\0x", 10), "EINVAL");
    ck_assert_str_eq(sim_try(XS_WRITE, 0, "data/\xc3\xa4\0x", 9), "EINVAL");
    ck_assert_str_eq(sim_try(XS_WRITE, 0, "data/x/\0x", 9), "EINVAL");
    ck_assert_str_eq(sim_try(XS_WRITE, 0, "data//x\0x", 9), "EINVAL");
    ck_assert_str_eq(sim_try(XS_WRITE, 0, "/local/domain/5//data\0x", 23), "EINVAL");
    ck_assert_str_eq(sim_try(XS_WRITE, 0, "\0x", 2), "EINVAL");
    ck_assert_str_eq(sim_try(XS_WRITE, 0, "@data\0x", 7), "EINVAL");
    ck_assert_str_eq(sim_try1(XS_READ, 0, ""), "EINVAL");
    ck_assert_str_eq(sim_try1(XS_READ, 0, "@releaseDomain"), "EINVAL");
    ck_assert_str_eq(sim_try1(XS_RM, 0, "@releaseDomain"), "EINVAL");
    ck_assert_str_eq(sim_try1(XS_DIRECTORY, 0, "data/"), "EINVAL");
    /* Allowed characters, '@' inside included. */
    sim_write(0, "data/Az09-_@x", "ok");
    ck_assert_str_eq(sim_read(0, "data/Az09-_@x"), "ok");

    /* At most XENSTORE_REL_PATH_MAX bytes below /local/domain/<id>/. */
    char path[XENSTORE_PAYLOAD_MAX];
    memset(path, 'a', sizeof(path));
    memcpy(path, "data/", 5);
    for (int i = 100; i < XENSTORE_REL_PATH_MAX; i += 100)
        path[i] = '/';          /* short components keep every node small */
    path[XENSTORE_REL_PATH_MAX] = '\0';
    sim_write(0, path, "long");
    ck_assert_str_eq(sim_read(0, path), "long");
    path[XENSTORE_REL_PATH_MAX] = 'a';
    path[XENSTORE_REL_PATH_MAX + 1] = '\0';
    ck_assert_str_eq(sim_try1(XS_READ, 0, path), "EINVAL");
    ck_assert_str_eq(sim_try1(XS_MKDIR, 0, path), "EINVAL");
    /* ... and of the whole path elsewhere. */
    memset(path, 'b', sizeof(path));
    path[0] = '/';
    path[XENSTORE_REL_PATH_MAX + 1] = '\0';
    ck_assert_str_eq(sim_try1(XS_READ, 0, path), "EINVAL");
    path[XENSTORE_REL_PATH_MAX] = '\0';
    ck_assert_str_eq(sim_try1(XS_READ, 0, path), "EACCES");
}
END_TEST

START_TEST(argument_shapes)
{
    /* One argument means exactly one string, NUL-terminated. */
    ck_assert_str_eq(sim_try(XS_READ, 0, "name", 4), "EINVAL");
    ck_assert_str_eq(sim_try(XS_READ, 0, "name\0name", 10), "EINVAL");
    ck_assert_str_eq(sim_try(XS_READ, 0, "", 0), "EINVAL");
    ck_assert_str_eq(sim_try(XS_MKDIR, 0, "data/x\0", 8), "EINVAL");
    ck_assert_str_eq(sim_try(XS_RM, 0, "data", 4), "EINVAL");
    ck_assert_str_eq(sim_try(XS_DIRECTORY, 0, "", 0), "EINVAL");
    ck_assert_str_eq(sim_try(XS_GET_PERMS, 0, "name", 4), "EINVAL");
    /* WRITE needs at least the path's NUL. */
    ck_assert_str_eq(sim_try(XS_WRITE, 0, "data/x", 6), "EINVAL");
    ck_assert_str_eq(sim_try(XS_WRITE, 0, "", 0), "EINVAL");
    /* WATCH and UNWATCH take exactly two strings. */
    ck_assert_str_eq(sim_try(XS_WATCH, 0, "data", 5), "EINVAL");
    ck_assert_str_eq(sim_try(XS_WATCH, 0, "data\0t\0" "1", 9), "EINVAL");
    ck_assert_str_eq(sim_try(XS_UNWATCH, 0, "data\0t\0x", 9), "EINVAL");
    ck_assert_str_eq(sim_try(XS_TRANSACTION_END, 0, "T", 1), "EINVAL");
    ck_assert_str_eq(sim_read(0, "name"), "guest");
}
END_TEST

START_TEST(node_count_quota)
{
    sim_teardown();
    struct xenstore_guest_params p;
    sim_default_params(&p);
    struct xenstore_quota q = { .nodes = 20 };
    sim_setup_with(&p, &q);
    /* libxl's layout gives the guest 12 nodes; 8 more fit. */
    char path[32];
    for (int i = 0; i < 8; i++) {
        snprintf(path, sizeof(path), "data/n%d", i);
        sim_write(0, path, "x");
    }
    ck_assert_str_eq(sim_try(XS_WRITE, 0, "data/n8\0x", 9), "ENOSPC");
    ck_assert_str_eq(sim_try1(XS_MKDIR, 0, "data/n8"), "ENOSPC");
    /* Creating several levels at once counts each. */
    sim_rm(0, "data/n7");
    sim_rm(0, "data/n6");
    ck_assert_str_eq(sim_try(XS_WRITE, 0, "data/a/b/c\0x", 12), "ENOSPC");
    sim_write(0, "data/a/b", "x");
    /* Rewriting existing nodes still works at the limit. */
    sim_write(0, "data/n0", "y");
    /* dom0 is not limited, even when creating guest-owned nodes. */
    OK(xenstore_dom0_write_str(SIM_HOME "/data/fromdom0", "z"));
    ck_assert_str_eq(dom0_control("check"), "OK");
}
END_TEST

START_TEST(node_size_quota)
{
    /* xenstored's accounting: 16 header bytes, 8 per permission, value, children. */
    static char buf[4100];
    memcpy(buf, "data/big", 9);
    memset(buf + 9, 'v', sizeof(buf) - 9);
    ck_assert_str_eq(sim_try(XS_WRITE, 0, buf, 9 + 2048 - 16 - 8), "ENOSPC");
    ck_assert_str_eq(sim_try(XS_WRITE, 0, buf, 9 + 2048 - 16 - 8 - 1), "OK");
    /* dom0 may write bigger values. */
    OK(xenstore_dom0_write(SIM_HOME "/data/big", buf + 9, 4000));
    struct sim_msg m;
    sim_request(XS_READ, 0, "data/big", 9, &m);
    ck_assert_uint_eq(m.hdr.len, 4000);
    /* A directory's children count too. */
    char path[64];
    int made = 0;
    for (int i = 0; i < 200; i++) {
        snprintf(path, sizeof(path), "data/dir/child-name-number-%03d", i);
        size_t plen = strlen(path) + 1;
        char req[80];
        memcpy(req, path, plen);
        const char *r = sim_try(XS_WRITE, 0, req, plen);
        if (strcmp(r, "ENOSPC") == 0)
            break;
        ck_assert_str_eq(r, "OK");
        made++;
    }
    ck_assert_int_gt(made, 50);
    ck_assert_int_lt(made, 200);
}
END_TEST

START_TEST(memory_quota)
{
    sim_teardown();
    struct xenstore_guest_params p;
    sim_default_params(&p);
    struct xenstore_quota q = { .memory = 32 * 1024, .nodes = 100000 };
    sim_setup_with(&p, &q);
    static char buf[1100];
    int ok = 0;
    const char *last = "";
    for (int i = 0; i < 200; i++) {
        int n = snprintf(buf, 64, "data/m%d", i);
        memset(buf + n + 1, 'x', 1000);
        last = sim_try(XS_WRITE, 0, buf, (size_t)n + 1 + 1000);
        if (strcmp(last, "OK") != 0)
            break;
        ok++;
    }
    ck_assert_str_eq(last, "ENOMEM");
    ck_assert_int_gt(ok, 10);
    ck_assert_int_lt(ok, 40);
    /* Freeing makes room again. */
    sim_rm(0, "data/m0");
    sim_rm(0, "data/m1");
    sim_write(0, "data/again", "1");
    ck_assert_str_eq(dom0_control("check"), "OK");
}
END_TEST

START_TEST(reset_watches_forgets_watches_and_transactions)
{
    sim_watch("data", "t1");
    uint32_t tx = sim_tx_start();
    ck_assert_str_eq(sim_try(XS_RESET_WATCHES, 0, "", 1), "OK");
    ck_assert_str_eq(sim_try(XS_UNWATCH, 0, "data\0t1", 8), "ENOENT");
    ck_assert_str_eq(sim_try1(XS_READ, tx, "name"), "ENOENT");
    sim_clear_events();
    sim_write(0, "data/x", "1");
    sim_collect_events();
    ck_assert_uint_eq(sim.nevents, 0);
}
END_TEST

static Suite *xenstore_ops_suite(void)
{
    Suite *s = suite_create("xenstore_ops");
    TCase *tc = tcase_create("ops");
    tcase_add_checked_fixture(tc, sim_setup, sim_teardown);
    tcase_add_test(tc, initial_tree_as_libxl_writes_it);
    tcase_add_test(tc, reads_hide_what_the_guest_may_not_see);
    tcase_add_test(tc, write_read_roundtrip);
    tcase_add_test(tc, write_creates_missing_parents_owned_by_the_guest);
    tcase_add_test(tc, write_needs_write_permission);
    tcase_add_test(tc, other_domains_access_entries);
    tcase_add_test(tc, mkdir_semantics);
    tcase_add_test(tc, rm_is_recursive);
    tcase_add_test(tc, rm_of_a_wide_and_deep_tree);
    tcase_add_test(tc, directory_part_pages_long_lists);
    tcase_add_test(tc, set_and_get_permissions);
    tcase_add_test(tc, domain_requests);
    tcase_add_test(tc, unknown_and_reply_only_types);
    tcase_add_test(tc, request_ids_and_transaction_ids_are_echoed);
    tcase_add_test(tc, path_syntax);
    tcase_add_test(tc, argument_shapes);
    tcase_add_test(tc, node_count_quota);
    tcase_add_test(tc, node_size_quota);
    tcase_add_test(tc, memory_quota);
    tcase_add_test(tc, reset_watches_forgets_watches_and_transactions);
    suite_add_tcase(s, tc);
    return s;
}

UNIT_SUITE(xenstore_ops_suite)
