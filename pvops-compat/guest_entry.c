/* Placeholder until the run loop lands: no guest runs yet. */
#include <pvshim/guest_entry.h>
#include <pvshim/status.h>

void guest_exception(struct cpu_regs *r)
{
    panic("exception %llu from ring 3 with no guest", (unsigned long long)r->vector);
}

void guest_syscall(struct cpu_regs *r)
{
    (void)r;
    panic("SYSCALL with no guest");
}

void guest_resume(struct cpu_regs *r)
{
    (void)r;
}
