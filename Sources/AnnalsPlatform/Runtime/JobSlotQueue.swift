import Annals
import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// The order in which an organization's waiting jobs take its slots (``JobSlots``), shared by every process on the
/// store: a job waiting for a slot holds a ticket, an exclusive `flock` on
/// `<store>/job-slots/HEX-queue/OFFSET.ticket` (OFFSET: the offset of its `plugin_job_queued` event, zero-padded to
/// 20 digits, so the names sort as the offsets do), and takes a free slot only when no older ticket is held.
///
/// A ticket whose lock can be taken has no live holder (its process died, even of `SIGKILL`, and the kernel released
/// the lock): whoever finds one removes it, and it holds no one back. A ticket is made only once its job's offset is
/// known, after the append: a job appended but whose ticket is not made yet (its runner is still starting) does not
/// compete yet, so a younger job with a ticket may start before it in that window. Nothing waits for a ticket that is
/// not there, so this can neither starve nor block anyone.
struct JobSlotQueue: Sendable {
    /// The directory of the tickets.
    let directory: String

    /// The queue of the organization whose slot files begin with `prefix`, in the slots' `slotsDirectory` (nothing is
    /// read or written: ``JobSlots/createDirectory()`` makes it).
    init(slotsDirectory: String, prefix: String) {
        directory = slotsDirectory + "/" + prefix + "-queue"
    }

    /// The path of the ticket of the job queued at `offset`.
    func path(of offset: UInt64) -> String {
        let digits = String(offset)
        return directory + "/" + String(repeating: "0", count: max(0, 20 - digits.count)) + digits + ".ticket"
    }

    /// Takes a place in the queue for the job queued at `offset`: makes its ticket and locks it, held until
    /// ``JobSlotTicket/leave()``, its deinitialization or the end of the process. The corresponding C functions are
    /// `open` and `flock`.
    ///
    /// A ticket is locked, then checked to still be the file its name refers to: another waiter that opened it
    /// between its creation and its lock found it free and removed it, and it is made again. One held by someone
    /// else (a waiter testing it, for a moment) is tried again 1 ms later, 100 times at most.
    /// - Throws: ``PlatformError/store(_:)`` wrapping ``AnnalsError/io(_:)`` when the ticket cannot be made or locked
    ///   (another process holds it: it runs the same job).
    func enter(offset: UInt64) throws(PlatformError) -> JobSlotTicket {
        let path = path(of: offset)
        for _ in 0..<100 {
            // Held: by a waiter testing whether it is, for a moment (or by another process running the same job).
            guard let descriptor = try LockFile.lock(path, exclusive: true, waiting: false, name: "the job's ticket")
            else {
                usleep(1_000)
                continue
            }
            if Self.names(path, descriptor) { return JobSlotTicket(offset: offset, path: path, descriptor: descriptor) }
            close(descriptor)
        }
        throw .store(.io("cannot hold the job's ticket \(path): it stayed held by another, or was removed, 100 times"))
    }

    /// Whether the job queued at `offset` is first in the queue: no ticket of an older job is held. Removes the
    /// tickets of older jobs that nobody holds on its way. The corresponding C functions are `open` and `flock`.
    /// - Throws: ``PlatformError/store(_:)`` wrapping ``AnnalsError/io(_:)`` when the directory cannot be read, or a
    ///   ticket cannot be opened or tested.
    func isFirst(_ offset: UInt64) throws(PlatformError) -> Bool {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory)
        } catch {
            throw .store(.io("cannot read the job queue \(directory): \(error.localizedDescription)"))
        }
        let older = names.compactMap { name -> UInt64? in
            guard name.hasSuffix(".ticket"), let ticket = UInt64(name.dropLast(".ticket".count)), ticket < offset
            else { return nil }
            return ticket
        }
        // The youngest first: the one most likely still waiting.
        for ticket in older.sorted(by: >) where try isHeld(path(of: ticket)) { return false }
        return true
    }

    /// Whether the ticket at `path` is held; one that is not is removed (its holder died, or left it just now).
    private func isHeld(_ path: String) throws(PlatformError) -> Bool {
        // Read-only: `flock` needs no more, and a ticket of another user (mode 0644) can be tested too.
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            if errno == ENOENT { return false }  // left meanwhile
            throw .store(.io("cannot open the job's ticket \(path): \(String(cString: strerror(errno)))"))
        }
        defer { close(descriptor) }
        var result: Int32
        repeat {
            result = flock(descriptor, LOCK_EX | LOCK_NB)
        } while result != 0 && errno == EINTR
        guard result == 0 else {
            if errno == EWOULDBLOCK { return true }
            throw .store(.io("cannot test the job's ticket \(path): \(String(cString: strerror(errno)))"))
        }
        // Removed while it is locked here, so no one can be making it at the same time; and only if the name still
        // refers to the file locked (a ticket removed between the open and the lock is not there to remove).
        if Self.names(path, descriptor) { unlink(path) }
        return false
    }

    /// Whether `path` names the file open as `descriptor` (the same device and inode).
    private static func names(_ path: String, _ descriptor: Int32) -> Bool {
        var opened = stat()
        var named = stat()
        guard fstat(descriptor, &opened) == 0, stat(path, &named) == 0 else { return false }
        return opened.st_dev == named.st_dev && opened.st_ino == named.st_ino
    }
}

/// A waiting job's place in its organization's ``JobSlotQueue``: a ticket file locked exclusively by an open
/// descriptor, held until ``leave()``, its deinitialization or the end of the process.
final class JobSlotTicket: Sendable {
    /// The offset of the job's `plugin_job_queued` event.
    let offset: UInt64
    /// The ticket's file.
    let path: String
    private let descriptor: Mutex<Int32>

    fileprivate init(offset: UInt64, path: String, descriptor: Int32) {
        self.offset = offset
        self.path = path
        self.descriptor = Mutex(descriptor)
    }

    /// Leaves the queue (once; later calls do nothing): removes the ticket, then unlocks it, so that no other waiter
    /// finds it free while its name is still there.
    func leave() {
        descriptor.withLock { descriptor in
            guard descriptor >= 0 else { return }
            unlink(path)
            close(descriptor)
            descriptor = -1
        }
    }

    deinit { leave() }
}
