/*
 * annals_plugin.h: the Annals plugin ABI for freestanding C (see docs/PLUGINS-SANDBOX.md).
 *
 * One plugin is one C file that includes this header once. It gives:
 *   - annals_alloc, the exported bump allocator the host uses to pass the input;
 *   - ANNALS_ACTION(name), which exports a function as the action `name`;
 *   - the host functions of module "annals" (declare only what you use: every import needs a capability);
 *   - a tiny output builder (annals_out_*) and JSON field readers good enough for flat objects.
 * Build: clang --target=wasm32 -nostdlib -O2 -Wl,--no-entry plugin.c -o plugin.wasm
 */
#ifndef ANNALS_PLUGIN_H
#define ANNALS_PLUGIN_H

typedef unsigned char u8;
typedef unsigned int u32;
typedef int i32;
typedef long long i64;
typedef unsigned long long u64;

#define ANNALS_EXPORT(name) __attribute__((export_name(name))) __attribute__((used))
#define ANNALS_IMPORT(name) __attribute__((import_module("annals"), import_name(name)))
/* Declares the action `name`: exported as action_<name>(input_ptr, input_len) -> (output_ptr << 32) | output_len. */
#define ANNALS_ACTION(name) ANNALS_EXPORT("action_" #name) i64 action_##name(const char *input, i32 input_len)

/* Host functions (module "annals"). Results go into a caller-provided buffer: the return value is the full
 * length of the result (written only if it fits in `cap`; call again with a bigger buffer otherwise), or -1 when
 * there is no value. A bad pointer or length traps the plugin. */
/* capability events.read: request {"after":OFFSET,"limit":N,"type":"..."} -> a JSON array of events. */
ANNALS_IMPORT("events_read") i32 annals_events_read(const char *request, i32 request_len, char *out, i32 cap);
/* capability events.append: one event as JSON -> the host's JSON answer (such as {"offset":12}). */
ANNALS_IMPORT("events_append") i32 annals_events_append(const char *event, i32 event_len, char *out, i32 cap);
/* capability kv: the plugin's private key/value state. */
ANNALS_IMPORT("kv_get") i32 annals_kv_get(const char *key, i32 key_len, char *out, i32 cap);
ANNALS_IMPORT("kv_set") void annals_kv_set(const char *key, i32 key_len, const char *value, i32 value_len);
/* capability secrets.read:NAME: the secret's value, -1 when the host has none. */
ANNALS_IMPORT("secret_get") i32 annals_secret_get(const char *name, i32 name_len, char *out, i32 cap);

extern u8 __heap_base;
static u32 annals_heap_top;

/* The bump allocator: memory is never freed; every invocation starts from a fresh instance. */
ANNALS_EXPORT("annals_alloc") void *annals_alloc(i32 size) {
    if (size < 0) return 0;
    if (annals_heap_top == 0) annals_heap_top = (u32)&__heap_base;
    u32 start = (annals_heap_top + 7u) & ~7u;
    u32 end = start + (u32)size;
    u32 available = (u32)__builtin_wasm_memory_size(0) * 65536u;
    if (end > available) {
        u32 pages = (end - available + 65535u) / 65536u;
        if (__builtin_wasm_memory_grow(0, pages) == (unsigned long)-1) return 0;
    }
    annals_heap_top = end;
    return (void *)start;
}

static inline i64 annals_return(const char *ptr, i32 len) {
    return (i64)(((u64)(u32)ptr << 32) | (u64)(u32)len);
}

static inline i32 annals_strlen(const char *s) {
    i32 n = 0;
    while (s[n]) n++;
    return n;
}

/* An output buffer growing in the bump heap. */
typedef struct {
    char *data;
    i32 len;
    i32 cap;
} annals_out;

static inline annals_out annals_out_new(i32 cap) {
    annals_out out = {(char *)annals_alloc(cap), 0, cap};
    return out;
}

static inline void annals_out_bytes(annals_out *out, const char *bytes, i32 len) {
    if (out->len + len > out->cap) {
        i32 cap = (out->len + len) * 2;
        char *data = (char *)annals_alloc(cap);
        for (i32 i = 0; i < out->len; i++) data[i] = out->data[i];
        out->data = data;
        out->cap = cap;
    }
    for (i32 i = 0; i < len; i++) out->data[out->len + i] = bytes[i];
    out->len += len;
}

