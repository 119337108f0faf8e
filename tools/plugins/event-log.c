/* event-log: appends and reads events through the host. Needs events.append and events.read.
 * emit: the input is the event to append; returns the host's answer.
 * recent: the input is the read request; returns the events the host gives back. */
#include "annals_plugin.h"

static i64 call_with_buffer(i32 (*call)(const char *, i32, char *, i32), const char *input, i32 input_len) {
    i32 cap = 256;
    char *buffer = (char *)annals_alloc(cap);
    i32 len = call(input, input_len, buffer, cap);
    if (len > cap) {
        buffer = (char *)annals_alloc(len);
        len = call(input, input_len, buffer, len);
    }
    if (len < 0) return annals_return("null", 4);
    return annals_return(buffer, len);
}

ANNALS_ACTION(emit) { return call_with_buffer(annals_events_append, input, input_len); }

ANNALS_ACTION(recent) { return call_with_buffer(annals_events_read, input, input_len); }
