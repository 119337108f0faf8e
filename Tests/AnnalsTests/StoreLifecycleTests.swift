import Foundation
import LMDB
import Testing

@testable import Annals

@Suite struct StoreLifecycleTests {
    @Test func reopeningKeepsEverythingAndContinuesOffsets() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory + "/s"
            // LMDB allows one open environment per directory and process: release the first store before reopening.
            let head: LogHead = try await {
                let store = try EventStore(path: path)
                defer { store.close() }
                _ = try await store.append(contentsOf: (0..<10).map { sampleEvent($0) })
                return try store.head()
            }()
            let store = try EventStore(path: path)
            defer { store.close() }
            #expect(try store.head() == head)
            #expect(try await store.append(sampleEvent(10)).offset == 11)
            #expect(try store.verify().isIntact)
        }
    }

    @Test func missingStoresAreReportedNotCreated() async throws {
        try await withTemporaryDirectory { directory in
            #expect(throws: AnnalsError.storeNotFound(path: directory + "/none")) {
                try EventStore(path: directory + "/none", options: StoreOptions(createIfMissing: false))
            }
            #expect(throws: AnnalsError.self) {
                try EventStore(path: directory + "/none", options: StoreOptions(readOnly: true))
            }
            #expect(!FileManager.default.fileExists(atPath: directory + "/none/data.mdb"))
        }
    }

    /// What a killed `annals init` can leave: some databases, or all of them without a format version. Opened, it
    /// is named as an interrupted creation; opened for writing (as `init` does), it is completed.
    @Test func aStoreWhoseCreationWasInterruptedIsNamedAndCompletedByTheNextWritableOpen() async throws {
        try await withTemporaryDirectory { directory in
            for stage in ["some databases", "no format version"] {
                let path = directory + "/" + stage.replacingOccurrences(of: " ", with: "-")
                try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
                do {
                    let environment = try Environment(path: path, options: EnvironmentOptions())
                    if stage == "some databases" {
                        _ = try environment.openDatabase("events", flags: .create)
                    } else {
                        _ = try StoreSchema(environment: environment, create: true)
                    }
                }
                #expect {
                    try EventStore(path: path, options: StoreOptions(readOnly: true))
                } throws: { error in
                    guard case AnnalsError.unsupportedFormat(let reason) = error else { return false }
                    return reason.contains("creation was interrupted") && reason.contains("run 'annals init'")
                }
                let store = try EventStore(path: path)
                #expect(store.isNewlyCreated, "\(stage)")
                #expect(try store.head().offset == 0)
                store.close()
            }
        }
    }

    /// Another program's LMDB file, and a store that lost its format version but not its nonce, are not interrupted
    /// creations: nothing advises running `init` on them, which would write into the first and cannot mend the second.
    @Test func onlyAnEmptyHalfCreatedStoreIsCalledAnInterruptedCreation() async throws {
        try await withTemporaryDirectory { directory in
            let foreign = directory + "/foreign"
            try FileManager.default.createDirectory(atPath: foreign, withIntermediateDirectories: true)
            do {
                let environment = try Environment(path: foreign, options: EnvironmentOptions())
                let users = try environment.openDatabase("users", flags: .create)
                try environment.write { txn in try txn.put(users, key: Array("u1".utf8), value: Array("x".utf8)) }
            }
            let damaged = directory + "/damaged"
            do {
                let store = try EventStore(path: damaged)
                defer { store.close() }
                try store.write { txn in _ = try txn.delete(store.schema.meta, key: MetaKey.formatVersion) }
            }
            for (path, expected) in [
                (foreign, "holds databases no store has (users)"), (damaged, "format version missing"),
            ] {
                for options in [StoreOptions(readOnly: true), StoreOptions()] {
                    #expect {
                        try EventStore(path: path, options: options)
                    } throws: { error in
                        guard case AnnalsError.unsupportedFormat(let reason) = error else { return false }
                        return reason.contains(expected) && !reason.contains("interrupted")
                    }
                }
            }
        }
    }

    @Test func pathComponentsAreFoundWithoutFoundation() {
        let cases = [
            ("K", "", "K"), ("x/y", "x", "y"), ("x/y/", "x", "y"), ("/a", "/", "a"), ("/a/b", "/a", "b"),
            ("a//b", "a", "b"), ("/", "/", "/"), ("./K", ".", "K"), ("reg.json", "", "reg.json"),
        ]
        for (path, parent, last) in cases {
            #expect(PathComponents.parent(of: path) == parent, "\(path)")
            #expect(PathComponents.last(of: path) == last, "\(path)")
        }
    }

    @Test func aReadOnlyStoreRefusesAppends() async throws {
        try await withTemporaryDirectory { directory in
            let writer = try EventStore(path: directory + "/s")
            _ = try await writer.append(sampleEvent(1))
            writer.close()
            let reader = try EventStore(path: directory + "/s", options: StoreOptions(readOnly: true))
            defer { reader.close() }
            #expect(try reader.event(at: 1)?.offset == 1)
            await #expect(throws: AnnalsError.self) { try await reader.append(sampleEvent(2)) }
        }
    }

    @Test func theSyncWatermarkFollowsEveryCommit() async throws {
        try await withStore { store, _ in
            _ = try await store.append(contentsOf: (0..<5).map { sampleEvent($0) })
            #expect(try store.head().durableOffset == 5)
            #expect(store.commitSequence >= 1)
        }
    }

    @Test func noSyncAdvancesTheWatermarkAtThePeriodicSync() async throws {
        try await withStore(StoreOptions(durability: .noSync, syncInterval: 0.05)) { store, _ in
            _ = try await store.append(contentsOf: (0..<5).map { sampleEvent($0) })
            var durable: UInt64 = 0
            for _ in 0..<100 where durable < 5 {
                try await Task.sleep(for: .milliseconds(20))
                durable = try store.head().durableOffset
            }
            #expect(durable == 5)
        }
    }

    @Test func noMetaSyncCoversThePreviousCommitAtOnce() async throws {
        try await withStore(StoreOptions(durability: .noMetaSync, syncInterval: 60)) { store, _ in
            _ = try await store.append(sampleEvent(1))
            _ = try await store.append(sampleEvent(2))
            #expect(try store.head().durableOffset >= 1)
        }
    }

    /// `sync()` calls alongside `.noMetaSync` commits that grow the map, one of them inside a transaction (which a
    /// growing commit waits for), all return, and the last one covers every append.
    @Test func syncsAlongsideNoMetaSyncCommitsAllReturn() async throws {
        let options = StoreOptions(durability: .noMetaSync, initialMapSize: 1 << 20)
        try await withStore(options) { store, _ in
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    for round in 0..<40 {
                        _ = try await store.append(contentsOf: Self.bigEvents(100, round: round))
                    }
                }
                group.addTask { for _ in 0..<40 { try store.sync() } }
                group.addTask { for _ in 0..<40 { try store.environment.read { _ in _ = try store.sync() } } }
                try await group.waitForAll()
            }
            #expect(try store.sync() == 4000)
            #expect(store.environment.info().mapSize > 1 << 20)
        }
    }

    /// `count` events of about 300 bytes of random text each, on ten targets, marked with `round`: enough to make a
    /// map of 1 MiB grow.
    static func bigEvents(_ count: Int, round: Int) -> [NewEvent] {
        (0..<count).map { i in
            NewEvent(
                type: "big", targetId: "t\(i % 10)",
                metadata: [
                    "round": .integer(round), "blob": .string((0..<8).map { _ in UUID().uuidString }.joined()),
                ])
        }
    }

    @Test func theMapGrowsWithoutLosingABatch() async throws {
        try await withStore(StoreOptions(initialMapSize: 1 << 20)) { store, _ in
            for round in 0..<6 {
                _ = try await store.append(contentsOf: Self.bigEvents(1000, round: round))
            }
            #expect(try store.head().offset == 6000)
            #expect(store.environment.info().mapSize > 1 << 20)
            #expect(try store.verify().isIntact)
            #expect(try store.version(of: "t3") == 600)
        }
    }

    @Test func backupIsAConsistentCompactedCopy() async throws {
        try await withTemporaryDirectory { directory in
            let store = try EventStore(path: directory + "/s")
            defer { store.close() }
            _ = try await store.append(contentsOf: (0..<500).map { sampleEvent($0) })
            let appending = Task {
                for i in 0..<20 { _ = try await store.append(sampleEvent(500 + i)) }
            }
            let head = try store.backup(to: directory + "/copy")
            try await appending.value
            #expect(head.offset >= 500)
            let copy = try EventStore(path: directory + "/copy", options: StoreOptions(readOnly: true))
            defer { copy.close() }
            #expect(try copy.verify().isIntact)
            #expect(try copy.head().offset == head.offset)
            #expect(throws: AnnalsError.self) { try store.backup(to: directory + "/copy") }
        }
    }

    @Test func aBackupWhoseHeadDoesNotCheckOutIsRemovedUnlessItIsKept() async throws {
        try await withTemporaryDirectory { directory in
            let store = try EventStore(path: directory + "/s")
            defer { store.close() }
            _ = try await store.append(contentsOf: (0..<300).map { sampleEvent($0) })
            let intact = try store.checkedHead()
            try store.write { txn in
                try txn.put(store.schema.meta, key: MetaKey.chainHead, value: [UInt8](repeating: 7, count: 32))
            }
            #expect {
                try store.backup(to: directory + "/removed")
            } throws: { error in
                guard case .corruptRecord(300, let reason) = error as? AnnalsError else { return false }
                return reason.hasSuffix("; the copy was removed")
            }
            #expect(!FileManager.default.fileExists(atPath: directory + "/removed"))

            let kept = directory + "/kept"
            #expect {
                try store.backup(to: kept, keepingDamagedCopy: true)
            } throws: { error in
                guard case .corruptRecord(300, let reason) = error as? AnnalsError else { return false }
                return reason.hasPrefix("the head's chain hash in meta")
                    && reason.hasSuffix("the copy was kept in \(kept), as it is, for inspection")
            }
            #expect(try FileManager.default.contentsOfDirectory(atPath: kept) == ["data.mdb"], "no staging left")
            let copy = try EventStore(path: kept, options: StoreOptions(readOnly: true, createIfMissing: false))
            defer { copy.close() }
            let report = try copy.verify(anchor: VerificationAnchor(hash: intact.hash, offset: intact.offset))
            #expect(report.problems.map(\.kind) == [.chainBreak], "the damage is kept as it was: \(report.problems)")
            #expect(report.anchorMatched == true)

            // A head that checks out is backed up as before.
            try store.write { txn in try txn.put(store.schema.meta, key: MetaKey.chainHead, value: intact.hash.bytes) }
            let whole = try store.backup(to: directory + "/whole", keepingDamagedCopy: true)
            #expect(whole.offset == intact.offset && whole.hash == intact.hash)
        }
    }

    @Test func statisticsCountWhatIsThere() async throws {
        try await withStore { store, _ in
            _ = try await store.append(contentsOf: (0..<100).map { sampleEvent($0) })
            let stats = try store.statistics()
            #expect(stats.events == 100 && stats.durableOffset == 100)
            #expect(stats.distinctActors == 7 && stats.distinctTargets == 5 && stats.distinctGroups == 3)
            #expect(stats.types.map(\.count).reduce(0, +) == 100)
            #expect(stats.types.first?.count == 25)
            #expect(stats.databases.first { $0.name == "events" }?.entries == 100)
            #expect(stats.payloadBytes > 0 && stats.recordBytes > 0 && stats.usedBytes > 0)
        }
    }
}

