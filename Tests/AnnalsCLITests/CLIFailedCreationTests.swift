import Annals
import AnnalsTestSupport
import Foundation
import LMDB
import Testing

/// A first open that fails after LMDB created its files (here the first sync fails, a disk's write error injected by
/// `tools/faults/syscall-faults.c`) removes the files it created, and a directory it created, instead of leaving
/// `data.mdb` and `lock.mdb` behind; a store that existed before keeps its files. The library is built by
/// `make shims`; without it the suite is skipped.
@Suite("CLI: a failed creation", .enabled(if: SyscallFaults.isBuilt))
struct CLIFailedCreationTests {
    /// The first `fdatasync` of the process fails: a new store's first commit.
    static let failedSync = SyscallFaults.environment("fdatasync-eio:1")

    /// The names in `directory`, sorted; `nil` when it does not exist.
    private func names(in directory: String) -> [String]? {
        (try? FileManager.default.contentsOfDirectory(atPath: directory))?.sorted()
    }

    @Test func aFailedInitLeavesNoDirectoryBehind() throws {
        try withCLIFixture { fx in
            let failed = try fx.run(["init", "--store", fx.store], environment: Self.failedSync)
            #expect(failed.status == Exit.storage, "\(failed)")
            #expect(failed.errors.contains("Input/output error"), "\(failed)")
            #expect(names(in: fx.store) == nil, "the directory init created is gone")
            // The same path can be created afterwards.
            try fx.initStore()
            try fx.append(sampleLines(2))
            #expect(try fx.headOffset() == 2)
        }
    }

    @Test func aFailedCreationInAnExistingDirectoryRemovesOnlyWhatItCreated() throws {
        try withCLIFixture { fx in
            try FileManager.default.createDirectory(atPath: fx.store, withIntermediateDirectories: false)
            let failed = try fx.run(["init", "--store", fx.store], environment: Self.failedSync)
            #expect(failed.status == Exit.storage, "\(failed)")
            #expect(names(in: fx.store) == [], "the directory is kept, empty as it was")

            // A file of another program, and a lock file left without a data file, are not the failed open's.
            try Data("keep".utf8).write(to: URL(fileURLWithPath: fx.store + "/notes.txt"))
            #expect(FileManager.default.createFile(atPath: fx.store + "/lock.mdb", contents: nil))
            let again = try fx.run(["init", "--store", fx.store], environment: Self.failedSync)
            #expect(again.status == Exit.storage, "\(again)")
            #expect(names(in: fx.store) == ["lock.mdb", "notes.txt"], "\(names(in: fx.store) ?? [])")
            #expect(try String(contentsOfFile: fx.store + "/notes.txt", encoding: .utf8) == "keep")

            try fx.initStore()
            try fx.append(sampleLines(1))
            #expect(try fx.annals("verify").status == Exit.ok)
        }
    }

    /// A store that existed keeps every file when an open of it fails (here the writer's sync at open).
    @Test func aFailedOpenOfAnExistingStoreRemovesNothing() throws {
        try withCLIFixture { fx in
            try fx.initStore()
            try fx.append(sampleLines(3))
            let before = names(in: fx.store)
            let failed = try fx.run(
                ["append", "--store", fx.store], stdin: Array((sampleLines(1, start: 3)[0] + "\n").utf8),
                environment: Self.failedSync)
            #expect(failed.status == Exit.storage, "\(failed)")
            #expect(names(in: fx.store) == before)
            #expect(try fx.headOffset() == 3)
            #expect(try fx.annals("verify").status == Exit.ok)
        }
    }

    /// The removal leaves the files of an environment that is open: in this process, or in another one (which holds
    /// LMDB's shared lock on the lock file).
    @Test func filesOfAnOpenEnvironmentAreNotRemoved() throws {
        try withCLIFixture { fx in
            try fx.initStore()
            try fx.append(sampleLines(2))
            let files = ["data.mdb", "lock.mdb"]
            let before = names(in: fx.store)

            let tail = try fx.startUnblocked(["tail", "-f", "--store", fx.store])
            usleep(300_000)
            #expect(!Environment.removeUnusedFiles(files, in: fx.store), "another process has it open")
            #expect(names(in: fx.store) == before)
            tail.kill(SIGTERM)
            #expect(tail.finish(timeout: 15).status == Exit.ok)

            let store = try EventStore(path: fx.store)
            #expect(!Environment.removeUnusedFiles(files, in: fx.store), "this process has it open")
            #expect(names(in: fx.store) == before)
            store.close()

            #expect(Environment.removeUnusedFiles(files, in: fx.store), "closed everywhere")
            #expect(names(in: fx.store) == before.map { $0.filter { !files.contains($0) } })
        }
    }
}
