// An LD_PRELOAD library that makes system calls fail as they do on file systems and disks the test machine does not
// have, so that the engine's handling of those failures runs in tests. `ANNALS_FAULTS` lists the faults, separated
// by commas:
//
//   no-tmpfile          open(..., O_TMPFILE) fails with EOPNOTSUPP, as on a file system without unnamed files;
//   no-links            link() and linkat() fail with EPERM, as on vfat, exFAT and some network and FUSE mounts;
//   fdatasync-eio:N     the N-th call to fdatasync() in the process fails with EIO (a disk's write error), and every
//                       other one succeeds, as a later sync does on Linux after the kernel dropped the pages it could
//                       not write.
//   commit-fdatasync-eio:N  the N-th call to fdatasync() that follows, on its thread, a pwrite() or writev() past the
//                       first two pages of a file (LMDB's meta pages) fails with EIO: the N-th data sync of an LMDB commit,
//                       counted apart from the syncs of what is already written (`mdb_env_sync`), which a commit's
//                       meta page write precedes and whose number depends on timing.
//   overlapped-commit-fdatasync-eio:N  as commit-fdatasync-eio:N, and another thread's sync runs alongside the one
//                       that fails, whose failure is reported only after that sync returned: the first fdatasync() not
//                       of a commit after the (N-1)-th commit's data sync waits (up to 5 s) for the N-th to begin, and
//                       the N-th waits (as long) for it to return. So it is when the kernel reports a write error to
//                       whichever of two overlapping syncs of a file descriptor checks it first.
//
// Only the faults named are injected; every other call goes to the C library unchanged. Built by `make shims` into
// .build/shims/libannals-faults.so.
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/uio.h>
#include <unistd.h>

/// Where `fault` is named in `ANNALS_FAULTS` (followed by the end, a comma or, for a fault with a number, a colon),
/// or NULL.
static const char *named(const char *fault) {
    const char *list = getenv("ANNALS_FAULTS");
    if (list == NULL) return NULL;
    size_t length = strlen(fault);
    for (const char *at = list; (at = strstr(at, fault)) != NULL; at += length) {
        int starts = at == list || at[-1] == ',';
        int ends = at[length] == '\0' || at[length] == ',' || at[length] == ':';
        if (starts && ends) return at + length;
    }
    return NULL;
}

/// Whether `fault` is one of the faults `ANNALS_FAULTS` names.
static int injects(const char *fault) { return named(fault) != NULL; }

/// The number after `fault:` in `ANNALS_FAULTS`, or 0 when the fault is not named with one.
static long number(const char *fault) {
    const char *rest = named(fault);
    return rest != NULL && *rest == ':' ? strtol(rest + 1, NULL, 10) : 0;
}

/// The next definition of `name` after this library's (the C library's).
static void *next(const char *name) { return dlsym(RTLD_NEXT, name); }

/// `open` and `open64` alike: a refused O_TMPFILE, or the C library's call with the same arguments.
static int open_with_faults(const char *symbol, const char *path, int flags, mode_t mode) {
    if ((flags & O_TMPFILE) == O_TMPFILE && injects("no-tmpfile")) {
        errno = EOPNOTSUPP;
        return -1;
    }
    int (*real)(const char *, int, ...) = next(symbol);
    return real(path, flags, mode);
}

/// The mode argument, present only when `flags` creates a file.
#define MODE_ARGUMENT(flags, mode)                                  \
    mode_t mode = 0;                                                \
    if ((flags) & O_CREAT || ((flags) & O_TMPFILE) == O_TMPFILE) {  \
        va_list arguments;                                          \
        va_start(arguments, flags);                                 \
        mode = (mode_t)va_arg(arguments, unsigned);                 \
        va_end(arguments);                                          \
    }

int open(const char *path, int flags, ...) {
    MODE_ARGUMENT(flags, mode)
    return open_with_faults("open", path, flags, mode);
}

int open64(const char *path, int flags, ...) {
    MODE_ARGUMENT(flags, mode)
    return open_with_faults("open64", path, flags, mode);
}

int link(const char *from, const char *to) {
    if (injects("no-links")) {
        errno = EPERM;
        return -1;
    }
    int (*real)(const char *, const char *) = next("link");
    return real(from, to);
}