@Suite struct StoreReleaseTests {
    /// Descriptors this process holds open on files inside `directory` (other tests run in parallel).
    private func openFiles(in directory: String) -> Int {
        let fds = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
        return fds.filter { fd in
            ((try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/\(fd)")) ?? "")
                .hasPrefix(directory + "/")
        }.count
    }

    @Test func closingReleasesTheEnvironment() async throws {
        try await withTemporaryDirectory { directory in
            var stores: [EventStore] = []
            for round in 0..<5 {
                // The closed stores stay referenced: close() itself releases the directory.
                let store = try EventStore(path: directory + "/s")
                _ = try await store.append(sampleEvent(round))
                store.close()
                stores.append(store)
            }
            #expect(openFiles(in: directory + "/s") == 0)
            #expect(throws: AnnalsError.closed) { try stores[0].head() }
            #expect(throws: AnnalsError.closed) { try stores[0].events().collect() }
            #expect(throws: AnnalsError.closed) { try stores[0].checkLogPages() }
            #expect(throws: AnnalsError.closed) { try stores[0].checkLogPages(for: EventQuery(types: ["x*"])) }
            #expect(throws: AnnalsError.closed) { try stores[0].rebuild() }
            #expect(throws: AnnalsError.closed) { try stores[0].backup(to: directory + "/copy") }
            let reader = try EventStore(path: directory + "/s", options: StoreOptions(readOnly: true))
            #expect(try reader.head().offset == 5)
            reader.close()
            #expect(openFiles(in: directory + "/s") == 0)
        }
    }

    /// A store without a watermark file (a fresh backup) is durable through its head for a read-only open, until a
    /// writer creates the file: from then on the file says what is durable.
    @Test func aReadOnlyOpenAdoptsAWatermarkFileCreatedAfterIt() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory + "/s"
            let writer = try EventStore(path: path)
            _ = try await writer.append(contentsOf: (0..<5).map { sampleEvent($0) })
            writer.close()
            try FileManager.default.removeItem(atPath: path + "/watermark")
            let reader = try EventStore(path: path, options: StoreOptions(readOnly: true))
            defer { reader.close() }
            #expect(try reader.head().durableOffset == 5)
            // What a writer's open creates, here with offset 3 durable and a wake word of 7.
            var file = [UInt8](repeating: 0, count: 4096)
            file.replaceSubrange(0..<8, with: Array("ANNALSWM".utf8))
            withUnsafeBytes(of: UInt64(3)) { file.replaceSubrange(8..<16, with: $0) }
            withUnsafeBytes(of: UInt32(7)) { file.replaceSubrange(24..<28, with: $0) }
            try Data(file).write(to: URL(fileURLWithPath: path + "/watermark"))
            #expect(try reader.head().durableOffset == 3)
            #expect(reader.durableWakeWord == 7)
        }
    }

