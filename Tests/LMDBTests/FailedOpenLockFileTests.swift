import Foundation
import Testing

@testable import LMDB

/// An open that fails on its data file (not LMDB's) leaves the directory as it found it: the lock file it created is
/// removed, and one that was there stays.
@Suite struct FailedOpenLockFileTests {
    /// Runs `body` with a directory holding a `data.mdb` of 16 KiB that is not an LMDB file, removed afterwards.
    private func withForeignDataFile(_ body: (String) throws -> Void) throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("lmdb-foreign-\(UUID())").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Data(repeating: 0x5A, count: 16_384).write(to: URL(fileURLWithPath: path + "/data.mdb"))
        try body(path)
    }

    private func contents(_ directory: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: directory).sorted()
    }

    @Test(arguments: [false, true])
    func aFailedOpenRemovesTheLockFileItCreated(readOnly: Bool) throws {
        try withForeignDataFile { path in
            #expect(throws: LMDBError.self) {
                _ = try Environment(path: path, options: EnvironmentOptions(readOnly: readOnly))
            }
            let left = try contents(path)
            #expect(left == ["data.mdb"], "the failed open left a lock file behind")
        }
    }

    @Test func aLockFileThatWasThereStays() throws {
        try withForeignDataFile { path in
            let lock = Data("kept".utf8)
            try lock.write(to: URL(fileURLWithPath: path + "/lock.mdb"))
            #expect(throws: LMDBError.self) { _ = try Environment(path: path, options: EnvironmentOptions()) }
            let left = try contents(path)
            #expect(left == ["data.mdb", "lock.mdb"])
        }
    }
}
