import Foundation
import Testing

@testable import Annals

/// `snapshots()` checks each snapshot in a read transaction of its own, rather than every one in a single long
/// transaction that would pin the pages writers free meanwhile.
@Suite struct SnapshotListingTests {
    @Test func eachSnapshotIsCheckedInATransactionOfItsOwn() async throws {
        try await withStore(StoreOptions(snapshotInterval: 0)) { store, _ in
            var taken: [SnapshotInfo] = []
            for round in 0..<3 {
                _ = try await store.append(contentsOf: (0..<5).map { Vocabulary.thing("t\(round)-\($0)") })
                taken.append(try store.createSnapshot())
            }
            let database = try #require(store.projections.snapshots)
            var checked: [UInt64] = []
            // Once the listing has begun, the second snapshot is damaged and the third deleted: a listing in one
            // transaction would still see both intact.
            let listed = try store.storedSnapshots { offset in
                checked.append(offset)
                guard offset == taken[0].offset else { return }
                try store.write { txn in
                    let key = taken[1].offset.bigEndianBytes
                    var stored = try #require(try txn.get(database, key: key))
                    stored[stored.count - 2] ^= 0x20
                    try txn.put(database, key: key, value: stored)
                    _ = try txn.delete(database, key: taken[2].offset.bigEndianBytes)
                }
            }
            #expect(checked == taken.map(\.offset), "every offset listed at the start is checked")
            #expect(listed.map(\.offset) == [taken[0].offset, taken[1].offset], "the deleted one is left out")
            #expect(listed[0].info == taken[0])
            #expect(listed[1].info.damage?.contains("CRC-32C of the contents") == true, "\(listed[1].info)")
            #expect(try store.snapshots() == listed.map(\.info))
        }
    }

    /// The directory a listing checks is the one loading reads, without a table or a frame copied.
    @Test func theDirectoryIsReadWithoutItsFrames() throws {
        let (tables, entries) = try SnapshotFormatTests.sampleTables()
        let stored = try SnapshotFormat.encode(
            [(SnapshotFormatTests.TwoTables(), tables)], offset: 7, createdAt: 1, level: 3)
        let directory = try stored.withUnsafeBytes { try SnapshotFormat.directory($0, key: 7) }
        let big = try #require(directory.entries.first?.tables.first)
        #expect(directory.entries.map(\.name) == ["two"] && big.entries == entries.count && big.blocks.count > 1)
        #expect(directory.framesStart + big.frameBytes == stored.count, "the frames follow the directory")
        // Cut short, it is damage.
        let truncated = Array(stored.dropLast(1))
        #expect(throws: AnnalsError.self) {
            try truncated.withUnsafeBytes { _ = try SnapshotFormat.directory($0, key: 7) }
        }
    }
}
