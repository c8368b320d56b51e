#include "pvtest.h"


void event_checks(void) {}
void time_checks(void) {}
void memory_checks(void) {}
void emul_checks(void) {}
void user_checks(void) {}
