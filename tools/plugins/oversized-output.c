/* oversized-output: action run returns a JSON string of {"bytes":N} bytes (default 2 MiB). */
#include "annals_plugin.h"

ANNALS_ACTION(run) {
    i64 size = annals_json_int(input, input_len, "bytes", 2 * 1024 * 1024);
    if (size < 2) size = 2;
    char *data = (char *)annals_alloc((i32)size);
    data[0] = '"';
    for (i64 i = 1; i < size - 1; i++) data[i] = 'a';
    data[size - 1] = '"';
    return annals_return(data, (i32)size);
}