int linkat(int from_directory, const char *from, int to_directory, const char *to, int flags) {
    if (injects("no-links")) {
        errno = EPERM;
        return -1;
    }
    int (*real)(int, const char *, int, const char *, int) = next("linkat");
    return real(from_directory, from, to_directory, to, flags);
}

/// Whether this thread's last pwrite() or writev() since its last fdatasync() wrote past the first two pages of its file: the
/// data pages of an LMDB commit, which syncs them next, rather than a meta page.
static _Thread_local int wrote_data_pages;

/// Notes whether a write at `offset` is one of data pages, for `commit-fdatasync-eio`.
static void note_write(off_t offset) { wrote_data_pages = offset >= 2 * sysconf(_SC_PAGESIZE); }

ssize_t pwrite(int descriptor, const void *buffer, size_t count, off_t offset) {
    note_write(offset);
    ssize_t (*real)(int, const void *, size_t, off_t) = next("pwrite");
    return real(descriptor, buffer, count, offset);
}

ssize_t pwrite64(int descriptor, const void *buffer, size_t count, off_t offset) {
    note_write(offset);
    ssize_t (*real)(int, const void *, size_t, off_t) = next("pwrite64");
    return real(descriptor, buffer, count, offset);
}

/// LMDB writes a run of several pages with lseek() and writev(): the offset is the descriptor's.
ssize_t writev(int descriptor, const struct iovec *vectors, int count) {
    off_t offset = lseek(descriptor, 0, SEEK_CUR);
    if (offset >= 0) note_write(offset);
    ssize_t (*real)(int, const struct iovec *, int) = next("writev");
    return real(descriptor, vectors, count);
}

/// The calls to fdatasync() so far, from every thread.
static atomic_long fdatasync_calls;
/// The calls to fdatasync() so far that followed a write of data pages on their thread (commits' data syncs).
static atomic_long commit_fdatasync_calls;

/// The rendezvous of `overlapped-commit-fdatasync-eio`: the stages reached, guarded by `overlap_lock`.
static pthread_mutex_t overlap_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t overlap_changed = PTHREAD_COND_INITIALIZER;
/// The (N-1)-th commit's sync has returned; the sync that overlaps the N-th is taken; the N-th has begun; the
/// overlapping one has returned.
static int overlap_armed, overlap_taken, overlap_failing_began, overlap_other_returned;

/// Waits (lock held) up to 5 s for `*stage` to be set.
static void await_stage(int *stage) {
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += 5;
    while (!*stage && pthread_cond_timedwait(&overlap_changed, &overlap_lock, &deadline) == 0) {}
}

/// Sets `*stage` and wakes the other side.
static void reach_stage(int *stage) {
    pthread_mutex_lock(&overlap_lock);
    *stage = 1;
    pthread_cond_broadcast(&overlap_changed);
    pthread_mutex_unlock(&overlap_lock);
}

int fdatasync(int descriptor) {
    long call = atomic_fetch_add(&fdatasync_calls, 1) + 1;
    long commit_call = wrote_data_pages ? atomic_fetch_add(&commit_fdatasync_calls, 1) + 1 : 0;
    wrote_data_pages = 0;
    int (*real)(int) = next("fdatasync");
    long overlapped = number("overlapped-commit-fdatasync-eio");
    if (overlapped > 0 && commit_call == overlapped) {
        reach_stage(&overlap_failing_began);
        pthread_mutex_lock(&overlap_lock);
        await_stage(&overlap_other_returned);
        pthread_mutex_unlock(&overlap_lock);
        errno = EIO;
        return -1;
    }
    if (overlapped > 0 && commit_call == 0) {
        pthread_mutex_lock(&overlap_lock);
        int overlaps = overlap_armed && !overlap_taken;
        if (overlaps) {
            overlap_taken = 1;
            await_stage(&overlap_failing_began);
        }
        pthread_mutex_unlock(&overlap_lock);
        if (overlaps) {
            int result = real(descriptor);
            reach_stage(&overlap_other_returned);
            return result;
        }
    }
    if (call == number("fdatasync-eio") || (commit_call > 0 && commit_call == number("commit-fdatasync-eio"))) {
        errno = EIO;
        return -1;
    }
    int result = real(descriptor);
    if (overlapped > 0 && commit_call == overlapped - 1) reach_stage(&overlap_armed);
    return result;
}
