import Foundation
import Testing

@testable import LMDB

/// A fresh environment in a temporary directory, removed afterwards.
func withEnvironment<R>(
    _ options: EnvironmentOptions = EnvironmentOptions(), _ body: (Environment, String) throws -> R
) throws -> R {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("lmdb-test-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: path) }
    let environment = try Environment(path: path, options: options)
    return try body(environment, path)
}

private func bytes(_ s: String) -> [UInt8] { Array(s.utf8) }

/// Runs `body` with an environment whose database `kv` holds `k` = `v`, and an empty directory to copy it to (removed
/// afterwards).
private func withOneKeyAndACopyDirectory(_ body: (Environment, String) throws -> Void) throws {
    try withEnvironment { env, path in
        let db = try env.openDatabase("kv", flags: .create)
        try env.write { txn in try txn.put(db, key: bytes("k"), value: bytes("v")) }
        let copy = path + "-copy"
        try FileManager.default.createDirectory(atPath: copy, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: copy) }
        try body(env, copy)
    }
}

/// Puts 4,000 values of 3,000 bytes into `db`: more than a 1 MiB map holds.
private func putTwelveMegabytes(_ db: Database, _ txn: borrowing Transaction) throws {
    let value = [UInt8](repeating: 7, count: 3000)
    for i: UInt32 in 0..<4000 {
        try txn.put(db, key: withUnsafeBytes(of: i.bigEndian) { Array($0) }, value: value)
    }
}

@Suite struct EnvironmentTests {
    @Test func writeCommitsAndReadSeesIt() throws {
        try withEnvironment { env, _ in
            let db = try env.openDatabase("kv", flags: .create)
            try env.write { txn in try txn.put(db, key: bytes("a"), value: bytes("1")) }
            let value = try env.read { txn in try txn.get(db, key: bytes("a")) }
            #expect(value == bytes("1"))
        }
    }

