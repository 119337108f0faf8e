import Foundation
import Testing

@testable import Annals

/// A replay chunk (rebuilds, catch-ups, time travel, the checks of conditional appends and of an index rebuild's
/// tail) holds about ``ReadPlan/maximumChunkBytes`` of decoded events, however well they compress: it was bounded by
/// a count only (8,192 events for a rebuild), so large, repetitive events that zstd stores in a hundred bytes each
/// were decoded thousands at a time.
@Suite("Replays: what one chunk holds")
struct ReplayChunkMemoryTests {
    /// The built-in projections and one that counts every event by type, without automatic snapshots.
    static let options = StoreOptions(
        projections: OntologyProjections.standard + [TypeCounter(version: 1)], snapshotInterval: 0)

    /// The most events of about 1 MB (``ReadChunkMemoryTests/compressible(_:)``) a chunk holds: those that reach the
    /// bound, the last one included.
    static let mostPerChunk = ReadPlan.maximumChunkBytes / 1_000_000 + 1

    /// Appends 40 events of about 1 MB that compress to a hundred bytes each, then 10 small ones.
    static func appendLargeEvents(_ store: EventStore) async throws {
        _ = try await store.append(contentsOf: (0..<40).map(ReadChunkMemoryTests.compressible))
        _ = try await store.append(contentsOf: (0..<10).map { sampleEvent($0) })
    }

    /// The counts of ``TypeCounter`` after the events of ``appendLargeEvents(_:)`` through `offset`.
    static func expectedCounts(through offset: Int) -> [String: UInt8] {
        var counts: [String: UInt8] = [:]
        if offset > 0 { counts["blob"] = UInt8(min(offset, 40)) }
        for index in 0..<max(0, offset - 40) { counts[sampleEvent(index).type, default: 0] += 1 }
        return counts
    }

    @Test func aChunkOfTheLogEndsAtTheBound() async throws {
        try await withStore(Self.options) { store, _ in
            try await Self.appendLargeEvents(store)
            let decoder = BatchDecoder(store: store)
            var sizes: [Int] = []
            var offsets: [UInt64] = []
            var position: UInt64 = 0
            try store.environment.read { txn in
                while true {
                    let (events, last) = try store.projectedEvents(
                        after: position, limit: ProjectionRebuilder.defaultChunkSize, decoder: decoder, txn)
                    guard let last else { break }
                    sizes.append(events.count)
                    offsets += events.map(\.offset)
                    position = last
                }
            }
            #expect(offsets == Array(1...50))
            #expect(sizes.count >= 3 && sizes.allSatisfy { $0 <= Self.mostPerChunk }, "chunks of \(sizes)")
            // The decoded events of an index rebuild's tail are read the same way.
            let first = try store.environment.read { txn in
                try store.recordedEvents(after: 0, through: 50, limit: 4_096, decoder: decoder, txn).map(\.offset)
            }
            #expect(first == Array(1...UInt64(Self.mostPerChunk)))
        }
    }

    @Test func aParallelReplayAppliesBoundedChunks() async throws {
        try await withStore(Self.options) { store, _ in
            try await Self.appendLargeEvents(store)
            let entry = try #require(store.projections.entry("type-counts"))
            let tables = [MemoryTables(tableCount: 1)]
            var replay = ParallelReplay(store: store, entries: [entry], tables: tables)
            // One apply job per chunk, for the one projection.
            let chunks = Counter()
            replay.aroundApply = { _, body in
                chunks.increment()
                try body()
            }
            var everything = ScopeFilter.everything
            let replayed = try replay.run(after: 0, through: 50, filter: &everything, including: { _ in true })
            #expect(replayed == 50)
            #expect(chunks.value >= 3, "\(chunks.value) chunks")
            #expect(try TypeCounter.counts(tables[0]) == Self.expectedCounts(through: 50))
        }
    }

    @Test func rebuildsAndTimeTravelOverCompressibleEventsEqualTheLiveState() async throws {
        try await withStore(Self.options) { store, _ in
            try await Self.appendLargeEvents(store)
            let live = try store.read(projection: "type-counts") { try TypeCounter.counts($0) }
            #expect(live == Self.expectedCounts(through: 50))
            // In memory, in stretches of 40 events flushed with their progress, then in the writer's transaction.
            var replayed: [UInt64] = []
            let rebuilder = ProjectionRebuilder(store: store, kind: .rebuild, chunkSize: 32, flushInterval: 40...40)
            let stretched = try rebuilder.run(["type-counts"], verify: true) { replayed.append($0.replayed) }
            #expect(replayed == [0, 40, 50])
            // All in the writer's transaction, in chunks of the default size.
            let whole = try store.rebuild(["type-counts"], verify: true)
            for result in stretched + whole {
                #expect(result.digest != nil && result.digest == result.previousDigest)
                #expect(result.differences.isEmpty && result.checkpoint == 50)
            }
            #expect(try store.read(projection: "type-counts") { try TypeCounter.counts($0) } == live)
            for offset in [17, 35, 50] {
                let state = try store.state(at: UInt64(offset), of: "type-counts")
                #expect(try TypeCounter.counts(state.tables) == Self.expectedCounts(through: offset), "as of \(offset)")
            }
        }
    }
}
