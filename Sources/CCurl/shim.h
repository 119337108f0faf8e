#ifndef ANNALS_CCURL_SHIM_H
#define ANNALS_CCURL_SHIM_H
#include <curl/curl.h>

// curl_easy_setopt and curl_easy_getinfo are variadic, which Swift cannot call: one typed helper per argument kind.

/// Initialises libcurl once per process (curl_global_init with CURL_GLOBAL_DEFAULT).
static inline CURLcode annals_curl_global_init(void) { return curl_global_init(CURL_GLOBAL_DEFAULT); }

/// curl_easy_setopt with a long argument.
static inline CURLcode annals_curl_set_long(CURL *handle, CURLoption option, long value) {
    return curl_easy_setopt(handle, option, value);
}

/// curl_easy_setopt with a curl_off_t argument (the *_LARGE options).
static inline CURLcode annals_curl_set_offset(CURL *handle, CURLoption option, curl_off_t value) {
    return curl_easy_setopt(handle, option, value);
}

/// curl_easy_setopt with a string or pointer argument.
static inline CURLcode annals_curl_set_pointer(CURL *handle, CURLoption option, const void *value) {
    return curl_easy_setopt(handle, option, value);
}

/// curl_easy_setopt(CURLOPT_WRITEFUNCTION).
static inline CURLcode annals_curl_set_write_function(CURL *handle, curl_write_callback function) {
    return curl_easy_setopt(handle, CURLOPT_WRITEFUNCTION, function);
}

/// curl_easy_setopt(CURLOPT_HEADERFUNCTION).
static inline CURLcode annals_curl_set_header_function(CURL *handle, curl_write_callback function) {
    return curl_easy_setopt(handle, CURLOPT_HEADERFUNCTION, function);
}

/// Allows only http and https, for the request and for every redirect it follows: CURLOPT_PROTOCOLS_STR and
/// CURLOPT_REDIR_PROTOCOLS_STR from libcurl 7.85 on, the bitmask options they replaced before (Ubuntu 22.04 ships
/// 7.81). Returns the first code that is not CURLE_OK.
static inline CURLcode annals_curl_allow_http_only(CURL *handle) {
#if LIBCURL_VERSION_NUM >= 0x075500
    CURLcode code = curl_easy_setopt(handle, CURLOPT_PROTOCOLS_STR, "http,https");
    return code != CURLE_OK ? code : curl_easy_setopt(handle, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
#else
    CURLcode code = curl_easy_setopt(handle, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
    return code != CURLE_OK ? code : curl_easy_setopt(handle, CURLOPT_REDIR_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
}

/// curl_easy_getinfo with a long result.
static inline CURLcode annals_curl_get_long(CURL *handle, CURLINFO info, long *value) {
    return curl_easy_getinfo(handle, info, value);
}

/// curl_easy_getinfo with a curl_off_t result (the *_T infos).
static inline CURLcode annals_curl_get_offset(CURL *handle, CURLINFO info, curl_off_t *value) {
    return curl_easy_getinfo(handle, info, value);
}

/// curl_easy_getinfo with a string result (owned by the handle).
static inline CURLcode annals_curl_get_string(CURL *handle, CURLINFO info, char **value) {
    return curl_easy_getinfo(handle, info, value);
}

#endif
