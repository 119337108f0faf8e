import Testing

@testable import Annals

/// A lazy read (`EventStore.events(_:)`, its async iterator and its synchronous `EventReader`) throws `closed` at the
/// first `next()` after the store is closed, even with events of its current chunk still buffered (it went on
/// delivering up to 2,047 of them), as a subscription does; a read that had already reached its end keeps returning
/// `nil`.
@Suite struct EventSequenceCloseTests {
    @Test func aReaderWithBufferedEventsThrowsClosedAtTheNextEvent() async throws {
        try await withStore(StoreOptions(projections: [])) { store, _ in
            _ = try await store.append(contentsOf: (0..<3000).map { sampleEvent($0) })
            var reader = store.events().makeReader()
            for expected in UInt64(1)...10 { #expect(try reader.next()?.offset == expected) }
            store.close()
            #expect(throws: AnnalsError.closed) { try reader.next() }
            #expect(throws: AnnalsError.closed) { try reader.next() }
        }
    }

    @Test func anAsyncLoopWithBufferedEventsEndsWithClosed() async throws {
        try await withStore(StoreOptions(projections: [])) { store, _ in
            _ = try await store.append(contentsOf: (0..<3000).map { sampleEvent($0) })
            var delivered = 0
            var failure: AnnalsError?
            do throws(AnnalsError) {
                for try await _ in store.events(EventQuery(types: ["item.*"])) {
                    delivered += 1
                    if delivered == 10 { store.close() }
                }
            } catch {
                failure = error
            }
            #expect(delivered == 10)
            #expect(failure == .closed)
        }
    }

    @Test func aReadThatReachedItsEndStillEndsAfterTheClose() async throws {
        try await withStore(StoreOptions(projections: [])) { store, _ in
            _ = try await store.append(contentsOf: (0..<20).map { sampleEvent($0) })
            var limited = store.events(EventQuery(limit: 5)).makeReader()
            var whole = store.events().makeReader()
            for _ in 0..<5 { _ = try limited.next() }
            for _ in 0..<20 { _ = try whole.next() }
            var fresh = store.events().makeReader()
            store.close()
            #expect(try limited.next() == nil)
            #expect(try whole.next() == nil)
            #expect(throws: AnnalsError.closed) { try fresh.next() }
        }
    }
}
