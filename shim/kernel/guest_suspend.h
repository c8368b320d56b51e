/*
 * A guest's suspend in pvshim writes its save file to the save disk
 * (guest_suspend.c says what the guest sees).
 */
#ifndef PVSHIM_KERNEL_GUEST_SUSPEND_H
#define PVSHIM_KERNEL_GUEST_SUSPEND_H

#include <pvshim/blkdev.h>

/*
 * From now on a suspend comes here (pv_suspend_handler): d is the disk
 * that takes the save file (option savedisk=N; the guest never sees it),
 * NULL if there is none (every suspend is cancelled).
 */
void guest_suspend_init(struct blkdev *d);

/*
 * The calling vCPU's SCHEDOP_shutdown(SHUTDOWN_suspend): 0 when the file
 * is written (the caller ends pvshim), 1 when the save was cancelled (the
 * reason logged; the hypercall returns 1).
 */
int guest_suspend(void);

#endif
