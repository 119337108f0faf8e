import Foundation
import Testing

@testable import Annals

/// `state(at:of:)`: a custom projection's tables as of an earlier offset, from the snapshots that hold them (every
/// snapshot holds every registered projection) and a replay of the events it handles.
@Suite struct CustomProjectionTimeTravelTests {
    /// The counts `TypeCounter(version: 1)` holds after the first `offset` events of `sampleEvent`.
    private static func expectedCounts(through offset: Int) -> [String: UInt8] {
        var counts: [String: UInt8] = [:]
        for index in 0..<offset { counts[sampleEvent(index).type, default: 0] += 1 }
        return counts
    }

    @Test func aCustomProjectionsTablesAtEveryOffsetMatchItsEvents() async throws {
        let options = StoreOptions(
            projections: OntologyProjections.standard + [TypeCounter(version: 1)], snapshotInterval: 0)
        try await withStore(options) { store, _ in
            for round in 0..<4 {
                _ = try await store.append(contentsOf: (round * 10..<(round + 1) * 10).map { sampleEvent($0) })
                _ = try store.createSnapshot()
            }
            _ = try await store.append(contentsOf: (40..<45).map { sampleEvent($0) })
            for offset in 0...45 {
                let state = try store.state(at: UInt64(offset), of: "type-counts")
                #expect(try TypeCounter.counts(state.tables) == Self.expectedCounts(through: offset), "as of \(offset)")
                #expect(state.offset == UInt64(offset) && state.skippedSnapshots.isEmpty)
                // From the newest snapshot at or before it: one every ten events.
                let snapshot = offset >= 10 ? UInt64(min(offset / 10 * 10, 40)) : nil
                #expect(state.snapshotOffset == snapshot, "as of \(offset)")
                #expect(state.replayedEvents == offset - Int(snapshot ?? 0))
            }
            // The tables can be read, not written.
            #expect(try store.state(at: 45, of: "type-counts").tables as? any ProjectionWriter == nil)
        }
    }

    @Test func aSnapshotOfAnotherVersionIsNotUsedAndADamagedOneIsSkipped() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory + "/store"
            let old = try await TypeCounter.snapshot(path, version: 1, after: 0..<8)
            // Version 2 counts each event twice: a snapshot of version 1's tables would give other counts.
            let store = try TypeCounter.open(path, version: 2)
            defer { store.close() }
            _ = try await store.append(contentsOf: (8..<12).map { sampleEvent($0) })
            let state = try store.state(at: 12, of: "type-counts")
            #expect(state.snapshotOffset == nil, "the snapshot at \(old.offset) holds version 1")
            #expect(try TypeCounter.counts(state.tables) == Self.expectedCounts(through: 12).mapValues { $0 * 2 })
            let newer = try store.createSnapshot()
            let database = try #require(store.projections.snapshots)
            try store.write { txn in
                var stored = try #require(try txn.get(database, key: newer.offset.bigEndianBytes))
                stored[stored.count - 3] ^= 0x11
                try txn.put(database, key: newer.offset.bigEndianBytes, value: stored)
            }
            // Damage in the contents of version 1's snapshot is not met: its directory says it is of no use, so
            // its contents are not read (nor their CRC-32C computed) on the way to an older one.
            try store.write { txn in
                var stored = try #require(try txn.get(database, key: old.offset.bigEndianBytes))
                stored[stored.count - 3] ^= 0x11
                try txn.put(database, key: old.offset.bigEndianBytes, value: stored)
            }
            let skipping = try store.state(at: 12, of: "type-counts")
            #expect(skipping.snapshotOffset == nil && skipping.skippedSnapshots.count == 1)
            #expect(try TypeCounter.counts(skipping.tables) == TypeCounter.counts(state.tables))
        }
    }

    @Test func badArgumentsAreRefused() async throws {
        try await withStore { store, _ in
            _ = try await store.append(sampleEvent(0))
            #expect(throws: AnnalsError.invalidArgument("offset 2 is past the log head 1")) {
                try store.state(at: 2, of: "things")
            }
            do {
                _ = try store.state(at: 1, of: "nope")
                Issue.record("answered for an unregistered projection")
            } catch {
                guard case .projectionUnavailable(let name, let reason) = error as? AnnalsError else { throw error }
                #expect(name == "nope" && reason.contains("registered: things, connections, knowledge"), "\(reason)")
            }
            // The built-in ones answer too, table by table.
            #expect(try store.state(at: 1, of: "things").tables.keys(ProjectionTable(0), prefix: []).isEmpty)
        }
    }

    /// A read-only open registering a projection the store never built says so, rather than that it is not
    /// registered.
    @Test func aRegisteredProjectionWithoutTablesSaysWhy() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory + "/store"
            let writer = try EventStore(path: path)
            _ = try await writer.append(sampleEvent(0))
            writer.close()
            var options = StoreOptions(projections: OntologyProjections.standard + [TypeCounter(version: 1)])
            options.readOnly = true
            let reader = try EventStore(path: path, options: options)
            defer { reader.close() }
            do throws(AnnalsError) {
                _ = try reader.state(at: 1, of: "type-counts")
                Issue.record("answered for a projection without tables")
            } catch {
                guard case .projectionUnavailable(let name, let reason) = error else { throw error }
                #expect(name == "type-counts" && reason.contains("has no tables for it yet"), "\(reason)")
            }
        }
    }
}
