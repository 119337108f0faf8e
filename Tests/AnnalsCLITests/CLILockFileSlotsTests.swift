import Foundation
import Testing

@testable import Annals

/// The reader slots of a store are fixed by the process that opens it first: another process (the CLI asks for
/// 510) never lengthens `lock.mdb` under it. It did: LMDB counts slots by the file's length, so a later opener could
/// use slots past the end of the first process's mapping of the file, which then died of SIGSEGV scanning them.
@Suite("CLI: reader slots fixed by the first opener")
struct CLILockFileSlotsTests {
    private static func lockFileLength(_ store: String) throws -> Int {
        try #require(try FileManager.default.attributesOfItem(atPath: store + "/lock.mdb")[.size] as? Int)
    }

    @Test func anotherProcessDoesNotLengthenTheLockFileOfAnOpenStore() throws {
        try withCLIFixture { fx in
            let store = try EventStore(path: fx.store, options: StoreOptions(maximumReaders: 100))
            defer { store.close() }
            _ = try store.appendAndWait([NewEvent(type: "a.b")])
            let length = try Self.lockFileLength(fx.store)
            #expect(length == 99 * 64 + 192)

            try fx.append(sampleLines(3))
            #expect(try fx.annals("stats").status == Exit.ok)
            #expect(try Self.lockFileLength(fx.store) == length, "the CLI lengthened lock.mdb under the store")
            _ = try store.appendAndWait([NewEvent(type: "a.b")])
            #expect(try store.head().offset == 5)
        }
        // With the store closed, the next opener may lengthen it to the slots it asks for.
        try withCLIFixture { fx in
            try EventStore(path: fx.store, options: StoreOptions(maximumReaders: 100)).close()
            try fx.append(sampleLines(1))
            #expect(try Self.lockFileLength(fx.store) == 509 * 64 + 192)
        }
    }
}