static inline void annals_out_str(annals_out *out, const char *s) { annals_out_bytes(out, s, annals_strlen(s)); }

static inline void annals_out_int(annals_out *out, i64 value) {
    char digits[24];
    i32 n = 0;
    u64 magnitude = value < 0 ? (u64)(-value) : (u64)value;
    do {
        digits[n++] = (char)('0' + magnitude % 10);
        magnitude /= 10;
    } while (magnitude);
    if (value < 0) annals_out_bytes(out, "-", 1);
    while (n) annals_out_bytes(out, &digits[--n], 1);
}

/* A number with two decimals, from hundredths. */
static inline void annals_out_cents(annals_out *out, i64 cents) {
    if (cents < 0) {
        annals_out_bytes(out, "-", 1);
        cents = -cents;
    }
    annals_out_int(out, cents / 100);
    char fraction[3] = {'.', (char)('0' + cents / 10 % 10), (char)('0' + cents % 10)};
    annals_out_bytes(out, fraction, 3);
}

/* A JSON string literal; the value is escaped. */
static inline void annals_out_json_string(annals_out *out, const char *s, i32 len) {
    annals_out_bytes(out, "\"", 1);
    for (i32 i = 0; i < len; i++) {
        char c = s[i];
        if (c == '"' || c == '\\') {
            char escaped[2] = {'\\', c};
            annals_out_bytes(out, escaped, 2);
        } else if ((u8)c < 0x20) {
            annals_out_str(out, "?");
        } else {
            annals_out_bytes(out, &c, 1);
        }
    }
    annals_out_bytes(out, "\"", 1);
}

static inline i64 annals_out_return(annals_out *out) { return annals_return(out->data, out->len); }

/* Finds "key": in a flat JSON object and returns a pointer just past the colon and spaces, or 0. */
static inline const char *annals_json_field(const char *json, i32 len, const char *key) {
    i32 key_len = annals_strlen(key);
    for (i32 i = 0; i + key_len + 2 < len; i++) {
        if (json[i] != '"') continue;
        i32 k = 0;
        while (k < key_len && json[i + 1 + k] == key[k]) k++;
        if (k != key_len || json[i + 1 + k] != '"') continue;
        i32 j = i + key_len + 2;
        while (j < len && (json[j] == ' ' || json[j] == ':')) j++;
        return j < len ? json + j : 0;
    }
    return 0;
}

/* The string value of "key" (without escapes); sets *out_len, returns 0 when absent or not a string. */
static inline const char *annals_json_string(const char *json, i32 len, const char *key, i32 *out_len) {
    const char *value = annals_json_field(json, len, key);
    if (!value || *value != '"') return 0;
    const char *end = json + len;
    i32 n = 0;
    while (value + 1 + n < end && value[1 + n] != '"') n++;
    *out_len = n;
    return value + 1;
}

/* The secret the input's "name" field names, read with secret_get into `buffer`: its length, or -1 when the input
 * names none or the host has no such secret. Uses the secret_get import only where it is called. */
static inline i32 annals_secret_named_in(const char *input, i32 input_len, char *buffer, i32 cap) {
    i32 name_len = 0;
    const char *name = annals_json_string(input, input_len, "name", &name_len);
    if (!name) return -1;
    return annals_secret_get(name, name_len, buffer, cap);
}

/* How much of `buffer` (of `cap` bytes) holds the secret annals_secret_named_in returned `len` for: all of it,
 * or 0 when none was read or it did not fit. */
static inline i32 annals_secret_held(i32 len, i32 cap) { return len > 0 && len <= cap ? len : 0; }

/* The integer value of "key"; returns `fallback` when absent. */
static inline i64 annals_json_int(const char *json, i32 len, const char *key, i64 fallback) {
    const char *value = annals_json_field(json, len, key);
    if (!value) return fallback;
    const char *end = json + len;
    i64 sign = 1, result = 0;
    if (value < end && *value == '-') {
        sign = -1;
        value++;
    }
    if (value >= end || *value < '0' || *value > '9') return fallback;
    while (value < end && *value >= '0' && *value <= '9') result = result * 10 + (*value++ - '0');
    return sign * result;
}

static inline i32 annals_equal(const char *a, i32 a_len, const char *b) {
    i32 b_len = annals_strlen(b);
    if (a_len != b_len) return 0;
    for (i32 i = 0; i < a_len; i++)
        if (a[i] != b[i]) return 0;
    return 1;
}

#endif
