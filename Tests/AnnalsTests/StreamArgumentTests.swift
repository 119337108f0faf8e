import Foundation
import Testing

@testable import Annals

/// `stream(_:fromVersion:)` and `version(of:)` answer any argument: a version past the stream reads nothing (it
/// trapped converting a rank past `Int.max`), and an id no event can have names no stream (it was an LMDB
/// `MDB_BAD_VALSIZE` storage error).
@Suite struct StreamArgumentTests {
    @Test func aVersionPastTheStreamReadsNothing() async throws {
        try await withStore { store, _ in
            for _ in 0..<3 { _ = try await store.append(NewEvent(type: "item.updated", targetId: "lamp")) }
            #expect(try store.stream("lamp", fromVersion: 3).collect().map(\.version) == [3])
            for version: UInt64 in [4, UInt64(Int.max), UInt64(Int.max) + 1, .max] {
                #expect(try store.stream("lamp", fromVersion: version).collect().isEmpty)
            }
            // Merged into the posting lists, the same.
            try store.mergeIndexes()
            #expect(try store.stream("lamp", fromVersion: .max).collect().isEmpty)
            #expect(try store.stream("lamp", fromVersion: 2).collect().map(\.version) == [2, 3])
        }
    }

    @Test func anIDNoEventCanHaveNamesNoStream() async throws {
        try await withStore { store, _ in
            _ = try await store.append(NewEvent(type: "item.updated", targetId: "lamp"))
            let tooLong = String(repeating: "a", count: EventValidation.maximumIdentifierLength + 1)
            for id in ["", tooLong, String(repeating: "é", count: 300)] {
                #expect(try store.version(of: id) == 0)
                #expect(try store.stream(id).collect().isEmpty)
                #expect(try store.stream(id, fromVersion: 2).collect().isEmpty)
            }
            #expect(try store.version(of: "lamp") == 1)
        }
    }
}
