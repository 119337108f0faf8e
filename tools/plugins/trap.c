/* trap: unreachable executes `unreachable`; divide divides by zero. */
#include "annals_plugin.h"

static volatile i32 zero;

ANNALS_ACTION(unreachable) { __builtin_trap(); }

ANNALS_ACTION(divide) { return annals_return("{}", 2 + 100 / zero); }

/* on_event: an event handler that always traps, for the dead-letter tests and demo. */
ANNALS_ACTION(on_event) { __builtin_trap(); }
