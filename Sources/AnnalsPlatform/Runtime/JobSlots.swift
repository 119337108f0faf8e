import Annals
import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// The slots of one organization's async jobs, shared by every process on the store: slot N is an advisory `flock`
/// lock on `<store>/job-slots/HEX-N.lock` (HEX: the organization's name in hexadecimal), and a job runs only while
/// it holds one, taken without waiting among slots `0..<count`, and only when no older job waits for one
/// (``JobSlotQueue``).
///
/// The lock belongs to the open descriptor, so a job's slot is freed when it ends (``JobSlot/release()``), or when
/// its process does, however it dies (a runner killed with `SIGKILL` leaves nothing to clean up): the limit needs
/// no record of who runs, and its check costs `count` opens, whatever the log holds. Two descriptors of the same
/// file conflict even in one process, so jobs of one runtime take slots from each other as from other processes.
struct JobSlots: Sendable {
    /// The directory of the slot files, beside the store.
    static let directoryName = "job-slots"

    /// The directory holding the slot files.
    let directory: String
    /// The organization's name in hexadecimal, as its slot files begin.
    let prefix: String
    /// How many slots: `0..<count` are tried.
    let count: Int

    /// The slots `0..<count` of `organization` beside the store at `storePath` (nothing is read or written: see
    /// ``createDirectory()``).
    init(storePath: String, organization: String, count: Int) {
        directory = storePath + "/" + Self.directoryName
        prefix = LockFile.hexadecimal(organization)
        self.count = count
    }

    /// The order in which the organization's waiting jobs take these slots.
    var queue: JobSlotQueue { JobSlotQueue(slotsDirectory: directory, prefix: prefix) }

    /// Creates the directory of the slot files, and in it the directory of the organization's queue
    /// (``JobSlotQueue``), if need be: once, before a job is recorded or its runner started, not at every look for a
    /// free slot.
    /// - Throws: ``PlatformError/store(_:)`` wrapping ``AnnalsError/io(_:)`` naming the directory that cannot be
    ///   created.
    func createDirectory() throws(PlatformError) {
        for (path, name) in [(directory, "the job slots' directory"), (queue.directory, "the job queue's directory")] {
            do {
                try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
            } catch {
                throw .store(.io("cannot create \(name) \(path): \(error.localizedDescription)"))
            }
        }
    }

    /// Takes the first free slot, without waiting. The corresponding C function is `flock`.
    /// - Returns: The slot, held until it is released; `nil` when other jobs hold all `count`.
    /// - Throws: ``PlatformError/store(_:)`` wrapping ``AnnalsError/io(_:)`` when a slot's file cannot be opened or
    ///   locked.
    func take() throws(PlatformError) -> JobSlot? {
        for index in 0..<count {
            let path = "\(directory)/\(prefix)-\(index).lock"
            if let descriptor = try LockFile.lock(path, exclusive: true, waiting: false, name: "the job slot") {
                return JobSlot(index: index, descriptor: descriptor)
            }
        }
        return nil
    }
}

/// One job slot, held (by an open descriptor locked exclusively) until ``release()``, its deinitialization or the
/// end of the process.
final class JobSlot: Sendable {
    /// Which of the organization's slots it is.
    let index: Int
    private let descriptor: Mutex<Int32>

    fileprivate init(index: Int, descriptor: Int32) {
        self.index = index
        self.descriptor = Mutex(descriptor)
    }

    /// Frees the slot for another job (once; later calls do nothing).
    func release() {
        descriptor.withLock { descriptor in
            guard descriptor >= 0 else { return }
            close(descriptor)
            descriptor = -1
        }
    }

    deinit { release() }
}
