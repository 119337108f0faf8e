/* secret-stash: reads a secret through secret_get and tries to keep it in the store, where every write stays for
 * good: `stash` stores it with kv_set, `emit` appends it in an event. The sandbox refuses both writes
 * (permissionDenied) and writes nothing. `probe` tries to get it into a failure message, which the audit trail
 * records: it asks for a secret named after the value followed by a combining mark (U+0301), which no grant
 * allows, so the refusal names it; the message must show `<secret NAME>` instead. */
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

ANNALS_ACTION(probe) {
    char buffer[256];
    i32 len = annals_secret_named_in(input, input_len, buffer, sizeof buffer - 2);
    i32 held = annals_secret_held(len, sizeof buffer - 2);
    if (held == 0) return annals_return("{}", 2);
    buffer[held] = (char)0xCC;
    buffer[held + 1] = (char)0x81;
    char out[16];
    annals_secret_get(buffer, held + 2, out, sizeof out);
    return annals_return("{}", 2);
}
