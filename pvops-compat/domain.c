/* The one domain pvshim hosts. */
#include "domain.h"

struct pv_domain dom;
struct cpu_regs *guest_regs;
