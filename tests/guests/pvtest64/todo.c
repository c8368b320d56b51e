#include "pvtest.h"


void user_checks(void) {}
