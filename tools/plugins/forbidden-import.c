/* forbidden-import: reads a secret through secret_get. Run without a secrets.read grant, it is refused at
 * instantiation; with one, `length` reports the secret's length for {"name":"..."}, and `leak` tries to return
 * the value itself (the sandbox refuses such output). */
#include "annals_plugin.h"

static i32 read_secret(const char *input, i32 input_len, char *buffer, i32 cap) {
    i32 name_len = 0;
    const char *name = annals_json_string(input, input_len, "name", &name_len);
    if (!name) return -1;
    return annals_secret_get(name, name_len, buffer, cap);
}

ANNALS_ACTION(length) {
    char buffer[256];
    i32 len = read_secret(input, input_len, buffer, sizeof buffer);
    annals_out out = annals_out_new(32);
    annals_out_str(&out, "{\"length\":");
    annals_out_int(&out, len);
    annals_out_str(&out, "}");
    return annals_out_return(&out);
}

ANNALS_ACTION(leak) {
    char buffer[256];
    i32 len = read_secret(input, input_len, buffer, sizeof buffer);
    annals_out out = annals_out_new(300);
    annals_out_str(&out, "{\"secret\":");
    annals_out_json_string(&out, buffer, len > 0 && len <= (i32)sizeof buffer ? len : 0);
    annals_out_str(&out, "}");
    return annals_out_return(&out);
}