    /// A writable open that fails after creating the watermark file (of a backup, which has none; here because it
    /// refuses an outdated view) leaves it without its magic, so readers still take the head as durable: the magic
    /// used to be written at once, with an offset of 0 that readers then trusted (nothing durable, a `tail` from the
    /// end that printed the whole log).
    @Test func aWritableOpenThatFailsLeavesReadersTheHeadAsDurable() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory + "/store"
            let backup = directory + "/backup"
            do {
                let store = try EventStore(path: path, options: StoreOptions(projections: [TypeCounter(version: 1)]))
                _ = try await store.append(contentsOf: (0..<30).map { sampleEvent($0) })
                try store.backup(to: backup)
                store.close()
            }
            #expect(!FileManager.default.fileExists(atPath: backup + "/watermark"))
            #expect(throws: AnnalsError.self) {
                try EventStore(
                    path: backup,
                    options: StoreOptions(projections: [TypeCounter(version: 2)], outdatedProjections: .refuse))
            }
            #expect(FileManager.default.fileExists(atPath: backup + "/watermark"))
            do {
                let reader = try EventStore(path: backup, options: StoreOptions(readOnly: true))
                defer { reader.close() }
                #expect(try reader.head().durableOffset == 30)
                #expect(try reader.subscribe(start: .end).startOffset == 30)
            }

            // The next open that succeeds initializes the file with its head.
            try EventStore(path: backup, options: StoreOptions(projections: [TypeCounter(version: 1)])).close()
            let reader = try EventStore(path: backup, options: StoreOptions(readOnly: true))
            defer { reader.close() }
            #expect(try reader.head().durableOffset == 30)
            let bytes = try #require(FileManager.default.contents(atPath: backup + "/watermark"))
            #expect(Array(bytes.prefix(8)) == Array("ANNALSWM".utf8))
        }
    }

    /// A close inside a read transaction while another thread closes: the first close waits for that transaction
    /// to end, so the second must not wait for the first.
    @Test(.timeLimit(.minutes(10)))
    func closingInsideAReadWhileAnotherThreadClosesReturns() async throws {
        try await withTemporaryDirectory { directory in
            let store = try EventStore(path: directory + "/s")
            _ = try await store.append(sampleEvent(1))
            let closes = DispatchGroup()
            closes.enter()
            Thread {
                _ = try? store.read { _ in
                    usleep(300_000)
                    store.close()
                }
                closes.leave()
            }.start()
            usleep(100_000)
            closes.enter()
            Thread {
                store.close()
                closes.leave()
            }.start()
            #expect(closes.wait(timeout: .now() + 10) == .success, "a close never returned")
            #expect(throws: AnnalsError.closed) { try store.head() }
        }
    }

    /// A close inside a read while the writer has queued appends that need the map grown, which waits for that
    /// read: the close returns at once, the appends commit once the read ends, and then the environment closes.
    @Test(.timeLimit(.minutes(10)))
    func closingInsideAReadDoesNotWaitForAWriterThatWaitsForIt() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory + "/s"
            let store = try EventStore(path: path, options: StoreOptions(initialMapSize: 1 << 20))
            let committed = DispatchGroup()
            let blob = JSONValue.string(String(repeating: "0123456789abcdef", count: 6_400))
            try store.read { _ in
                for index in 0..<40 {
                    committed.enter()
                    store.append([NewEvent(type: "note.added", metadata: ["blob": blob, "n": .integer(index)])]) { _ in
                        committed.leave()
                    }
                }
                Thread.sleep(forTimeInterval: 0.3)
                store.close()
            }
            #expect(committed.wait(timeout: .now() + 30) == .success, "the queued appends never finished")
            var reopened: EventStore?
            for _ in 0..<300 where reopened == nil {
                reopened = try? EventStore(path: path)
                if reopened == nil { try await Task.sleep(for: .milliseconds(10)) }
            }
            let store2 = try #require(reopened, "the environment never closed")
            defer { store2.close() }
            #expect(try store2.head().offset == 40)
        }
    }

    /// A store released without `close()` right after an append closes on the releasing thread, not later on the
    /// writer's: the directory opens again at once.
    @Test func aReleasedStoreReopensAtOnce() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory + "/s"
            for round in 0..<100 {
                try await {
                    let store = try EventStore(path: path)
                    _ = try await store.append(sampleEvent(round))
                }()
            }
            let store = try EventStore(path: path)
            defer { store.close() }
            #expect(try store.head().offset == 100)
        }
    }

    @Test func aSecondOpenOfTheSameDirectoryIsRefused() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory + "/s"
            let store = try EventStore(path: path)
            _ = try await store.append(sampleEvent(1))
            try FileManager.default.createSymbolicLink(atPath: directory + "/link", withDestinationPath: path)
            for (spelling, options) in [
                (path, StoreOptions()), (path + "/.", StoreOptions(readOnly: true)),
                (directory + "/link", StoreOptions()),
            ] {
                #expect("\(spelling)") {
                    _ = try EventStore(path: spelling, options: options)
                } throws: { error in
                    guard case .invalidArgument(let message) = error as? AnnalsError else { return false }
                    return message.contains("already open in this process")
                }
            }
            // The refused opens touched nothing: the store keeps LMDB's shared lock on the first byte of `lock.mdb`,
            // which tells other processes it is open (closing a descriptor of the file used to drop it: the next
            // process to open the store then reset its lock table under the running writer), it still appends, and
            // a later open works once it is closed.
            let (held, probe) = try Self.sharedLock(on: path + "/lock.mdb")
            defer { close(probe) }  // after every store of the test is closed: closing it drops their locks
            #expect(held)
            _ = try await store.append(sampleEvent(2))
            store.close()
            let reopened = try EventStore(path: directory + "/link")
            defer { reopened.close() }
            #expect(try reopened.head().offset == 2)
        }
    }

    /// Whether a read lock (LMDB's, of an environment this process has open) is held on the first byte of the lock
    /// file at `path`, asked with an open file description lock (`F_OFD_GETLK`), which conflicts with the process's
    /// own record locks; and the descriptor asked through, which the caller closes once the store is closed (closing
    /// it drops the process's record locks on the file).
    private static func sharedLock(on path: String) throws -> (held: Bool, descriptor: Int32) {
        let descriptor = open(path, O_RDWR | O_CLOEXEC)
        guard descriptor >= 0 else { throw POSIXError(.init(rawValue: errno) ?? .EIO) }
        var probe = flock()
        probe.l_type = Int16(F_WRLCK)
        probe.l_whence = Int16(SEEK_SET)
        probe.l_start = 0
        probe.l_len = 1
        let ofdGetLock: Int32 = 36  // F_OFD_GETLK, which Glibc's module does not export
        guard fcntl(descriptor, ofdGetLock, &probe) == 0 else {
            close(descriptor)
            throw POSIXError(.init(rawValue: errno) ?? .EIO)
        }
        return (probe.l_type == Int16(F_RDLCK), descriptor)
    }

    /// The error `body` throws, or `nil`.
    private static func failure(_ body: () throws(AnnalsError) -> Void) -> AnnalsError? {
        do {
            try body()
            return nil
        } catch {
            return error
        }
    }

    @Test func callsThatWaitForTheWriterThrowInsteadOfTrappingInAnAppendCompletion() async throws {
        try await withStore { store, _ in
            let errors: [AnnalsError?] = await withCheckedContinuation { continuation in
                store.append([sampleEvent(1)]) { _ in
                    continuation.resume(returning: [
                        Self.failure { () throws(AnnalsError) in try store.acknowledge("c", through: 1) },
                        Self.failure { () throws(AnnalsError) in try store.resetCursor("c", to: 0) },
                        Self.failure { () throws(AnnalsError) in _ = try store.appendAndWait([sampleEvent(2)]) },
                        Self.failure { () throws(AnnalsError) in try store.mergeIndexes() },
                    ])
                }
            }
            for error in errors {
                guard case .invalidArgument(let message) = error else {
                    Issue.record("expected invalidArgument, got \(String(describing: error))")
                    continue
                }
                #expect(message.contains("from an append completion handler"), "\(message)")
            }
            // Inside a read transaction too: a writer that must grow the map waits for it to end.
            let insideRead: [AnnalsError?] = try store.read { _ in
                return [
                    Self.failure { () throws(AnnalsError) in _ = try store.appendAndWait([sampleEvent(3)]) },
                    Self.failure { () throws(AnnalsError) in try store.acknowledge("c", through: 1) },
                ]
            }
            for error in insideRead {
                guard case .invalidArgument(let message) = error else {
                    Issue.record("expected invalidArgument, got \(String(describing: error))")
                    continue
                }
                #expect(message.contains("inside a read transaction"), "\(message)")
            }
            // From any other thread, outside a read, they work.
            try store.acknowledge("c", through: 1)
            #expect(try store.cursor(named: "c")?.offset == 1)
        }
    }

    @Test func closingFromAnAppendCompletionDoesNotDeadlock() async throws {
        try await withTemporaryDirectory { directory in
            try await {
                let store = try EventStore(path: directory + "/s")
                let closed: Bool = await withCheckedContinuation { continuation in
                    store.append([sampleEvent(1)]) { _ in
                        store.close()  // on the writer thread: returns at once
                        continuation.resume(returning: true)
                    }
                }
                #expect(closed)
                await #expect(throws: AnnalsError.closed) { try await store.append(sampleEvent(2)) }
                store.close()  // waits until the writer thread has ended
            }()
            let reopened = try EventStore(path: directory + "/s")
            defer { reopened.close() }
            #expect(try reopened.head().offset == 1)
        }
    }

    @Test func theWriterThreadCarriesItsNameForOperators() async throws {
        try await withStore(StoreOptions(projections: [])) { store, _ in
            _ = try await store.append(sampleEvent(1))
            let tasks = try FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")
            let names = tasks.compactMap { task in
                (try? String(contentsOfFile: "/proc/self/task/\(task)/comm", encoding: .utf8))?
                    .trimmingCharacters(in: .newlines)
            }
            #expect(names.contains(Writer.threadName), "thread names: \(Set(names).sorted())")
        }
    }
}
