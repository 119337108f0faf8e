/* forbidden-import: reads a secret through secret_get. Run without a secrets.read grant, it is refused at
 * instantiation; with one, `length` reports the secret's length for {"name":"..."}, and `leak` tries to return
 * the value itself (the sandbox refuses such output). */
#include "annals_plugin.h"

ANNALS_ACTION(length) {
    char buffer[256];
    i32 len = annals_secret_named_in(input, input_len, buffer, sizeof buffer);
    annals_out out = annals_out_new(32);
    annals_out_str(&out, "{\"length\":");
    annals_out_int(&out, len);
    annals_out_str(&out, "}");
    return annals_out_return(&out);
}

ANNALS_ACTION(leak) {
    char buffer[256];
    i32 len = annals_secret_named_in(input, input_len, buffer, sizeof buffer);
    annals_out out = annals_out_new(300);
    annals_out_str(&out, "{\"secret\":");
    annals_out_json_string(&out, buffer, annals_secret_held(len, sizeof buffer));
    annals_out_str(&out, "}");
    return annals_out_return(&out);
}
