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

/// A pthread reader-writer lock. It prefers readers (the glibc default), so a thread may take it shared twice.
final class ReadWriteLock: @unchecked Sendable {
    private let rwlock = UnsafeMutablePointer<pthread_rwlock_t>.allocate(capacity: 1)

    init() {
        pthread_rwlock_init(rwlock, nil)
    }
    deinit {
        pthread_rwlock_destroy(rwlock)
        rwlock.deallocate()
    }

    func lockShared() { pthread_rwlock_rdlock(rwlock) }
    func unlockShared() { pthread_rwlock_unlock(rwlock) }
    func lock() { pthread_rwlock_wrlock(rwlock) }
    func unlock() { pthread_rwlock_unlock(rwlock) }
}
