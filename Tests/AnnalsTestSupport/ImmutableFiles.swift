import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Files made immutable with `chattr +i` (ext2/3/4, XFS, Btrfs…): not even root may remove or change one until
/// `chattr -i`, which makes removal failures testable where the tests run as root and permissions stop nothing.
public enum ImmutableFiles {
    /// Whether this process can make a file in the temporary directory immutable, and removing it then fails: probed
    /// once, on a file of its own (`chattr` is missing, the file system has no such attribute, or the process lacks
    /// `CAP_LINUX_IMMUTABLE`, and it is not).
    public static let supported: Bool = {
        let probe = FileManager.default.temporaryDirectory.appendingPathComponent("annals-immutable-\(UUID())").path
        guard FileManager.default.createFile(atPath: probe, contents: Data()) else { return false }
        defer {
            try? setImmutable(probe, false)
            unlink(probe)
        }
        guard (try? setImmutable(probe, true)) != nil else { return false }
        return unlink(probe) != 0 && errno == EPERM
    }()

    /// Sets (`chattr +i`) or clears (`chattr -i`) the immutable attribute of `path`.
    /// - Throws: ``ImmutableFileFailure`` when `chattr` fails or cannot be run.
    public static func setImmutable(_ path: String, _ immutable: Bool) throws {
        let status = try SpawnedProcess.run("/usr/bin/env", ["chattr", immutable ? "+i" : "-i", path]).status
        guard status == 0 else { throw ImmutableFileFailure(path: path, status: status) }
    }
}

/// `chattr` failed on a file.
public struct ImmutableFileFailure: Error, CustomStringConvertible {
    /// The file.
    public var path: String
    /// `chattr`'s exit status.
    public var status: Int32

    /// What went wrong.
    public var description: String { "chattr failed on \(path) (exit status \(status))" }
}
