#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "annals_support.h"

int annals_reserve_blocks(int descriptor, int64_t length) {
    // fallocate(2) itself, not posix_fallocate(3): where the file system cannot reserve blocks, glibc's
    // posix_fallocate falls back to writing a zero byte into every block that reads as zero, which could overwrite
    // what another process writes into a shared mapping of the same file meanwhile.
    while (fallocate(descriptor, 0, 0, (off_t)length) != 0) {
        if (errno == EINTR) continue;
        if (errno != EOPNOTSUPP && errno != EINVAL) return errno;
        // A file system that reserves no blocks: the file is only sized, as ftruncate alone would.
        struct stat status;
        if (fstat(descriptor, &status) != 0) return errno;
        if (status.st_size < length && ftruncate(descriptor, (off_t)length) != 0) return errno;
        return 0;
    }
    return 0;
}
