#if canImport(Glibc)
    import Glibc
#endif

/// A pthread mutex for short critical sections.
final class Mutex: @unchecked Sendable {
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)

    init() { pthread_mutex_init(mutex, nil) }
    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    func lock() { pthread_mutex_lock(mutex) }
    func unlock() { pthread_mutex_unlock(mutex) }
}

/// The lock that keeps a map resize away from open transactions: transactions hold it shared, a resize exclusive.
///
/// Built on glibc's reader-preferring rwlock (so a thread may nest shared holds), with a gate against writer
/// starvation: once a resize is waiting, threads that do not already hold the lock wait for the resize before taking
/// it shared. Threads that do hold it (nested transactions) pass, so nesting cannot deadlock against the gate.
final class ReadWriteLock: @unchecked Sendable {
    private let rwlock: UnsafeMutablePointer<pthread_rwlock_t>
    private let gate: UnsafeMutablePointer<pthread_mutex_t>
    private let gateOpened: UnsafeMutablePointer<pthread_cond_t>
    /// Resizes waiting for or holding the exclusive lock (guarded by `gate`).
    private var pendingResizes = 0
    /// This thread's shared holds, per lock.
    private let depthKey: pthread_key_t

    /// - Throws: ``LMDBError`` naming `pthread_key_create` when the process has no thread-specific key left (glibc
    ///   has 1,024, one per open environment): without its own key, the lock would count its holds in another's.
    init() throws(LMDBError) {
        // Thrown before the other properties are set: nothing is allocated yet, and `deinit` does not run.
        var key = pthread_key_t()
        let created = pthread_key_create(&key, nil)
        guard created == 0 else {
            throw LMDBError(
                code: LMDBError.Code(rawValue: created), operation: "pthread_key_create",
                detail: "this process has no thread-specific key left for another environment (each open one takes "
                    + "one of the 1,024 glibc has): close environments it no longer uses")
        }
        depthKey = key
        rwlock = .allocate(capacity: 1)
        gate = .allocate(capacity: 1)
        gateOpened = .allocate(capacity: 1)
        pthread_rwlock_init(rwlock, nil)
        pthread_mutex_init(gate, nil)
        pthread_cond_init(gateOpened, nil)
    }

    deinit {
        pthread_key_delete(depthKey)
        pthread_cond_destroy(gateOpened)
        pthread_mutex_destroy(gate)
        pthread_rwlock_destroy(rwlock)
        gateOpened.deallocate()
        gate.deallocate()
        rwlock.deallocate()
    }

    /// How many shared holds the calling thread has.
    var sharedDepth: Int { Int(bitPattern: pthread_getspecific(depthKey)) }

    private func setSharedDepth(_ depth: Int) {
        pthread_setspecific(depthKey, UnsafeRawPointer(bitPattern: depth))
    }

    func lockShared() {
        let depth = sharedDepth
        if depth == 0 {
            pthread_mutex_lock(gate)
            while pendingResizes > 0 { pthread_cond_wait(gateOpened, gate) }
            pthread_mutex_unlock(gate)
        }
        pthread_rwlock_rdlock(rwlock)
        setSharedDepth(depth + 1)
    }

    func unlockShared() {
        pthread_rwlock_unlock(rwlock)
        setSharedDepth(sharedDepth - 1)
    }

    func lock() {
        pthread_mutex_lock(gate)
        pendingResizes += 1
        pthread_mutex_unlock(gate)
        pthread_rwlock_wrlock(rwlock)
    }

    func unlock() {
        pthread_rwlock_unlock(rwlock)
        pthread_mutex_lock(gate)
        pendingResizes -= 1
        if pendingResizes == 0 { pthread_cond_broadcast(gateOpened) }
        pthread_mutex_unlock(gate)
    }
}
