import Annals
import AnnalsPlatform
import ArgumentParser

#if canImport(Glibc)
    import Glibc
#endif

/// A failure with its documented exit code; the message goes to stderr as `annals: …`.
struct CLIFailure: Error, CustomStringConvertible {
    /// The documented exit codes (docs/CLI.md).
    enum Code: Int32 {
        /// Verification found damage.
        case damaged = 1
        /// Invalid input: a malformed line, an invalid event.
        case invalidInput = 2
        /// `expectedVersion` did not match, a rollback's scope kept changing, or a running tail's cursor was reset or
        /// deleted.
        case versionConflict = 3
        /// No store, or no such event.
        case notFound = 4
        /// LMDB or the file system failed.
        case storage = 5
        /// A stored record failed its checks.
        case corrupt = 6
        /// `append` could not print receipts because standard output was closed; it stopped appending.
        case outputClosed = 7
        /// A projection rejected an event that contradicts the current state (nothing of the batch was written).
        case rejected = 8
        /// A projection's view is not available (not built, outdated or behind); run `annals rebuild`.
        case projectionUnavailable = 9
        /// The plugin dependencies cannot be resolved.
        case unresolvable = 10
        /// A plugin version asks for permissions that were not granted.
        case permissionsNotGranted = 11
        /// The plugin is pinned.
        case pinned = 12
        /// A plugin execution failed (timeout, outOfFuel, memoryLimit, trap, permissionDenied, invalidOutput,
        /// cancelled); its outcome was recorded.
        case executionFailed = 13
        /// SIGHUP stopped `append` between batches (128 + 1, as a shell reports a program that signal ends).
        case hangUp = 129
        /// SIGINT stopped `append` between batches (128 + 2).
        case interrupted = 130
        /// SIGTERM stopped `append` between batches (128 + 15).
        case terminated = 143
    }

    var code: Code
    var message: String

    var description: String { message }

    /// Turns any error into something `exit(withError:)` reports with the right code.
    static func map(_ error: any Error) -> any Error {
        switch error {
        case let failure as CLIFailure:
            printError(failure.message)
            return ExitCode(failure.code.rawValue)
        case OutputClosed.pipe, OutputClosed.stopped:
            return ExitCode.success
        case let error as PlatformError:
            let failure = CLIFailure(error)
            printError(failure.message)
            return ExitCode(failure.code.rawValue)
        case let error as AnnalsError:
            let failure = CLIFailure(error)
            printError(failure.message)
            return ExitCode(failure.code.rawValue)
        default:
            return error
        }
    }

    init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    init(_ error: AnnalsError) {
        switch error {
        case .invalidEvent, .eventTooLarge, .invalidArgument, .rollbackTargetInsideBatch:
            self.init(.invalidInput, error.description)
        case .versionConflict, .conflictingAppend, .cursorMoved: self.init(.versionConflict, error.description)
        case .storeNotFound(let path):
            // A path to a file (a data.mdb given for its directory, a typo) is said to be one.
            var status = stat()
            let isFile = stat(path, &status) == 0 && status.st_mode & S_IFMT != S_IFDIR
            self.init(
                .notFound, isFile ? "no store at \(path): it is a file, not a store's directory" : error.description)
        case .corruptRecord, .unsupportedFormat, .corruptSnapshot: self.init(.corrupt, error.description)
        case .rejectedEvent, .rollbackRefused: self.init(.rejected, error.description)
        case .projectionUnavailable: self.init(.projectionUnavailable, error.description)
        case .storage, .compression, .closed, .io: self.init(.storage, error.description)
        }
    }

    init(_ error: PlatformError) {
        switch error {
        case .invalidArgument, .unreadableSource, .moduleRefused: self.init(.invalidInput, error.description)
        case .notFound, .noRollbackTarget, .actionNotDeclared: self.init(.notFound, error.description)
        case .resolutionFailed: self.init(.unresolvable, error.description)
        case .permissionsNotGranted: self.init(.permissionsNotGranted, error.description)
        case .pinned, .pinnedWouldChange: self.init(.pinned, error.description)
        case .dispatcherRunning: self.init(.versionConflict, error.description)
        case .store(let error):
            self.init(error)
            if case .conflictingAppend = error {
                message += " (another plugin operation changed what this one was planned from: run it again)"
            }
        }
    }

    static func printError(_ message: String) {
        var line = "annals: " + message
        if !line.hasSuffix("\n") { line += "\n" }
        let bytes = Array(line.utf8)
        _ = bytes.withUnsafeBytes { write(2, $0.baseAddress!, $0.count) }
    }
}