    @Test func aSecondOpenInTheProcessIsRefusedAndCloseReleasesTheDirectory() throws {
        try withEnvironment { env, path in
            let db = try env.openDatabase("kv", flags: .create)
            try env.write { txn in try txn.put(db, key: bytes("a"), value: bytes("1")) }
            #expect(
                throws: LMDBError(
                    code: .alreadyOpenInProcess, operation: "mdb_env_open(\(path)/.)",
                    detail: "this process has it open already as \(path); share that one (LMDB allows one open "
                        + "environment per file per process)")
            ) {
                _ = try Environment(path: path + "/.", options: EnvironmentOptions(readOnly: true))
            }
            // Inside one of its own transactions, close cannot wait for it.
            #expect(try env.read { _ in env.close() } == false)
            #expect(env.close())
            #expect(env.close(), "closing again does nothing")
            #expect(throws: LMDBError(code: .environmentClosed, operation: "mdb_txn_begin(read)")) {
                try env.read { txn in try txn.get(db, key: bytes("a")) }
            }
            #expect(throws: LMDBError(code: .environmentClosed, operation: "mdb_env_sync")) { try env.sync() }
            #expect(env.info().pageSize > 0, "facts as of the close")
            let again = try Environment(path: path)
            let reopened = try again.openDatabase("kv")
            #expect(try again.read { txn in try txn.get(reopened, key: bytes("a")) } == bytes("1"))
        }
    }

    @Test func thrownErrorRollsBack() throws {
        struct Boom: Error {}
        try withEnvironment { env, _ in
            let db = try env.openDatabase("kv", flags: .create)
            #expect(throws: Boom.self) {
                try env.write { txn in
                    try txn.put(db, key: bytes("a"), value: bytes("1"))
                    throw Boom()
                }
            }
            #expect(try env.read { txn in try txn.get(db, key: bytes("a")) } == nil)
        }
    }

    @Test func errorsHaveSwiftNamesAndNameTheOperation() throws {
        try withEnvironment { env, _ in
            let db = try env.openDatabase("kv", flags: .create)
            try env.write { txn in try txn.put(db, key: bytes("a"), value: bytes("1")) }
            do {
                try env.write { txn in try txn.put(db, key: bytes("a"), value: bytes("2"), flags: .noOverwrite) }
                Issue.record("expected keyExists")
            } catch let error as LMDBError {
                #expect(error.code == .keyExists)
                #expect(error.operation == "mdb_put(kv)")
                #expect(error.description.contains("keyExists"))
            }
            let longKey = [UInt8](repeating: 1, count: 600)
            #expect(throws: LMDBError(code: .badValueSize, operation: "mdb_put(kv)")) {
                try env.write { txn in try txn.put(db, key: longKey, value: bytes("x")) }
            }
        }
    }

    @Test func readerSlotsOutOfRangeAreRefusedBeforeAnythingIsCreated() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("lmdb-test-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: path) }
        for slots: UInt32 in [0, EnvironmentOptions.maximumReaderSlots + 1, .max] {
            #expect {
                _ = try Environment(path: path, options: EnvironmentOptions(maxReaders: slots))
            } throws: { error in
                (error as? LMDBError)?.detail == "maxReaders must be from 1 to 1048576, got \(slots)"
            }
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: path).isEmpty)
    }

    @Test func aMapBeyondTheAddressSpaceNamesTheMapSize() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("lmdb-test-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: path) }
        // 1 EiB: more than x86-64's and AArch64's user address space.
        let options = EnvironmentOptions(mapSize: 1 << 60, maxMapSize: 1 << 60)
        #expect {
            _ = try Environment(path: path, options: options)
        } throws: { error in
            guard let error = error as? LMDBError else { return false }
            return error.code == .outOfMemory && (error.detail ?? "").contains("cannot map 1152921504606846976 bytes")
        }
    }

    @Test func anOpenRefusedByOneOfTheFilesNamesIt() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("lmdb-test-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path + "/lock.mdb", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect {
            _ = try Environment(path: path, options: EnvironmentOptions())
        } throws: { error in
            guard let error = error as? LMDBError else { return false }
            return error.description.hasSuffix("; the lock file \(path)/lock.mdb: Is a directory")
        }
        #expect(
            Environment.fileRefusing(EACCES, in: path, readOnly: false)
                == "the lock file \(path)/lock.mdb: Is a directory")
        #expect(Environment.fileRefusing(ENOMEM, in: path, readOnly: false) == nil)
    }

    @Test func appendRequiresIncreasingKeys() throws {
        try withEnvironment { env, _ in
            let db = try env.openDatabase("log", flags: .create)
            try env.write { txn in
                for i: UInt64 in 1...100 {
                    try txn.put(
                        db, key: withUnsafeBytes(of: i.bigEndian) { Array($0) }, value: bytes("v"), flags: .append)
                }
            }
            #expect(throws: LMDBError.self) {
                try env.write { txn in
                    try txn.put(
                        db, key: withUnsafeBytes(of: UInt64(5).bigEndian) { Array($0) }, value: bytes("v"),
                        flags: .append)
                }
            }
            #expect(try env.read { txn in try txn.statistics(db).entries } == 100)
        }
    }

    @Test func mapGrowsOnMapFullAndRetriesTheWholeTransaction() throws {
        try withEnvironment(EnvironmentOptions(mapSize: 1 << 20)) { env, _ in
            let db = try env.openDatabase("big", flags: .create)
            var attempts = 0
            try env.write { txn in
                attempts += 1
                try putTwelveMegabytes(db, txn)
            }
            #expect(attempts >= 2)
            #expect(env.info().mapSize > 1 << 20)
            #expect(try env.read { txn in try txn.statistics(db).entries } == 4000)
        }
    }

    @Test func reservingRoomGrowsTheMapAheadSoALargeWriteRunsOnce() throws {
        try withEnvironment(EnvironmentOptions(mapSize: 1 << 20)) { env, _ in
            let db = try env.openDatabase("big", flags: .create)
            try env.reserve(0)
            #expect(env.info().mapSize == 1 << 20)
            try env.reserve(40 << 20)
            let info = env.info()
            #expect(info.mapSize >= info.usedBytes + 40 << 20)
            var attempts = 0
            try env.write { txn in
                attempts += 1
                try putTwelveMegabytes(db, txn)
            }
            #expect(attempts == 1)
            // Room that is already there changes nothing.
            let grown = env.info().mapSize
            try env.reserve(1 << 20)
            #expect(env.info().mapSize == grown)
        }
    }

    @Test func reservingInsideATransactionDoesNothing() throws {
        try withEnvironment(EnvironmentOptions(mapSize: 1 << 20)) { env, _ in
            try env.read { _ in try env.reserve(40 << 20) }
            #expect(env.info().mapSize == 1 << 20)
        }
    }

    @Test func reservingStopsAtTheMaximumMapSize() throws {
        try withEnvironment(EnvironmentOptions(mapSize: 1 << 20, maxMapSize: 3 << 20)) { env, _ in
            try env.reserve(100 << 20)
            #expect(env.info().mapSize == 3 << 20)
        }
    }

    @Test func maxMapSizeIsEnforced() throws {
        try withEnvironment(EnvironmentOptions(mapSize: 1 << 20, maxMapSize: 2 << 20)) { env, _ in
            let db = try env.openDatabase("big", flags: .create)
            #expect(throws: LMDBError.self) {
                try env.write { txn in try putTwelveMegabytes(db, txn) }
            }
            #expect(try env.read { txn in try txn.statistics(db).entries } == 0)
        }
    }

    @Test func cursorWalksInKeyOrderAndSeeks() throws {
        try withEnvironment { env, _ in
            let db = try env.openDatabase("kv", flags: .create)
            try env.write { txn in
                for key in ["b", "d", "a", "c"] { try txn.put(db, key: bytes(key), value: bytes(key.uppercased())) }
            }
            let (keys, seeked, last) = try env.read { txn in
                try txn.withCursor(db) { cursor -> ([String], String?, String?) in
                    var keys: [String] = []
                    var entry = try cursor.get(.first)
                    while let e = entry {
                        keys.append(String(decoding: e.key, as: UTF8.self))
                        entry = try cursor.get(.next)
                    }
                    let seeked = try cursor.seek(.setRange, to: bytes("bb")).map {
                        String(decoding: $0.value, as: UTF8.self)
                    }
                    let last = try cursor.get(.last).map { String(decoding: $0.key, as: UTF8.self) }
                    return (keys, seeked, last)
                }
            }
            #expect(keys == ["a", "b", "c", "d"])
            #expect(seeked == "C")
            #expect(last == "d")
        }
    }

    @Test func readOnlyEnvironmentSeesDataAndOpensExistingDatabases() throws {
        try withOneKeyAndACopyDirectory { env, copy in
            // A second process would open it read-only; in-process we use a copy to respect LMDB's one-open rule.
            try env.copy(to: copy, compact: true)
            let reader = try Environment(path: copy, options: EnvironmentOptions(readOnly: true))
            let readerDB = try reader.openDatabase("kv")
            #expect(try reader.read { txn in try txn.get(readerDB, key: bytes("k")) } == bytes("v"))
            #expect(throws: LMDBError.self) { try reader.openDatabase("missing") }
        }
    }

    @Test func aCopyOverAnExistingDataFileFailsAndLeavesItAlone() throws {
        try withOneKeyAndACopyDirectory { env, copy in
            let existing = Data("not a copy".utf8)
            try existing.write(to: URL(fileURLWithPath: copy + "/data.mdb"))
            #expect(throws: LMDBError.self) { try env.copy(to: copy, compact: true) }
            #expect(try Data(contentsOf: URL(fileURLWithPath: copy + "/data.mdb")) == existing)
        }
    }

    @Test func aCopyIsStagedAndOnlyTheWholeFileReachesTheDestination() throws {
        try withOneKeyAndACopyDirectory { env, copy in
            // Another copy's staging directory (or a killed one's): this copy refuses it and writes nothing.
            let staging = copy + "/" + Environment.copyStagingName
            try FileManager.default.createDirectory(atPath: staging, withIntermediateDirectories: false)
            #expect(throws: LMDBError.self) { try env.copy(to: copy, compact: true) }
            #expect(try FileManager.default.contentsOfDirectory(atPath: copy) == [Environment.copyStagingName])
            #expect(try FileManager.default.contentsOfDirectory(atPath: staging).isEmpty)
            try FileManager.default.removeItem(atPath: staging)
            try env.copy(to: copy, compact: true)
            #expect(try FileManager.default.contentsOfDirectory(atPath: copy) == ["data.mdb"])
        }
    }

    /// The check sees the whole copy in its staging directory before the destination holds anything, and a check
    /// that throws leaves the destination empty (a backup reads the copy's head there, so that a backup killed before
    /// the move leaves no data.mdb).
    @Test(arguments: [false, true])
    func aCopyIsCheckedBeforeItReachesTheDestination(recordByRecord: Bool) throws {
        try withOneKeyAndACopyDirectory { env, copy in
            let copyTo = { (check: Environment.CopyCheck?) throws(LMDBError) in
                if recordByRecord {
                    _ = try env.copyRecords(of: ["kv"], to: copy, checkingBeforePublishing: check)
                } else {
                    try env.copy(to: copy, compact: true, checkingBeforePublishing: check)
                }
            }
            #expect(throws: LMDBError(code: .invalid, operation: "refused")) {
                try copyTo { _ throws(LMDBError) in throw LMDBError(code: .invalid, operation: "refused") }
            }
            #expect(try FileManager.default.contentsOfDirectory(atPath: copy).isEmpty)
            var seen: [UInt8]?
            try copyTo { staging throws(LMDBError) in
                #expect(!FileManager.default.fileExists(atPath: copy + "/data.mdb"))
                do {
                    let reader = try Environment(path: staging, options: EnvironmentOptions(readOnly: true))
                    defer { reader.close() }
                    let database = try reader.openDatabase("kv")
                    seen = try reader.read { txn in try txn.get(database, key: bytes("k")) }
                } catch {
                    Issue.record("the staged copy could not be read: \(error)")
                }
            }
            #expect(seen == bytes("v"))
            #expect(try FileManager.default.contentsOfDirectory(atPath: copy) == ["data.mdb"])
        }
    }

    @Test func aTruncatedDataFileIsRefusedAtOpen() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("lmdb-test-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: path) }
        do {
            let env = try Environment(path: path)
            let db = try env.openDatabase("kv", flags: .create)
            try env.write { txn in try putTwelveMegabytes(db, txn) }
        }
        let file = try FileHandle(forWritingTo: URL(fileURLWithPath: path + "/data.mdb"))
        try file.truncate(atOffset: 1 << 20)
        try file.close()
        do {
            _ = try Environment(path: path)
            Issue.record("a truncated data file opened")
        } catch {
            #expect(error.code == .truncatedFile)
            #expect(
                error.detail?.hasPrefix("data.mdb is 1048576 bytes, but its last committed transaction uses") == true)
            #expect(error.description.contains("the data file is shorter than its committed pages"))
        }
    }

    @Test func openingAMissingDirectoryNamesTheCall() throws {
        do {
            _ = try Environment(path: "/nonexistent/annals-\(UUID().uuidString)")
            Issue.record("expected an error")
        } catch {
            #expect(error.code == .noSuchFileOrDirectory)
            #expect(error.operation.hasPrefix("mdb_env_open"))
        }
    }

    @Test func staleReaderCheckAndInfo() throws {
        try withEnvironment(EnvironmentOptions(maxReaders: 64)) { env, _ in
            let cleared = try env.checkStaleReaders()
            #expect(cleared == 0)
            let info = env.info()
            #expect(info.maxReaders == 64)
            #expect(info.pageSize == 4096)
        }
    }

    @Test func concurrentReadersFromManyThreads() async throws {
        try withEnvironment { env, _ in
            let db = try env.openDatabase("kv", flags: .create)
            try env.write { txn in
                for i: UInt32 in 0..<1000 {
                    try txn.put(db, key: withUnsafeBytes(of: i.bigEndian) { Array($0) }, value: bytes("v"))
                }
            }
            let counts = Counts()
            DispatchQueue.concurrentPerform(iterations: 16) { _ in
                let count = (try? env.read { txn in try txn.statistics(db).entries }) ?? -1
                counts.add(count)
            }
            #expect(counts.values == Array(repeating: 1000, count: 16))
        }
    }
}

