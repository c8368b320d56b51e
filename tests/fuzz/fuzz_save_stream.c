/*
 * A save file as module 0 (include/pvshim/save_stream.h): any bytes through
 * save_stream_parse on an exactly-sized copy (ASan sees any read past it),
 * then, for an accepted file, what the restore relies on: every blob and
 * every PAGE_DATA batch inside the file, the batch entries within end_pfn
 * and of known types, the page counts as parsed, a vCPU 0 context of the
 * full size; the CPUID comparison over the policy record with an offer of
 * nothing and of everything. A refusal must come with a one-line reason.
 * A file small enough for the simulated machine (tests/unit/mm_sim.c) is
 * then rebuilt there (restore_domain, and pv_vcpu_restore of every saved
 * vCPU the simulated domain has when that succeeds): whatever it refuses, the PV MMU's books must balance after.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pvshim/save_stream.h>
#include <pvshim/restore_cpuid.h>
#include <pvshim/restore.h>
#include "mm_sim.h"
#include "vcpu.h"

#define CHECK(c, ...) do {                                                   \
        if (!(c)) {                                                           \
            fprintf(stderr, "fuzz_save_stream: ");                            \
            fprintf(stderr, __VA_ARGS__);                                     \
            fputc('\n', stderr);                                              \
            abort();                                                          \
        }                                                                     \
    } while (0)

static void offer_nothing(uint32_t leaf, uint32_t sub, uint32_t out[4])
{
    (void)leaf;
    (void)sub;
    memset(out, 0, 4 * sizeof(out[0]));
}

static void offer_all(uint32_t leaf, uint32_t sub, uint32_t out[4])
{
    (void)leaf;
    (void)sub;
    memset(out, 0xff, 4 * sizeof(out[0]));
}

static void blob_inside(struct save_blob b, size_t len, const char *what)
{
    CHECK(b.off <= len && b.len <= len - b.off, "%s %#llx+%u outside %zu bytes", what,
          (unsigned long long)b.off, b.len, len);
}

/* The rebuild on the simulated machine (its guest frames are the pool). */
static void rebuild(const uint8_t *buf, const struct save_image *img)
{
    static struct frame_pool pool;
    static struct shared_info shinfo;
    static struct restore_state rs;
    char err[512];
    mm_sim_setup();
    frame_pool_init(&pool);
    frame_pool_free(&pool, SIM_GUEST_FIRST, SIM_GUEST_END - SIM_GUEST_FIRST);
    struct restore_params p = {
        .file = buf, .img = img, .pool = &pool, .max_mfn = SIM_FRAMES,
        .shared_info = &shinfo, .shared_info_maddr = 0x123000,
        .console_evtchn = 2, .xenstore_evtchn = 1,
    };
    err[0] = '\0';
    if (restore_domain(&p, &rs, err, sizeof(err)) == 0) {
        mm_sim_unstarted_vcpu0();
        for (unsigned i = 0; i < img->nr_vcpus && i < dom.nr_vcpus; i++) {
            if (!rs.vcpu[i].present)
                continue;
            err[0] = '\0';
            if (pv_vcpu_restore(&dom.vcpu[i], &rs.vcpu[i].ctx, rs.vcpu[i].ext,
                                rs.vcpu[i].ext_len, err, sizeof(err)))
                CHECK(err[0] && !strchr(err, '\n'), "context refused without a reason");
        }
    } else {
        CHECK(err[0] && !strchr(err, '\n'), "rebuild refused without a reason");
    }
    const char *why = mm_sim_check();
    CHECK(why == NULL, "MMU invariant after the rebuild: %s", why);
    mm_sim_teardown();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
    uint8_t *buf = malloc(len ? len : 1);
    if (!buf)
        return 0;
    memcpy(buf, data, len);
    struct save_image img;
    char err[512];
    err[0] = '\0';
    int rc = save_stream_parse(buf, len, &img, err, sizeof(err));
    if (rc) {
        CHECK(rc == -1 && err[0] && !strchr(err, '\n'), "refusal without a one-line reason");
        free(buf);
        return 0;
    }
    blob_inside(img.shared_info, len, "shared_info");
    CHECK(img.shared_info.len == 4096, "shared_info of %u bytes", img.shared_info.len);
    blob_inside(img.p2m_frames, len, "p2m frames");
    CHECK(img.p2m_frames.len == 8ull * img.nr_p2m_frames, "p2m frame count");
    blob_inside(img.cpuid_policy, len, "cpuid policy");
    blob_inside(img.msr_policy, len, "msr policy");
    CHECK(img.libxc_start <= img.libxc_end && img.libxc_end <= len, "libxc bounds");
    CHECK(img.vcpu[0].present && img.vcpu[0].basic.len == SAVE_VCPU_CTX_LEN, "vcpu 0 context");
    for (unsigned i = 0; i < SAVE_MAX_VCPUS; i++) {
        blob_inside(img.vcpu[i].basic, len, "basic");
        blob_inside(img.vcpu[i].extended, len, "extended");
        blob_inside(img.vcpu[i].xsave, len, "xsave");
        blob_inside(img.vcpu[i].msrs, len, "msrs");
    }
    uint64_t cur = img.libxc_start;
    struct save_page_batch b;
    unsigned records = 0;
    uint64_t entries = 0, with_data = 0;
    while (save_next_page_batch(buf, &img, &cur, &b)) {
        records++;
        CHECK(b.count >= 1 && b.count <= SAVE_BATCH_MAX, "batch of %u", b.count);
        CHECK(b.pfn_info >= buf && b.pfn_info + 8ull * b.count <= buf + len, "entries outside");
        uint32_t pages = 0;
        for (uint32_t i = 0; i < b.count; i++) {
            uint64_t e = save_batch_entry(&b, i);
            CHECK(save_entry_pfn(e) <= img.max_pfn, "pfn past the end");
            pages += save_type_has_data(save_entry_type(e));
        }
        CHECK(b.data + (uint64_t)pages * SAVE_PAGE_SIZE <= buf + len, "pages outside");
        entries += b.count;
        with_data += pages;
    }
    CHECK(records == img.nr_page_records && entries == img.nr_page_entries &&
          with_data == img.nr_pages_with_data, "batch walk disagrees with the parse");
    CHECK(restore_check_cpuid(buf + img.cpuid_policy.off, img.cpuid_policy.len, offer_all,
                              err, sizeof(err)) == 0, "refused with everything offered");
    if (restore_check_cpuid(buf + img.cpuid_policy.off, img.cpuid_policy.len, offer_nothing,
                            err, sizeof(err)))
        CHECK(err[0] && !strchr(err, '\n'), "cpuid refusal without a reason");
    /* Room for every pfn and the scratch pages among the simulated guest frames. */
    if (img.max_pfn < 128)
        rebuild(buf, &img);
    free(buf);
    return 0;
}
