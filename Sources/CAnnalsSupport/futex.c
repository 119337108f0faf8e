#include "annals_support.h"

#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

int annals_futex_wait(const volatile uint32_t *address, uint32_t expected, int64_t timeout_ns) {
    struct timespec timeout;
    struct timespec *timeout_pointer = NULL;
    if (timeout_ns >= 0) {
        timeout.tv_sec = (time_t)(timeout_ns / 1000000000);
        timeout.tv_nsec = (long)(timeout_ns % 1000000000);
        timeout_pointer = &timeout;
    }
    long rc = syscall(SYS_futex, address, FUTEX_WAIT, expected, timeout_pointer, NULL, 0);
    if (rc == 0) return 0;
    if (errno == EAGAIN) return 0;       /* the value had already changed */
    if (errno == ETIMEDOUT) return 1;
    if (errno == EINTR) return 2;
    return -1;
}

int annals_futex_wake_all(volatile uint32_t *address) {
    long rc = syscall(SYS_futex, address, FUTEX_WAKE, INT_MAX, NULL, NULL, 0);
    return rc < 0 ? -1 : (int)rc;
}
