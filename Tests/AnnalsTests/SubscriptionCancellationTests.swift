import Foundation
import Synchronization
import Testing

@testable import Annals

/// A subscription ends at the first `next()` after its task is cancelled, even with events left in its buffer (a
/// refill reads up to 2,047: a cancelled consumer went on getting them), and a closed store ends it with `closed`,
/// buffered events or not.
@Suite struct SubscriptionCancellationTests {
    @Test func aCancelledConsumerGetsNoBufferedEvent() async throws {
        try await withStore(StoreOptions(projections: [])) { store, _ in
            _ = try await store.append(contentsOf: (0..<3000).map { sampleEvent($0) })
            let consumer = Task {
                var delivered = 0
                var afterCancel = 0
                for try await _ in try store.subscribe("backlog") {
                    if Task.isCancelled { afterCancel += 1 }
                    delivered += 1
                    if delivered == 10 { withUnsafeCurrentTask { $0?.cancel() } }
                }
                return (delivered, afterCancel)
            }
            let (delivered, afterCancel) = try await consumer.value
            #expect(delivered == 10)
            #expect(afterCancel == 0)
            // Nothing was acknowledged: the cursor stays at its start, and the next subscription starts over.
            #expect(try store.cursor(named: "backlog")?.offset == 0)
            var again = try store.subscribe("backlog").makeAsyncIterator()
            #expect(try await again.next()?.offset == 1)
        }
    }

    @Test func closingTheStoreEndsAWaitingSubscriptionWithClosed() async throws {
        try await withTemporaryDirectory { directory in
            let store = try EventStore(path: directory + "/store", options: StoreOptions(projections: []))
            _ = try await store.append(sampleEvent(0))
            let started = Mutex(false)
            let consumer = Task { () -> AnnalsError? in
                do {
                    for try await _ in try store.subscribe("waiting") { started.withLock { $0 = true } }
                    return nil
                } catch {
                    return error as? AnnalsError
                }
            }
            while !started.withLock({ $0 }) { try await Task.sleep(for: .milliseconds(10)) }
            try await Task.sleep(for: .milliseconds(100))
            store.close()
            #expect(await consumer.value == .closed)
        }
    }

    @Test func closingTheStoreEndsASubscriptionWithBufferedEventsWithClosed() async throws {
        try await withTemporaryDirectory { directory in
            let store = try EventStore(path: directory + "/store", options: StoreOptions(projections: []))
            _ = try await store.append(contentsOf: (0..<3000).map { sampleEvent($0) })
            let consumer = Task { () -> (delivered: Int, error: AnnalsError?) in
                var delivered = 0
                do throws(AnnalsError) {
                    for try await _ in try store.subscribe("backlog") {
                        delivered += 1
                        if delivered == 10 { store.close() }
                    }
                    return (delivered, nil)
                } catch {
                    return (delivered, error)
                }
            }
            // It went on delivering the rest of its buffer (1,014 events) after the close, none of which could be
            // acknowledged, before it threw.
            let (delivered, error) = await consumer.value
            #expect(delivered == 10)
            #expect(error == .closed)
        }
    }
}
