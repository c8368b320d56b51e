#include "services.h"

const struct xen_services *services;

void pv_services_flush(void)
{
    if (services && services->flush)
        services->flush();
}
