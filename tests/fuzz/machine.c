/* The fuzzed domain of the hypercall harnesses (fuzz_machine.h). */
#include <string.h>
#include <pvshim/frame_alloc.h>
#include <pvshim/phys.h>
#include <pvshim/soft_timer.h>
#include <pvshim/layout.h>
#include "fuzz_machine.h"
#include "fuzz_input.h"
#include "compat.h"
#include "hypercall.h"
#include "event_channel.h"
#include "services.h"
#include "time.h"
#include "pv.h"

uint8_t fuzz_stack[FUZZ_STACK_SIZE];
static uint8_t xlat_area[COMPAT_XLAT_PAGES * PAGE_SIZE];

static void io_write(const char *s, size_t len) { (void)s; (void)len; }
static size_t io_read(char *buf, size_t len) { (void)buf; (void)len; return 0; }
static const struct xen_services fuzz_services = {
    .name = "fuzz", .console_io_write = io_write, .console_io_read = io_read,
};

/* A PAE root: an L3 with slot 3 (the top L2), pinned and the base pointer. */
static void pae_root(void)
{
    mfn_t l3 = mm_sim_alloc(), top = mm_sim_alloc();
    mm_sim_table(l3)[3] = mm_sim_pte(top, PTE_P);
    FZ_CHECK(pv_mm_pin(l3, 3) == 0, "pin the PAE root");
    FZ_CHECK(pv_mm_set_kernel_base(l3) == 0, "PAE base pointer");
}

void fuzz_machine_setup(bool compat, void (*on_exit)(enum pvshim_exit reason),
                        void (*on_idle_forever)(void))
{
    dom.vcpu[0].in_multicall = false;   /* a previous input may have ended inside one */
    if (compat)
        mm_sim_setup_pae();
    else
        mm_sim_setup();                 /* the grant table of the previous machine too */
    fake_log_reset();
    memset(&fake_clock, 0, sizeof(fake_clock));
    fake_exit_hook = on_exit;
    fake_idle_forever_hook = on_idle_forever;

    dom.compat = compat;
    FZ_CHECK(pv_mm_share_with_guest(FUZZ_SHINFO_MFN) == 0, "shared_info frame");
    dom.shared_info = phys_access(mfn_to_paddr(FUZZ_SHINFO_MFN), PAGE_SIZE);
    dom.shared_info_mfn = FUZZ_SHINFO_MFN;
    /* 32-bit: two vCPUs, so VCPUOP_initialise, up and down of vCPU 1 are fuzzed too. */
    dom.nr_vcpus = compat ? 2 : 1;
    dom.vcpu[0].initialised = dom.vcpu[0].up = dom.vcpu[0].loaded = true;   /* booted, running */
    dom.vcpu[0].vcpu_info = &dom.shared_info->vcpu_info[0];
    dom.vcpu[0].vcpu_info_mfn = INVALID_MFN;
    dom.vcpu[0].kernel_mode = true;
    for (unsigned i = 0; i < XEN_LEGACY_MAX_VCPUS; i++)
        dom.shared_info->vcpu_info[i].evtchn_upcall_mask = 1;
    dom.tot_pages = dom.max_pages = SIM_GUEST_END - SIM_GUEST_FIRST;
    if (compat)
        compat_set_max_pfn(dom.max_pages);
    else
        dom.shared_info->arch.max_pfn = dom.max_pages;
    frame_pool_init(&machine_frames);
    frame_pool_free(&machine_frames, FUZZ_SHINFO_MFN + 1, SIM_FRAMES - FUZZ_SHINFO_MFN - 1);

    services = &fuzz_services;
    evtchn_init();
    soft_timer_init();
    if (compat)
        pae_root();
    else
        mm_sim_kernel_tables();
    pv_time_init();
    if (compat) {
        pv_vcpu_init(&dom.vcpu[1], 1);
        pv_mm_set_vcpu_root(1, SIM_PAE_L4 - 1);     /* a frame of pvshim's, as the L4 root */
    }
    /* Watchdogs a previous input armed: their timers are gone, free the ids. */
    for (uint32_t id = 1; id <= 8; id++) {
        struct sched_watchdog w = { .id = id, .timeout = 0 };
        memcpy(mm_sim_args, &w, sizeof(w));
        do_sched_op(SCHEDOP_watchdog, SIM_ARGS_VA);
    }

    memset(fuzz_stack, 0, sizeof(fuzz_stack));
    fake_guest_map(FUZZ_STACK_VA, fuzz_stack, sizeof(fuzz_stack));
    if (compat) {
        memset(xlat_area, 0, sizeof(xlat_area));
        fake_guest_map(COMPAT_XLAT_VIRT_START, xlat_area, sizeof(xlat_area));
        compat_xlat_init(COMPAT_XLAT_VIRT_START);
    }
}