/// Thread-safe collection of results from concurrent readers.
final class Counts: @unchecked Sendable {
    private let lock = NSLock()
    private(set) var values: [Int] = []
    func add(_ value: Int) { lock.withLock { values.append(value) } }
}

@Suite struct CursorTests {
    @Test func duplicatesAreCountedAndDeletedAtTheCursor() throws {
        try withEnvironment { env, _ in
            let db = try env.openDatabase("dups", flags: [.create, .duplicateSort])
            try env.write { txn in
                for value in ["a", "b", "c"] { try txn.put(db, key: Array("k".utf8), value: Array(value.utf8)) }
            }
            let count = try env.read { txn in
                try txn.withCursor(db) { cursor -> Int in
                    _ = try cursor.seek(.setKey, to: Array("k".utf8))
                    return try cursor.duplicateCount()
                }
            }
            #expect(count == 3)
            try env.write { txn in
                try txn.withCursor(db) { cursor in
                    _ = try cursor.seek(.setKey, to: Array("k".utf8))
                    try cursor.deleteCurrent()
                }
            }
            let remaining = try env.read { txn in try txn.statistics(db).entries }
            #expect(remaining == 2)
        }
    }
}

@Suite struct ResizeUnderReadLoadTests {
    /// Readers that never pause must not keep a map growth (and so every write) waiting.
    @Test func growthIsNotStarvedByBusyReaders() throws {
        try withEnvironment(EnvironmentOptions(mapSize: 1 << 20)) { env, _ in
            let db = try env.openDatabase("big", flags: .create)
            let stop = Counts()
            let readers = (0..<6).map { _ in
                Thread {
                    while stop.values.isEmpty {
                        _ = try? env.read { txn in try txn.statistics(db).entries }
                    }
                }
            }
            readers.forEach { $0.start() }
            defer {
                stop.add(1)
                while !readers.allSatisfy(\.isFinished) { usleep(1000) }
            }
            let value = [UInt8](repeating: 7, count: 3000)
            let started = Date()
            for batch: UInt32 in 0..<4 {
                try env.write { txn in
                    for i: UInt32 in 0..<1000 {
                        let key = withUnsafeBytes(of: (batch * 1000 + i).bigEndian) { Array($0) }
                        try txn.put(db, key: key, value: value)
                    }
                }
            }
            #expect(Date().timeIntervalSince(started) < 20)
            #expect(env.info().mapSize > 1 << 20)
        }
    }

    @Test func nestedReadsStillWork() throws {
        try withEnvironment { env, _ in
            let db = try env.openDatabase("kv", flags: .create)
            try env.write { txn in try txn.put(db, key: Array("k".utf8), value: Array("v".utf8)) }
            let inner = try env.read { _ in try env.read { txn in try txn.get(db, key: Array("k".utf8)) } }
            #expect(inner == Array("v".utf8))
        }
    }
}
