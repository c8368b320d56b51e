#include "pvtest.h"


void segment_checks(void) {}
void multicall_checks(void) {}
void event_checks(void) {}
void time_checks(void) {}
void memory_checks(void) {}
void emul_checks(void) {}
void user_checks(void) {}
