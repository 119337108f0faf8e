/* deep-recursion: action run recurses without end (not a tail call, so no loop can replace it). */
#include "annals_plugin.h"

#pragma clang diagnostic ignored "-Winfinite-recursion"

static volatile i32 depth;

__attribute__((noinline)) static i32 recurse(i32 n) {
    depth = n;
    return recurse(n + 1) + depth;
}

ANNALS_ACTION(run) { return annals_return("{}", 2 + 0 * recurse(0)); }
