import Foundation
import Testing

@testable import Annals

/// A subscription is an `AsyncSequence<RecordedEvent, AnnalsError>`: the error of `for try await` over it, in a
/// `do throws(AnnalsError)` block, is an ``AnnalsError`` to switch over, with no cast.
@Suite struct SubscriptionFailureTypeTests {
    /// Delivers the events of `sequence` to `body` until it throws; generic over any sequence whose failure is an
    /// ``AnnalsError``, which a `Subscription` must be to be passed here.
    private func consume(
        _ sequence: some AsyncSequence<RecordedEvent, AnnalsError>, _ body: (RecordedEvent) -> Void
    ) async -> AnnalsError? {
        do throws(AnnalsError) {
            for try await event in sequence { body(event) }
            return nil
        } catch {
            return error
        }
    }

    @Test func theLoopOverASubscriptionThrowsAnnalsError() async throws {
        try await withTemporaryDirectory { directory in
            let store = try EventStore(path: directory + "/store", options: StoreOptions(projections: []))
            _ = try await store.append(sampleEvent(0))
            var delivered: [UInt64] = []
            let failure = await consume(try store.subscribe("typed")) { event in
                delivered.append(event.offset)
                store.close()
            }
            #expect(delivered == [1])
            #expect(failure == .closed)
        }
    }

    /// The loop of ARCHITECTURE.md ("The Subscription sequence"), which catches `.closed` by its case.
    @Test func theDocumentedLoopCatchesClosedByItsCase() async throws {
        try await withTemporaryDirectory { directory in
            let store = try EventStore(path: directory + "/store", options: StoreOptions(projections: []))
            _ = try await store.append(sampleEvent(0))
            var stoppedQuietly = false
            do throws(AnnalsError) {
                for try await event in try store.subscribe("mailer") {
                    try store.acknowledge("mailer", through: event.offset)
                    store.close()
                }
            } catch .closed {
                stoppedQuietly = true
            } catch {
                Issue.record("the loop stopped with \(error)")
            }
            #expect(stoppedQuietly)
        }
    }

    @Test func theSequenceAndItsIteratorFailWithAnnalsError() {
        #expect(Subscription.Failure.self == AnnalsError.self)
        #expect(Subscription.AsyncIterator.Failure.self == AnnalsError.self)
        #expect(Subscription.Iterator.Failure.self == AnnalsError.self)
    }

    @Test func nextWithoutIsolationStillWorks() async throws {
        try await withStore(StoreOptions(projections: [])) { store, _ in
            _ = try await store.append(contentsOf: [sampleEvent(0), sampleEvent(1)])
            var iterator = try store.subscribe(nil, start: .beginning).makeAsyncIterator()
            let first: RecordedEvent? = try await iterator.next()
            let second: RecordedEvent? = try await iterator.next(isolation: nil)
            #expect([first?.offset, second?.offset] == [1, 2])
        }
    }
}
