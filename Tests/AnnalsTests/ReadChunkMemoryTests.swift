import Foundation
import Testing

@testable import Annals

/// A read chunk holds about ``ReadPlan/maximumChunkBytes`` of decoded events at most, however well they compress:
/// the bound counted stored bytes, so a chunk of large, repetitive events (a hundred bytes each on disk) decoded
/// every one of the up to 2,048 it took, and `annals tail` held 512 of them at once.
@Suite("Reads: what one chunk holds")
struct ReadChunkMemoryTests {
    /// An event of about 1 MB that zstd stores in about a hundred bytes.
    static func compressible(_ i: Int) -> NewEvent {
        NewEvent(type: "blob", metadata: ["i": .integer(i), "blob": .string(String(repeating: "a", count: 1_000_000))])
    }

    /// The query of each plan kind (``ReadPlan``) and whether a plan is of that kind.
    static let plans: [(String, EventQuery, @Sendable (ReadPlan) -> Bool)] = [
        ("a scan", EventQuery(), { if case .scan = $0 { true } else { false } }),
        ("a posting list", EventQuery(types: ["blob"]), { if case .postings = $0 { true } else { false } }),
        (
            "the lists of two types", EventQuery(types: ["blob", "item.created"]),
            { if case .offsets = $0 { true } else { false } }
        ),
        ("a time range", EventQuery(since: 0), { if case .offsets = $0 { true } else { false } }),
    ]

    @Test(arguments: plans.indices)
    func aChunkOfCompressibleEventsEndsAtTheBound(plan index: Int) async throws {
        let (name, query, isExpectedKind) = Self.plans[index]
        try await withStore { store, _ in
            _ = try await store.append(contentsOf: (0..<40).map(Self.compressible))
            // Small events of other types, so that the two types' lists are less than half the range.
            _ = try await store.append(contentsOf: (0..<100).map { sampleEvent($0) })
            var plan = try ReadPlan.make(for: query, store: store)
            #expect(isExpectedKind(plan), "\(name): planned \(plan)")
            let decoder = BatchDecoder(store: store)
            let chunk = try store.environment.read { txn in
                try plan.fetch(EventReader.chunkSize, txn, query: query, store: store, decoder: decoder)
            }
            // Plain values only in the expectations: a failed one prints what it compares, megabytes of events here.
            let held = chunk.events.reduce(0) { $0 + $1.metadataJSON.count }
            let (count, exhausted) = (chunk.events.count, chunk.exhausted)
            #expect(held <= ReadPlan.maximumChunkBytes + 1_000_100, "\(name): \(count) events decoded, \(held) bytes")
            #expect(!exhausted, "\(name): the rest is read by the next chunks")
            // Read whole, chunk by chunk, the query still returns every event.
            var reader = store.events(query).makeReader()
            var blobs: [UInt64] = []
            while let event = try reader.next() {
                if event.type == "blob" { blobs.append(event.offset) }
            }
            let everyBlob = blobs == Array(1...40)
            #expect(everyBlob, "\(name): read \(blobs)")
        }
    }
}
