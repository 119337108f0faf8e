import AnnalsTestSupport
import Foundation
import Testing

/// A store on a file system with no free block (a small tmpfs, filled): the files LMDB and the store map and write
/// through memory (`lock.mdb`, `watermark`) get their blocks reserved first, so opening fails with exit 5 and the
/// free space instead of dying of SIGBUS; once space is freed, the store works and nothing acknowledged is lost.
/// Mounting needs root (the CI container is); elsewhere the suite is skipped.
@Suite("CLI: a full file system", .enabled(if: SmallFileSystem.canMount))
struct CLIFullFileSystemTests {
    @Test func initOnAFullFileSystemFailsWithExit5() throws {
        try withCLIFixture { fx in
            try SmallFileSystem.with(kibibytes: 256, in: fx.directory) { mount in
                try mount.fill()
                let store = mount.path + "/store"
                let created = try fx.run(["init", "--store", store])
                #expect(!created.signaled && created.status == Exit.storage, "\(created)")
                #expect(created.errors.contains("has 0 bytes free"), "\(created)")
                #expect(!FileManager.default.fileExists(atPath: store), "the directory init made is removed again")
                try mount.free()
                try fx.initStore(store)
                #expect(try fx.headOffset(store) == 0)
            }
        }
    }

    @Test func aFirstWritableOpenOfACopyFailsWithExit5AndKeepsEveryEvent() throws {
        try withCLIFixture { fx in
            try fx.initStore()
            try fx.append(sampleLines(200))
            try SmallFileSystem.with(kibibytes: 1_024, in: fx.directory) { mount in
                // A copy holds no watermark file (as a restored backup): the first writer creates it.
                let copy = mount.path + "/copy"
                try FileManager.default.createDirectory(atPath: copy, withIntermediateDirectories: false)
                for file in ["data.mdb", "lock.mdb"] {
                    try FileManager.default.copyItem(atPath: fx.store + "/" + file, toPath: copy + "/" + file)
                }
                try mount.fill()
                let appended = try fx.annals("append", store: copy, stdin: sampleLines(1, start: 200)[0])
                #expect(!appended.signaled && appended.status == Exit.storage, "\(appended)")
                #expect(appended.errors.contains("watermark"), "\(appended)")
                // A reader still sees every event as durable: the file the failed open left is no watermark.
                #expect(try fx.head(copy).int("durableOffset") == 200)
                try mount.free()
                let resumed = try fx.annals("append", store: copy, stdin: sampleLines(1, start: 200)[0])
                #expect(resumed.status == Exit.ok, "\(resumed)")
                #expect(try fx.head(copy).int("durableOffset") == 201)
                #expect(try fx.annals("verify", store: copy).status == Exit.ok)
            }
        }
    }

    /// A lock file made by a build without reservations has holes past its first page: reading the store on a full
    /// disk still works, as it did.
    @Test func aStoreWhoseLockFileHasHolesIsStillReadOnAFullFileSystem() throws {
        try withCLIFixture { fx in
            try SmallFileSystem.with(kibibytes: 2_048, in: fx.directory) { mount in
                let store = mount.path + "/store"
                try fx.initStore(store)
                try fx.append(sampleLines(3), store: store)
                let lock = store + "/lock.mdb"
                let header = try Data(contentsOf: URL(fileURLWithPath: lock)).prefix(4096)
                try FileManager.default.removeItem(atPath: lock)
                try header.write(to: URL(fileURLWithPath: lock))
                #expect(truncate(lock, 32_768) == 0)
                try mount.fill()
                let read = try fx.annals("read", store: store)
                #expect(!read.signaled && read.status == Exit.ok, "\(read)")
                #expect(read.objects().count == 3)
            }
        }
    }

    @Test func aBackupWithNoRoomLeftForItsLockFileLeavesNothing() throws {
        try withCLIFixture { fx in
            try fx.initStore()
            try fx.append(sampleLines(2_000))
            let probe = fx.path("probe")
            #expect(try fx.run(["backup", "--store", fx.store, probe]).status == Exit.ok)
            let attributes = try FileManager.default.attributesOfItem(atPath: probe + "/data.mdb")
            let copyKiB = try #require(attributes[.size] as? Int) / 1024
            // Room for the copy and 12 KiB: not for the 32 KiB lock file the copy's opening reserves.
            try SmallFileSystem.with(kibibytes: copyKiB + 12, in: fx.directory) { mount in
                let destination = mount.path + "/backup"
                let backup = try fx.run(["backup", "--store", fx.store, destination])
                #expect(!backup.signaled && backup.status == Exit.storage, "\(backup)")
                #expect(backup.errors.contains("lock.mdb") && backup.errors.contains("free"), "\(backup)")
                #expect(!FileManager.default.fileExists(atPath: destination), "the failed backup left \(destination)")
            }
        }
    }
}
