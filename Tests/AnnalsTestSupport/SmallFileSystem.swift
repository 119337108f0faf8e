import Foundation

/// A tmpfs of a few KiB mounted in a test's directory, unmounted afterwards whatever happens: for tests of what the
/// code does on a full file system. Mounting needs root with the capability to mount (the CI container has it).
public struct SmallFileSystem {
    /// Where it is mounted.
    public let path: String

    /// Why mounting, filling or unmounting failed: the command and what it said.
    public struct Failure: Error, CustomStringConvertible {
        /// The command and its output.
        public let description: String
    }

    /// Whether this process may mount one (root, with the capability to mount).
    public static let canMount: Bool = {
        guard geteuid() == 0 else { return false }
        let probe = FileManager.default.temporaryDirectory.appendingPathComponent("annals-mount-\(UUID())").path
        guard (try? FileManager.default.createDirectory(atPath: probe, withIntermediateDirectories: true)) != nil
        else { return false }
        defer { try? FileManager.default.removeItem(atPath: probe) }
        guard (try? run("/bin/mount", ["-t", "tmpfs", "-o", "size=64k", "tmpfs", probe])) != nil else { return false }
        _ = try? run("/bin/umount", [probe])
        return true
    }()

    /// Mounts a tmpfs of `kibibytes` at `directory/mount`, runs `body`, and unmounts it.
    public static func with(kibibytes: Int, in directory: String, _ body: (SmallFileSystem) throws -> Void) throws {
        let path = directory + "/mount"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
        try run("/bin/mount", ["-t", "tmpfs", "-o", "size=\(kibibytes)k", "tmpfs", path])
        defer { _ = try? run("/bin/umount", ["-l", path]) }
        try body(SmallFileSystem(path: path))
    }

    /// Writes a file until no block is left.
    public func fill() throws {
        let filler = path + "/filler"
        guard FileManager.default.createFile(atPath: filler, contents: nil) else {
            throw Failure(description: "cannot create \(filler)")
        }
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: filler))
        defer { try? handle.close() }
        let block = Data(count: 1024)
        while (try? handle.write(contentsOf: block)) != nil {}
        var status = statvfs()
        guard statvfs(path, &status) == 0, status.f_bavail == 0 else {
            throw Failure(description: "the file system at \(path) was not filled")
        }
    }

    /// Removes what ``fill()`` wrote.
    public func free() throws {
        try FileManager.default.removeItem(atPath: path + "/filler")
    }

    /// Runs `executable` with `arguments` and waits for it.
    /// - Throws: ``Failure`` when it exits with a status other than 0.
    private static func run(_ executable: String, _ arguments: [String]) throws {
        let (status, said) = try SpawnedProcess.run(executable, arguments)
        guard status == 0 else {
            throw Failure(
                description: "\(([executable] + arguments).joined(separator: " ")) exited with "
                    + "\(status): \(String(decoding: said, as: UTF8.self))")
        }
    }
}
