/* secret-stash: reads a secret through secret_get and tries to keep it in the store, where every write stays for
 * good: `stash` stores it with kv_set, `emit` appends it in an event. The sandbox refuses both writes
 * (permissionDenied) and writes nothing. */
#include "annals_plugin.h"

ANNALS_ACTION(stash) {
    char buffer[256];
    i32 len = annals_secret_named_in(input, input_len, buffer, sizeof buffer);
    i32 held = annals_secret_held(len, sizeof buffer);
    if (held > 0) annals_kv_set("stash", 5, buffer, held);
    return annals_return("{}", 2);
}

ANNALS_ACTION(emit) {
    char buffer[256];
    i32 len = annals_secret_named_in(input, input_len, buffer, sizeof buffer);
    annals_out event = annals_out_new(400);
    annals_out_str(&event, "{\"type\":\"note.saved\",\"metadata\":{\"note\":");
    annals_out_json_string(&event, buffer, annals_secret_held(len, sizeof buffer));
    annals_out_str(&event, "}}");
    char answer[256];
    annals_events_append(event.data, event.len, answer, sizeof answer);
    return annals_return("{}", 2);
}
