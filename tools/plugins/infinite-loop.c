/* infinite-loop: action run never returns. */
#include "annals_plugin.h"

static volatile u32 spins;

ANNALS_ACTION(run) {
    for (;;) spins++;
    return 0;
}
