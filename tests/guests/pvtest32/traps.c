/* Trap, event and failsafe handlers: what arrived is recorded for the checks. */
#include "pvtest32.h"

volatile struct trap_record last_trap;
volatile unsigned events_seen, failsafe_seen;
volatile uint32_t event_sel_seen, event_port_seen;

struct probe { uint32_t insn, fix; };
extern const struct probe probe_table[], probe_table_end[];
extern char user_home[];
extern void check_abort_trampoline(void);
void hypervisor_callback(void);
void failsafe_callback(void);
void trap_handler(struct tframe *f);
void event_handler(struct tframe *f);
void failsafe_handler(struct tframe *f);

#define DECLARE_STUB(n) extern char trap_stub_##n[];
DECLARE_STUB(0) DECLARE_STUB(1) DECLARE_STUB(3) DECLARE_STUB(4) DECLARE_STUB(6)
DECLARE_STUB(7) DECLARE_STUB(8) DECLARE_STUB(10) DECLARE_STUB(11) DECLARE_STUB(12)
DECLARE_STUB(13) DECLARE_STUB(14) DECLARE_STUB(17) DECLARE_STUB(0x80)

/* The 32-bit trap table: 8-byte entries, flags bits 0-1 the DPL. */
static struct trap_info traps[] = {
    { 0, 0, RING1_CS, (unsigned long)trap_stub_0 },
    { 1, 0, RING1_CS, (unsigned long)trap_stub_1 },
    { 3, 3, RING1_CS, (unsigned long)trap_stub_3 },
    { 4, 3, RING1_CS, (unsigned long)trap_stub_4 },
    { 6, 0, RING1_CS, (unsigned long)trap_stub_6 },
    { 7, 0, RING1_CS, (unsigned long)trap_stub_7 },
    { 8, 0, RING1_CS, (unsigned long)trap_stub_8 },
    { 10, 0, RING1_CS, (unsigned long)trap_stub_10 },
    { 11, 0, RING1_CS, (unsigned long)trap_stub_11 },
    { 12, 0, RING1_CS, (unsigned long)trap_stub_12 },
    { 13, 0, RING1_CS, (unsigned long)trap_stub_13 },
    { 14, 0, RING1_CS, (unsigned long)trap_stub_14 },
    { 17, 0, RING1_CS, (unsigned long)trap_stub_17 },
    { 0x80, 3, RING1_CS, (unsigned long)trap_stub_0x80 },
    { 0, 0, 0, 0 },
};

void trap_setup(void)
{
    long rc = hypercall1(__HYPERVISOR_set_trap_table, traps);
    if (rc)
        printf("FAIL traps.setup: set_trap_table returned %ld\n", rc);
    rc = hypercall4(__HYPERVISOR_set_callbacks, RING1_CS, hypervisor_callback,
                    RING1_CS, failsafe_callback);
    if (rc)
        printf("FAIL traps.setup: set_callbacks returned %ld\n", rc);
}

void trap_handler(struct tframe *f)
{
    last_trap.count++;
    last_trap.vector = f->vector;
    last_trap.error = f->error;
    last_trap.eip = f->eip;
    last_trap.cs = f->cs;
    last_trap.eflags = f->eflags;
    last_trap.cr2 = shinfo->vcpu_info[0].arch.cr2;

    if (f->vector == 0x80) {
        /* From ring 3: EAX 0 goes home, anything else comes back plus one. */
        if (f->eax == 0) {
            f->eip = (uint32_t)user_home;
            f->cs = RING1_CS;
        } else {
            f->eax++;
        }
        return;
    }
    if (f->vector == 3 || f->vector == 4)
        return;                     /* traps: EIP is already past the instruction */
    for (const struct probe *p = probe_table; p < probe_table_end; p++)
        if (p->insn == f->eip) {
            f->eip = p->fix;
            return;
        }
    printf("unexpected trap %u error %#x at %04x:%#x\n", (unsigned)f->vector,
           (unsigned)f->error, (unsigned)(f->cs & 0xffff), (unsigned)f->eip);
    f->eip = (uint32_t)check_abort_trampoline;
    f->cs = RING1_CS;
}

/* 2-level, 32-bit words: the selector word has one bit per 32 ports. */
void event_handler(struct tframe *f)
{
    struct vcpu_info *vi = &shinfo->vcpu_info[0];
    events_seen++;
    vi->evtchn_upcall_pending = 0;
    uint32_t sel = __atomic_exchange_n(&vi->evtchn_pending_sel, 0, __ATOMIC_SEQ_CST);
    event_sel_seen |= sel;
    while (sel) {
        unsigned w = __builtin_ctz(sel);
        sel &= sel - 1;
        uint32_t pend = shinfo->evtchn_pending[w] & ~shinfo->evtchn_mask[w];
        while (pend) {
            unsigned b = __builtin_ctz(pend);
            pend &= pend - 1;
            __atomic_fetch_and(&shinfo->evtchn_pending[w], ~(1u << b), __ATOMIC_SEQ_CST);
            event_port_seen = w * 32 + b;
        }
    }
}

/* After pushad: DS, ES, FS, GS of the frame that failed, then EIP, CS, EFLAGS, ESP, SS. */
struct failsafe_frame {
    uint32_t edi, esi, ebp, esp0, ebx, edx, ecx, eax;
    uint32_t ds, es, fs, gs, eip, cs, eflags, esp, ss;
};
volatile uint32_t failsafe_cs_seen, failsafe_ds_seen;
extern char failsafe_resume[];

void failsafe_handler(struct tframe *f)
{
    struct failsafe_frame *ff = (struct failsafe_frame *)f;
    failsafe_seen++;
    failsafe_cs_seen = ff->cs;
    failsafe_ds_seen = ff->ds;
    ff->eip = (uint32_t)failsafe_resume;
    ff->cs = RING1_CS;
}
