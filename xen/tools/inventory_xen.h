/* pvshim-inventory's real host: libxenctrl, libxenstore, files. */
#ifndef PVSHIM_TOOLS_INVENTORY_XEN_H
#define PVSHIM_TOOLS_INVENTORY_XEN_H

#include "inventory_host.h"

/* Connect to the hypervisor and xenstore: 0, or -1 with the reason in err. */
int inventory_xen_open(struct inv_host *h, char *err, size_t errlen);
void inventory_xen_close(struct inv_host *h);

#endif
