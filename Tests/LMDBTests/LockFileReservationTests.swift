import AnnalsTestSupport
import Foundation
import Testing

@testable import LMDB

/// An open whose lock file cannot get its blocks (a full file system) fails with `noSpace` and leaves the directory as
/// it found it: a lock file it would have created does not appear, and one that was there stays as it was. The file
/// systems are small tmpfs mounts (root only; elsewhere the suite is skipped), and the lock file asked for is 64 MiB
/// (``EnvironmentOptions/maximumReaderSlots`` reader slots), far more than they hold.
@Suite(.enabled(if: SmallFileSystem.canMount))
struct LockFileReservationTests {
    private let largestLockFile = EnvironmentOptions(maxReaders: EnvironmentOptions.maximumReaderSlots)

    /// Runs `body` with a directory on a tmpfs of 256 KiB, removed with the mount afterwards.
    private func withSmallDirectory(_ body: (String) throws -> Void) throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("lmdb-lock-\(UUID())").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try SmallFileSystem.with(kibibytes: 256, in: directory) { mount in
            let store = mount.path + "/store"
            try FileManager.default.createDirectory(atPath: store, withIntermediateDirectories: false)
            try body(store)
        }
    }

    private func contents(_ directory: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: directory).sorted()
    }

    @Test func aLockFileThatCannotBeReservedIsNotLeftBehind() throws {
        try withSmallDirectory { store in
            do throws(LMDBError) {
                _ = try Environment(path: store, options: largestLockFile)
                Issue.record("a 64 MiB lock file was reserved on a file system of 256 KiB")
            } catch {
                #expect(error.code == .noSpace)
                #expect(error.operation == "fallocate(\(store)/lock.mdb)")
            }
            #expect(try contents(store) == [], "the failed open left files behind")
            // With room for its lock file, the same directory opens.
            let environment = try Environment(path: store)
            environment.close()
            #expect(try contents(store) == ["data.mdb", "lock.mdb"])
        }
    }

    @Test func aLockFileThatWasThereStaysAsItWas() throws {
        try withSmallDirectory { store in
            let lock = store + "/lock.mdb"
            let before = Data("not yet sized by LMDB".utf8)
            try before.write(to: URL(fileURLWithPath: lock))
            #expect(throws: LMDBError.self) { _ = try Environment(path: store, options: largestLockFile) }
            #expect(try contents(store) == ["lock.mdb"])
            #expect(try Data(contentsOf: URL(fileURLWithPath: lock)) == before)
        }
    }
}
