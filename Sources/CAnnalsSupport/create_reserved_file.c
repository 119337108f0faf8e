#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include "annals_support.h"

/// Reserves `length` bytes of the new file open as `descriptor`, then gives it the name `path` unless that exists.
/// `named` is the file's own name, or NULL for an unnamed file (O_TMPFILE), linked through /proc/self/fd.
static int reserve_and_link(int descriptor, const char *named, const char *path, int64_t length,
                            const char **failed_call) {
    int failure = annals_reserve_blocks(descriptor, length);
    if (failure != 0) {
        *failed_call = "fallocate";
        return failure;
    }
    if (named != NULL) {
        *failed_call = "link";
        return link(named, path) == 0 ? 0 : errno;
    }
    char self[64];
    snprintf(self, sizeof self, "/proc/self/fd/%d", descriptor);
    *failed_call = "linkat";
    return linkat(AT_FDCWD, self, AT_FDCWD, path, AT_SYMLINK_FOLLOW) == 0 ? 0 : errno;
}

/// Where O_TMPFILE or /proc is missing: a file of its own name next to `path` (`PATH.reserving.PID.N`), removed again
/// whatever happens (only a crash in between leaves it).
static int create_through_named_file(const char *path, unsigned mode, int64_t length, const char **failed_call) {
    char named[4096];
    *failed_call = "open";
    for (unsigned attempt = 0; attempt < 100; attempt++) {
        int written = snprintf(named, sizeof named, "%s.reserving.%ld.%u", path, (long)getpid(), attempt);
        if (written < 0 || (size_t)written >= sizeof named) return ENAMETOOLONG;
        int descriptor = open(named, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, (mode_t)mode);
        if (descriptor < 0) {
            if (errno == EEXIST) continue;
            return errno;
        }
        int failure = reserve_and_link(descriptor, named, path, length, failed_call);
        unlink(named);
        close(descriptor);
        return failure;
    }
    return EEXIST;
}

int annals_create_reserved_file(const char *directory, const char *path, unsigned mode, int64_t length,
                                const char **failed_call) {
    int descriptor = -1;
    if (access("/proc/self/fd", X_OK) == 0) {
        descriptor = open(directory, O_TMPFILE | O_RDWR | O_CLOEXEC, (mode_t)mode);
        // EISDIR: a kernel without O_TMPFILE; EOPNOTSUPP: a file system without it.
        if (descriptor < 0 && errno != EISDIR && errno != EOPNOTSUPP) {
            *failed_call = "open";
            return errno;
        }
    }
    if (descriptor < 0) return create_through_named_file(path, mode, length, failed_call);
    int failure = reserve_and_link(descriptor, NULL, path, length, failed_call);
    close(descriptor);
    return failure;
}
