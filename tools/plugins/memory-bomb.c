/* memory-bomb: action run grows linear memory one MiB at a time, touching every page, until refused. */
#include "annals_plugin.h"

ANNALS_ACTION(run) {
    i64 pages = 0;
    for (;;) {
        unsigned long old = __builtin_wasm_memory_grow(0, 16);
        if (old == (unsigned long)-1) break;
        for (u32 page = 0; page < 16; page++) ((volatile char *)((old + page) * 65536u))[0] = 1;
        pages += 16;
    }
    annals_out out = annals_out_new(32);
    annals_out_str(&out, "{\"grownPages\":");
    annals_out_int(&out, pages);
    annals_out_str(&out, "}");
    return annals_out_return(&out);
}
