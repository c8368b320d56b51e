#include "pvtest.h"


void memory_checks(void) {}
void emul_checks(void) {}
void user_checks(void) {}
