import Foundation
import Testing

@testable import Annals

/// A subscription's refill holds about ``ReadPlan/maximumChunkBytes`` of decoded events, however well they compress:
/// it read chunks until it had 1,024 matching events, so a backlog of large, repetitive events (a hundred bytes each
/// on disk) was decoded a thousand at a time, a gigabyte for events of 1 MB.
@Suite("Subscriptions: what one refill holds")
struct SubscriptionChunkMemoryTests {
    /// The most events of about 1 MB (``ReadChunkMemoryTests/compressible(_:)``) a refill holds: those that reach the
    /// bound, the last one included.
    static let mostPerRefill = ReadPlan.maximumChunkBytes / 1_000_000 + 1

    /// The filters of a scan and of a posting list, and how many events each delivers of the 40 large events and 10
    /// small ones of the test.
    static let filters: [(EventFilter, Int)] = [(EventFilter(), 50), (EventFilter(types: ["blob"]), 40)]

    @Test(arguments: filters.indices)
    func aRefillOfCompressibleEventsEndsAtTheBound(filter index: Int) async throws {
        let (filter, count) = Self.filters[index]
        try await withStore { store, _ in
            _ = try await store.append(contentsOf: (0..<40).map(ReadChunkMemoryTests.compressible))
            _ = try await store.append(contentsOf: (0..<10).map { sampleEvent($0) })
            var iterator = try store.subscribe("reader", filter: filter).makeAsyncIterator()
            var offsets: [UInt64] = []
            // How far the log was read past each delivered event (every event read is delivered): a refill's
            // events, less the ones delivered since.
            var mostAhead: UInt64 = 0
            var refills = 0
            var position: UInt64 = 0
            while offsets.count < count, let event = try await iterator.next() {
                offsets.append(event.offset)
                let read = try #require(iterator.lastPosition)
                if read != position { refills += 1 }
                position = read
                mostAhead = max(mostAhead, read - event.offset)
            }
            // Plain values only in the expectations: a failed one prints what it compares, megabytes of events here.
            #expect(offsets == Array(1...UInt64(count)))
            #expect(mostAhead < Self.mostPerRefill, "a refill held \(mostAhead + 1) events")
            #expect(refills >= 3, "\(refills) refills")
            // The cursor moves as before: acknowledged through the 20th event, a new subscription resumes after it.
            try store.acknowledge("reader", through: offsets[19])
            var resumed = try store.subscribe("reader", filter: filter).makeAsyncIterator()
            let next = try await resumed.next()?.offset
            #expect(next == offsets[20])
        }
    }
}
