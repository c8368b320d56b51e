/*
 * Weak fallbacks for parts being written elsewhere; their real definitions
 * replace these. Remove each once its implementation has landed.
 */
#include "emulate.h"
#include "hypercalls.h"
#include <pvshim/xen_abi.h>

