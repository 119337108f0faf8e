#define _GNU_SOURCE
#include <pthread.h>
#include <string.h>

#include "annals_support.h"

void annals_name_current_thread(const char *name) {
    // Linux keeps at most 15 bytes of a thread's name (16 with the terminator) and refuses longer ones.
    char shortened[16];
    strncpy(shortened, name, sizeof shortened - 1);
    shortened[sizeof shortened - 1] = '\0';
    pthread_setname_np(pthread_self(), shortened);
}
