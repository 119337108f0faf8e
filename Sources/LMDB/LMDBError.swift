import CLMDB

#if canImport(Glibc)
    import Glibc
#endif

/// An error returned by an LMDB call, with the operation that failed.
///
/// Environmental failures (a full map, no reader slots, a full disk, I/O errors) are thrown as `LMDBError`.
/// Programmer errors that LMDB reports (`MDB_BAD_TXN`, `MDB_BAD_DBI`) trap instead, as in swift-nio.
///
/// Match a specific code with a pattern:
/// ```swift
/// do { try env.write { … } } catch LMDBError.Code.mapFull { … }
/// ```
public struct LMDBError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The result code, with a Swift name.
    public let code: Code
    /// The `mdb_*` call (and, where useful, its subject) that failed, such as `mdb_put(events)`.
    public let operation: String
    /// What else is known about the failure, such as the free space left on the file system when a commit could
    /// not write its pages; `nil` when nothing is.
    public let detail: String?

    /// Creates an error for `code` returned by `operation`, with an optional `detail` for the message.
    public init(code: Code, operation: String, detail: String? = nil) {
        self.code = code
        self.operation = operation
        self.detail = detail
    }

    /// A description naming the operation, the code, LMDB's own message and the detail.
    public var description: String {
        "\(operation) failed: \(code) (\(code.message))" + (detail.map { "; " + $0 } ?? "")
    }

    /// An LMDB or `errno` result code.
    public struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        /// The C value: an `MDB_*` constant or an `errno` value.
        public let rawValue: Int32
        /// Wraps a C result code.
        public init(rawValue: Int32) { self.rawValue = rawValue }

        /// `MDB_KEYEXIST`: key/data pair already exists.
        public static let keyExists = Code(rawValue: MDB_KEYEXIST)
        /// `MDB_NOTFOUND`: no matching key/data pair found.
        public static let notFound = Code(rawValue: MDB_NOTFOUND)
        /// `MDB_PAGE_NOTFOUND`: a requested page was not found (usually corruption).
        public static let pageNotFound = Code(rawValue: MDB_PAGE_NOTFOUND)
        /// `MDB_CORRUPTED`: a located page was of the wrong type.
        public static let corrupted = Code(rawValue: MDB_CORRUPTED)
        /// `MDB_PANIC`: an update of meta page failed or the environment had a fatal error.
        public static let panic = Code(rawValue: MDB_PANIC)
        /// `MDB_VERSION_MISMATCH`: the environment was written by an incompatible LMDB version.
        public static let versionMismatch = Code(rawValue: MDB_VERSION_MISMATCH)
        /// `MDB_INVALID`: the file is not an LMDB data file.
        public static let invalid = Code(rawValue: MDB_INVALID)
        /// `MDB_MAP_FULL`: the environment's map size has been reached.
        public static let mapFull = Code(rawValue: MDB_MAP_FULL)
        /// `MDB_DBS_FULL`: the environment's `maxDatabases` has been reached.
        public static let databasesFull = Code(rawValue: MDB_DBS_FULL)
        /// `MDB_READERS_FULL`: the environment's `maxReaders` has been reached.
        public static let readersFull = Code(rawValue: MDB_READERS_FULL)
        /// `MDB_TXN_FULL`: the transaction has too many dirty pages.
        public static let transactionFull = Code(rawValue: MDB_TXN_FULL)
        /// `MDB_CURSOR_FULL`: cursor stack too deep (internal error).
        public static let cursorFull = Code(rawValue: MDB_CURSOR_FULL)
        /// `MDB_PAGE_FULL`: page has not enough space (internal error).
        public static let pageFull = Code(rawValue: MDB_PAGE_FULL)
        /// `MDB_MAP_RESIZED`: another process grew the map beyond this environment's size.
        public static let mapResized = Code(rawValue: MDB_MAP_RESIZED)
        /// `MDB_INCOMPATIBLE`: the operation is incompatible with the database's flags.
        public static let incompatible = Code(rawValue: MDB_INCOMPATIBLE)
        /// `MDB_BAD_RSLOT`: invalid reuse of a reader lock table slot.
        public static let badReaderSlot = Code(rawValue: MDB_BAD_RSLOT)
        /// `MDB_BAD_TXN`: the transaction must abort, has a child, or is invalid.
        public static let badTransaction = Code(rawValue: MDB_BAD_TXN)
        /// `MDB_BAD_VALSIZE`: unsupported size of key, DB name or data.
        public static let badValueSize = Code(rawValue: MDB_BAD_VALSIZE)
        /// `MDB_BAD_DBI`: the database handle was closed or changed unexpectedly.
        public static let badDatabase = Code(rawValue: MDB_BAD_DBI)
        /// `ENOSPC`: no space left on the device.
        public static let noSpace = Code(rawValue: ENOSPC)
        /// `EIO`: a low-level I/O error. LMDB also reports a short write this way, which a full disk or a file size
        /// limit causes.
        public static let ioError = Code(rawValue: EIO)
        /// `EFBIG`: the file would grow beyond the process's file size limit.
        public static let fileTooLarge = Code(rawValue: EFBIG)
        /// `EDQUOT`: the user's disk quota is exhausted.
        public static let quotaExceeded = Code(rawValue: EDQUOT)
        /// `ENOMEM`: out of memory.
        public static let outOfMemory = Code(rawValue: ENOMEM)
        /// `ENOENT`: the directory does not exist.
        public static let noSuchFileOrDirectory = Code(rawValue: ENOENT)
        /// `EACCES`: permission denied.
        public static let permissionDenied = Code(rawValue: EACCES)
        /// `EAGAIN`: the environment is locked by another process.
        public static let resourceTemporarilyUnavailable = Code(rawValue: EAGAIN)
        /// `EINVAL`: an invalid parameter was specified.
        public static let invalidArgument = Code(rawValue: EINVAL)
        /// Not an LMDB code but this layer's own check at open: the data file is shorter than the pages its last
        /// committed transaction uses (a copy cut short, a truncated file). LMDB would raise `SIGBUS` reading them.
        public static let truncatedFile = Code(rawValue: -30_600)
        /// Not an LMDB code but this layer's own check at open: this process already has an environment open on the
        /// same directory (LMDB allows one per file per process).
        public static let alreadyOpenInProcess = Code(rawValue: -30_601)
        /// Not an LMDB code but this layer's: the environment was closed (``Environment/close()``).
        public static let environmentClosed = Code(rawValue: -30_602)

        /// LMDB's own message for this code (`mdb_strerror`), or this layer's for ``truncatedFile`` and
        /// ``alreadyOpenInProcess`` and ``environmentClosed``.
        public var message: String {
            switch self {
            case .truncatedFile: "the data file is shorter than its committed pages"
            case .alreadyOpenInProcess: "the environment is already open in this process"
            case .environmentClosed: "the environment was closed"
            default: String(cString: mdb_strerror(rawValue))
            }
        }

        /// The Swift name of the code, or its number.
        public var description: String {
            switch self {
            case .keyExists: "keyExists"
            case .notFound: "notFound"
            case .pageNotFound: "pageNotFound"
            case .corrupted: "corrupted"
            case .panic: "panic"
            case .versionMismatch: "versionMismatch"
            case .invalid: "invalid"
            case .mapFull: "mapFull"
            case .databasesFull: "databasesFull"
            case .readersFull: "readersFull"
            case .transactionFull: "transactionFull"
            case .mapResized: "mapResized"
            case .incompatible: "incompatible"
            case .badValueSize: "badValueSize"
            case .noSpace: "noSpace"
            case .ioError: "ioError"
            case .fileTooLarge: "fileTooLarge"
            case .quotaExceeded: "quotaExceeded"
            case .outOfMemory: "outOfMemory"
            case .noSuchFileOrDirectory: "noSuchFileOrDirectory"
            case .permissionDenied: "permissionDenied"
            case .resourceTemporarilyUnavailable: "resourceTemporarilyUnavailable"
            case .invalidArgument: "invalidArgument"
            case .truncatedFile: "truncatedFile"
            case .alreadyOpenInProcess: "alreadyOpenInProcess"
            case .environmentClosed: "environmentClosed"
            default: "code \(rawValue)"
            }
        }

        /// Lets `catch LMDBError.Code.mapFull` match an ``LMDBError``.
        public static func ~= (pattern: Code, error: any Error) -> Bool {
            (error as? LMDBError)?.code == pattern
        }
    }
}

/// Checks an LMDB result: returns on success, traps on misuse, throws otherwise.
@inline(__always)
func check(_ rc: Int32, _ operation: @autoclosure () -> String) throws(LMDBError) {
    if rc == MDB_SUCCESS { return }
    if rc == MDB_BAD_TXN || rc == MDB_BAD_DBI {
        preconditionFailure("LMDB misuse: \(operation()) returned \(String(cString: mdb_strerror(rc)))")
    }
    throw LMDBError(code: .init(rawValue: rc), operation: operation())
}

/// Runs `body`, whose untyped `throws` comes from this layer's generic closures (`read`, `openDatabase`) and carries
/// only ``LMDBError``s, and throws them typed; any other error is a programming error in the layer and traps.
func typedLMDBErrors<R>(_ what: @autoclosure () -> String, _ body: () throws -> R) throws(LMDBError) -> R {
    do {
        return try body()
    } catch let error as LMDBError {
        throw error
    } catch {
        preconditionFailure("\(what()) threw \(error)")
    }
}
