import Foundation
import Testing

@testable import Annals

/// A snapshot's header is covered by a CRC-32C of its own (format 4): a damaged creation time, body length, offset or
/// checksum is listed as damage and skipped by time travel, like damaged contents. Snapshots stored in format 3, whose
/// header nothing covers, still load and list.
@Suite struct SnapshotHeaderChecksumTests {
    /// A store with ten things and one snapshot at offset 10 in `format`, and its state there.
    private static func withSnapshot(
        format: UInt8 = SnapshotFormat.version, _ body: (EventStore, SnapshotInfo, String) throws -> Void
    ) async throws {
        try await withStore(StoreOptions(snapshotInterval: 0)) { store, _ in
            _ = try await store.append(contentsOf: (0..<10).map { Vocabulary.thing("t\($0)") })
            let snapshot = try #require(try store.createSnapshot(unlessOneWithin: nil, format: format))
            try body(store, snapshot, try store.read { try dump($0) })
        }
    }

    /// Flips `mask` in byte `byte` of the snapshot stored at `offset`.
    private static func flip(_ byte: Int, _ mask: UInt8, ofSnapshotAt offset: UInt64, in store: EventStore) throws {
        let database = try #require(store.projections.snapshots)
        try store.write { txn in
            var stored = try #require(try txn.get(database, key: offset.bigEndianBytes))
            stored[byte] ^= mask
            try txn.put(database, key: offset.bigEndianBytes, value: stored)
        }
    }

    /// The stored bytes of the snapshot at `offset`.
    private static func stored(at offset: UInt64, in store: EventStore) throws -> [UInt8]? {
        let database = try #require(store.projections.snapshots)
        return try store.environment.read { txn in try txn.get(database, key: offset.bigEndianBytes) }
    }

    @Test func snapshotsAreStoredInFormatFourWithAChecksummedHeader() async throws {
        try await Self.withSnapshot { store, snapshot, _ in
            let stored = try #require(try Self.stored(at: snapshot.offset, in: store))
            #expect(stored[4] == 4)
            #expect(snapshot.storedBytes == stored.count && snapshot.damage == nil)
            #expect(
                CRC32C.checksum(Array(stored[0..<34])) == stored.withUnsafeBytes { UInt32(bigEndianBytes: $0, at: 34) })
        }
    }

    /// Byte 14 is the creation time's high byte (a flipped bit there lists a date centuries away), 21 its low one;
    /// 6–13 the offset, 22–29 the body length, 30–33 the contents' CRC-32C, 34–37 the header's own.
    @Test(arguments: [(14, UInt8(0x40)), (21, 0x01), (13, 0x02), (29, 0x01), (31, 0x08), (36, 0x10)])
    func aDamagedHeaderFieldIsListedAsDamageAndSkipped(byte: Int, mask: UInt8) async throws {
        try await Self.withSnapshot { store, snapshot, expected in
            try Self.flip(byte, mask, ofSnapshotAt: snapshot.offset, in: store)
            let listed = try #require(try store.snapshots().first)
            #expect(listed.offset == snapshot.offset && listed.storedBytes == snapshot.storedBytes)
            #expect(listed.damage?.contains("CRC-32C of the header does not match") == true, "\(listed)")
            #expect(listed.createdAt == 0 && listed.bodyBytes == 0, "nothing of a damaged header is listed")
            let state = try store.state(at: snapshot.offset)
            #expect(state.snapshotOffset == nil, "skipped")
            #expect(state.skippedSnapshots.map(\.description).first?.contains("CRC-32C of the header") == true)
            #expect(try dump(state.view) == expected)
            // The damaged snapshot is replaced when one is taken at the same head.
            let retaken = try store.createSnapshot()
            #expect(retaken.offset == snapshot.offset && retaken.damage == nil)
            #expect(try store.state(at: snapshot.offset).snapshotOffset == snapshot.offset)
        }
    }

    /// A format byte turned from 4 into 3 reads the header's own CRC-32C as contents, and from 3 into 4 reads
    /// directory bytes as the header's CRC-32C: either is damage.
    @Test(arguments: [UInt8(4), 3])
    func aDamagedFormatByteIsDamage(format: UInt8) async throws {
        try await Self.withSnapshot(format: format) { store, snapshot, _ in
            try Self.flip(4, 0x07, ofSnapshotAt: snapshot.offset, in: store)
            let listed = try #require(try store.snapshots().first)
            #expect(listed.damage != nil, "\(listed)")
            #expect(try store.state(at: snapshot.offset).skippedSnapshots.count == 1)
        }
    }

    @Test func aFormatThreeSnapshotStillLoadsAndLists() async throws {
        try await Self.withSnapshot(format: 3) { store, snapshot, expected in
            let stored = try #require(try Self.stored(at: snapshot.offset, in: store))
            #expect(stored[4] == 3)
            let listed = try #require(try store.snapshots().first)
            #expect(listed == snapshot && listed.damage == nil && listed.createdAt > 0, "\(listed)")
            let state = try store.state(at: snapshot.offset)
            #expect(state.snapshotOffset == snapshot.offset && state.skippedSnapshots.isEmpty)
            #expect(try dump(state.view) == expected)
            // Its body length, which no CRC-32C covers in format 3, is still checked against the tables' total.
            try Self.flip(29, 0x10, ofSnapshotAt: snapshot.offset, in: store)
            let damaged = try #require(try store.snapshots().first)
            #expect(damaged.damage?.contains("the header gives a body of") == true, "\(damaged)")
            #expect(try store.state(at: snapshot.offset).snapshotOffset == nil)
        }
    }
}
