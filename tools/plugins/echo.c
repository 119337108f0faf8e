/* echo: the smallest plugin, used by the invoke overhead benchmark, plus two misbehaving actions. */
#include "annals_plugin.h"

/* echo: returns the input unchanged (the input buffer is in guest memory already). */
ANNALS_ACTION(echo) { return annals_return(input, input_len); }

/* not_json: returns bytes that are not JSON. */
ANNALS_ACTION(not_json) {
    static const char text[] = "this is not json";
    return annals_return(text, sizeof text - 1);
}

/* bad_pointer: returns an output range far outside linear memory. */
ANNALS_ACTION(bad_pointer) { return annals_return((const char *)0xFFFFFF00u, 64); }

/* on_event: the trivial event handler of the dispatch benchmark: accepts every event and returns {}. */
ANNALS_ACTION(on_event) { return annals_return("{}", 2); }
