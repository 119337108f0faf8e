/* event-counter: on_event counts events per type in the plugin's kv state ("count:<type>") and returns
 * {"type":"...","count":N}. Needs the kv capability. */
#include "annals_plugin.h"

ANNALS_ACTION(on_event) {
    i32 type_len = 0;
    const char *type = annals_json_string(input, input_len, "type", &type_len);
    annals_out out = annals_out_new(64);
    if (!type) {
        annals_out_str(&out, "{\"error\":\"the event has no type\"}");
        return annals_out_return(&out);
    }
    annals_out key = annals_out_new(16 + type_len);
    annals_out_str(&key, "count:");
    annals_out_bytes(&key, type, type_len);

    char stored[24];
    i32 stored_len = annals_kv_get(key.data, key.len, stored, sizeof stored);
    i64 count = 0;
    if (stored_len > 0 && stored_len <= (i32)sizeof stored)
        for (i32 i = 0; i < stored_len; i++) count = count * 10 + (stored[i] - '0');
    count += 1;

    annals_out value = annals_out_new(24);
    annals_out_int(&value, count);
    annals_kv_set(key.data, key.len, value.data, value.len);

    annals_out_str(&out, "{\"type\":");
    annals_out_json_string(&out, type, type_len);
    annals_out_str(&out, ",\"count\":");
    annals_out_int(&out, count);
    annals_out_str(&out, "}");
    return annals_out_return(&out);
}
