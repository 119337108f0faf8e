import Annals
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Keeps two dispatchers of the same subscriptions from running at once, in any processes: each would deliver every
/// event (at least once becomes always twice), and a plugin that reads, changes and writes its state back would lose
/// updates. Advisory `flock` locks on files beside the store, taken without waiting:
///
/// - a dispatcher of every organization holds `dispatch.lock` exclusively;
/// - a dispatcher of one organization holds it shared, and `dispatch-HEX.lock` (HEX: the organization's name in
///   hexadecimal) exclusively, so dispatchers of different organizations run side by side.
///
/// Held while a pass runs, or for as long as a caller keeps a ``PluginDispatcher/Reservation``; nested holds by the
/// same dispatcher (a pass inside a reservation) count, and the locks go when the last one ends, or with the process.
/// The locks cannot tell a dispatcher from its copies (which share this object), so passes are also counted here:
/// one at a time, whichever copy runs it.
final class DispatchExclusivity: @unchecked Sendable {
    private let storePath: String
    private let organization: String?
    private let lock = NSLock()
    private var holds = 0
    private var descriptors: [Int32] = []
    private var passRunning = false

    init(storePath: String, organization: String?) {
        self.storePath = storePath
        self.organization = organization
    }

    deinit { for descriptor in descriptors { close(descriptor) } }

    /// Whether a hold is taken (a reservation or a pass).
    var isHeld: Bool { lock.withLock { holds > 0 } }

    /// Takes the locks (or counts one more hold of them).
    /// - Throws: ``PlatformError/dispatcherRunning(_:)`` when another dispatcher of these subscriptions holds them;
    ///   ``PlatformError/store(_:)`` wrapping ``AnnalsError/io(_:)`` when a lock file cannot be opened or locked.
    func acquire() throws(PlatformError) {
        lock.lock()
        defer { lock.unlock() }
        if holds > 0 {
            holds += 1
            return
        }
        descriptors = try takeLocks(creatingOrganizationLock: true)
        holds = 1
    }

    /// Checks that no other dispatcher of these subscriptions runs, as ``acquire()`` would, and lets the locks go at
    /// once, without creating the organization's lock file when it does not exist: for a pass over an organization
    /// that has no subscriptions, which delivers nothing and so has nothing to guard (a mistyped organization left
    /// its lock file behind). Does nothing while a hold is taken.
    /// - Throws: As ``acquire()``.
    func checkNoOtherDispatcher() throws(PlatformError) {
        lock.lock()
        defer { lock.unlock() }
        guard holds == 0 else { return }
        for descriptor in try takeLocks(creatingOrganizationLock: false) { close(descriptor) }
    }

    /// Locks `dispatch.lock` and the organization's lock file (without `creatingOrganizationLock`, only if it
    /// exists); returns the descriptors holding them.
    private func takeLocks(creatingOrganizationLock: Bool) throws(PlatformError) -> [Int32] {
        var taken: [Int32] = []
        do throws(PlatformError) {
            let everyOrganization = storePath + "/dispatch.lock"
            taken.append(try Self.lock(everyOrganization, exclusive: organization == nil, holder: holderDescription))
            if let organization {
                let path = storePath + "/dispatch-\(LockFile.hexadecimal(organization)).lock"
                if creatingOrganizationLock || FileManager.default.fileExists(atPath: path) {
                    taken.append(try Self.lock(path, exclusive: true, holder: holderDescription))
                }
            }
        } catch {
            for descriptor in taken { close(descriptor) }
            throw error
        }
        return taken
    }

    /// Ends one hold; the last one releases the locks.
    func release() {
        lock.lock()
        defer { lock.unlock() }
        guard holds > 0 else { return }
        holds -= 1
        guard holds == 0 else { return }
        for descriptor in descriptors { close(descriptor) }
        descriptors = []
    }

    /// Starts a pass (within a hold): there is none running already, of this dispatcher or a copy of it.
    /// - Throws: ``PlatformError/dispatcherRunning(_:)`` when one is.
    func beginPass() throws(PlatformError) {
        lock.lock()
        defer { lock.unlock() }
        guard !passRunning else {
            throw .dispatcherRunning(
                "a pass of this dispatcher (of \(holderDescription)) is already running in this process: at most "
                    + "one runs at a time, so that no event is delivered twice; wait for it to end")
        }
        passRunning = true
    }

    /// Ends the pass ``beginPass()`` started.
    func endPass() {
        lock.withLock { passRunning = false }
    }

    /// Whose dispatch conflicts, for the error.
    private var holderDescription: String {
        organization.map { "organization '\($0)'" } ?? "every organization"
    }

    /// Locks `path` without waiting; returns the descriptor holding the lock.
    private static func lock(_ path: String, exclusive: Bool, holder: String) throws(PlatformError) -> Int32 {
        guard let descriptor = try LockFile.lock(path, exclusive: exclusive, waiting: false, name: "the dispatch lock")
        else {
            throw .dispatcherRunning(
                "another dispatcher holds \(path): it delivers events that this one (of \(holder)) would "
                    + "deliver too; at most one runs at a time, so that no event is delivered twice: stop it "
                    + "first, or wait for it to end")
        }
        return descriptor
    }
}
