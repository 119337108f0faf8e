#ifndef ANNALS_SUPPORT_H
#define ANNALS_SUPPORT_H

#include <stddef.h>
#include <stdint.h>

/// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78) of `length` bytes, continuing from `crc`
/// (pass 0 to start). Uses the SSE 4.2 `crc32` instruction when the CPU has it, a table otherwise.
uint32_t annals_crc32c(uint32_t crc, const void *bytes, size_t length);

/// Makes the kernel send `signal` to the calling process when its parent dies (more exactly: when the thread that
/// created it exits). Returns 0, or the errno. The corresponding C call is `prctl(PR_SET_PDEATHSIG, signal)`.
int annals_set_parent_death_signal(int signal);

/// Adds to the `posix_spawn_file_actions_t` at `actions` the closing of every descriptor from `lowest` up. Returns 0,
/// ENOSYS where the C library lacks it (glibc before 2.34), or another errno. The corresponding C function is
/// `posix_spawn_file_actions_addclosefrom_np`.
int annals_spawn_close_from(void *actions, int lowest);

/// Adds to the `posix_spawn_file_actions_t` at `actions` a change of the working directory to `path`, made before
/// the actions after it. Returns 0, ENOSYS where the C library lacks it (glibc before 2.29), or another errno. The
/// corresponding C function is `posix_spawn_file_actions_addchdir_np`.
int annals_spawn_change_directory(void *actions, const char *path);

/// Reserves disk blocks for the first `length` bytes of the file open as `descriptor`, extending it if it is shorter,
/// without changing what it holds. Where the file system cannot reserve blocks, the file is only extended to `length`
/// (as `ftruncate` would) and 0 is returned. Returns 0, or the errno (ENOSPC, EDQUOT, …). The corresponding C call is
/// `fallocate(descriptor, 0, 0, length)`.
int annals_reserve_blocks(int descriptor, int64_t length);

/// Creates the file `path` in `directory` with blocks reserved for its first `length` bytes (zeros), giving it that
/// name only once they are reserved: the file is made unnamed (`O_TMPFILE`, with `mode` less the umask), reserved
/// (`annals_reserve_blocks`), then linked to `path`. So a failed reservation leaves nothing behind, and no other
/// process ever opens a file at `path` that this call could take away again. Where `O_TMPFILE` or `/proc` is
/// missing, a file of its own name next to `path` stands in for the unnamed one and is removed again.
/// Returns 0 once `path` is the reserved file; EEXIST when `path` exists (now or by the time it is linked: another
/// process created it; nothing was created); or the errno of the call that failed, whose name `*failed_call` is set
/// to (`open`, `fallocate`, `linkat` or `link`), with nothing created.
int annals_create_reserved_file(const char *directory, const char *path, unsigned mode, int64_t length,
                                const char **failed_call);

/// Names the calling thread for `top -H`, `perf`, debuggers and `/proc/self/task/*/comm` (the first 15 bytes).
void annals_name_current_thread(const char *name);

/// Sequentially consistent 64-bit load from memory that may be shared between processes.
static inline uint64_t annals_atomic_load_u64(const volatile uint64_t *address) {
    return __atomic_load_n(address, __ATOMIC_SEQ_CST);
}

/// Raises `*address` to `value` if it is lower, atomically; returns the value after the call.
static inline uint64_t annals_atomic_max_u64(volatile uint64_t *address, uint64_t value) {
    uint64_t current = __atomic_load_n(address, __ATOMIC_SEQ_CST);
    while (current < value) {
        if (__atomic_compare_exchange_n(address, &current, value, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)) {
            return value;
        }
    }
    return current;
}

/// Sets `*address` to `desired` if it still holds `expected`; returns whether it did.
static inline int annals_atomic_cas_u64(volatile uint64_t *address, uint64_t expected, uint64_t desired) {
    return __atomic_compare_exchange_n(address, &expected, desired, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
}

/// Sequentially consistent 64-bit store.
static inline void annals_atomic_store_u64(volatile uint64_t *address, uint64_t value) {
    __atomic_store_n(address, value, __ATOMIC_SEQ_CST);
}

/// Atomically adds `delta` and returns the new value.
static inline uint64_t annals_atomic_add_u64(volatile uint64_t *address, uint64_t delta) {
    return __atomic_add_fetch(address, delta, __ATOMIC_SEQ_CST);
}

/// Sleeps until `*address` may differ from `expected`, a wake-up, or `timeout_ns` nanoseconds pass (negative: no
/// timeout). Works across processes on a shared file mapping (not FUTEX_PRIVATE). Returns 0 when woken or the value
/// already differed, 1 on timeout, 2 when interrupted by a signal, -1 on another error.
int annals_futex_wait(const volatile uint32_t *address, uint32_t expected, int64_t timeout_ns);

/// Wakes every process and thread waiting on `address`; returns how many were woken, or -1.
int annals_futex_wake_all(volatile uint32_t *address);

/// Sequentially consistent 32-bit load.
static inline uint32_t annals_atomic_load_u32(const volatile uint32_t *address) {
    return __atomic_load_n(address, __ATOMIC_SEQ_CST);
}

/// Atomically adds `delta` to a 32-bit value and returns the new value.
static inline uint32_t annals_atomic_add_u32(volatile uint32_t *address, uint32_t delta) {
    return __atomic_add_fetch(address, delta, __ATOMIC_SEQ_CST);
}

/// Asks the CPU to start loading the cache line holding `address`, for a read soon after. Only a hint: any
/// address, even an invalid one or NULL, is allowed, and nothing observable changes.
static inline void annals_prefetch(const void *address) {
    __builtin_prefetch(address, 0, 3);
}

#endif
