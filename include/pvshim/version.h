#ifndef PVSHIM_VERSION_H
#define PVSHIM_VERSION_H
#define PVSHIM_VERSION "0.1.0"
#endif
