import AnnalsTestSupport
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The fallbacks for creating a store's lock file on file systems without unnamed files (`O_TMPFILE`) or without hard
/// links, which this machine's file systems have: `tools/faults/syscall-faults.c`, preloaded into `annals`
/// (`LD_PRELOAD`), makes those calls fail as such file systems do. Either way the lock file is created with its blocks
/// reserved, the store works, and no temporary name is left beside it. The library is built by `make shims` (a
/// dependency of `make test`); without it the suite is skipped.
@Suite("CLI: lock file fallbacks", .enabled(if: SyscallFaults.isBuilt))
struct CLILockFileFallbackTests {
    @Test(arguments: ["no-tmpfile", "no-links", "no-tmpfile,no-links"])
    func theLockFileIsReservedAndTheStoreWorks(faults: String) throws {
        try withCLIFixture { fx in
            let environment = SyscallFaults.environment(faults)
            let created = try fx.run(["init", "--store", fx.store], environment: environment)
            #expect(created.status == Exit.ok, "\(created)")
            try SyscallFaults.expectReservedLockFile(in: fx.store)
            let appended = try fx.run(
                ["append", "--store", fx.store], stdin: Array((sampleLines(3).joined(separator: "\n") + "\n").utf8),
                environment: environment)
            #expect(appended.status == Exit.ok, "\(appended)")
            #expect(try fx.run(["verify", "--store", fx.store], environment: environment).status == Exit.ok)
            #expect(try fx.headOffset() == 3)
        }
    }

    /// On a full file system the reservation fails, before any link: `init` exits 5 naming `fallocate`, and leaves
    /// nothing (without unnamed files, the name of its own the lock file was reserved under is removed again). Once
    /// there is room, the same directory opens.
    @Test(.enabled(if: SmallFileSystem.canMount), arguments: ["no-tmpfile", "no-links", "no-tmpfile,no-links"])
    func aFullFileSystemFailsWithExit5AndLeavesNoTemporaryName(faults: String) throws {
        try withCLIFixture { fx in
            try SmallFileSystem.with(kibibytes: 256, in: fx.directory) { mount in
                try mount.fill()
                let store = mount.path + "/store"
                let environment = SyscallFaults.environment(faults)
                let created = try fx.run(["init", "--store", store], environment: environment)
                #expect(!created.signaled && created.status == Exit.storage, "\(created)")
                #expect(created.errors.contains("fallocate("), "\(created)")
                let left = (try? FileManager.default.contentsOfDirectory(atPath: store)) ?? []
                #expect(left.isEmpty, "the failed init left \(left)")
                try mount.free()
                let retried = try fx.run(["init", "--store", store], environment: environment)
                #expect(retried.status == Exit.ok, "\(retried)")
                try SyscallFaults.expectReservedLockFile(in: store)
            }
        }
    }
}

extension SyscallFaults {
    /// The store's directory holds no temporary name, and its lock file has a block for each of its bytes (LMDB alone
    /// sizes it with `ftruncate`, which leaves holes past the pages it writes).
    static func expectReservedLockFile(
        in store: String, sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: store)
        #expect(names.allSatisfy { !$0.contains(".reserving.") }, "\(names)", sourceLocation: sourceLocation)
        var status = stat()
        try #require(stat(store + "/lock.mdb", &status) == 0, "no lock.mdb", sourceLocation: sourceLocation)
        #expect(status.st_size >= 8_192, sourceLocation: sourceLocation)
        #expect(
            Int(status.st_blocks) * 512 >= Int(status.st_size), "lock.mdb has holes: \(status.st_blocks) blocks",
            sourceLocation: sourceLocation)
    }
}
