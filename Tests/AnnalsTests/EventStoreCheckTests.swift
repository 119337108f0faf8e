import Annals
import Foundation
import Testing

/// `EventStore.check(_:)` refuses exactly what an append to the store would refuse short of the log's decisions
/// (conflicts, duplicates): the envelope rules and the encoded size against the store's limit.
@Suite("Checking an event against a store before appending it")
struct EventStoreCheckTests {
    static func event(_ length: Int, target: String?, expectedVersion: UInt64? = nil) -> NewEvent {
        NewEvent(
            type: "note.added", actorId: "ana", targetId: target, groupId: "acme",
            metadata: ["text": .string(String(repeating: "a", count: length))], expectedVersion: expectedVersion)
    }

    @Test("around the size limit the check and the append agree, with and without a target stream")
    func agreesWithTheAppendAtTheSizeLimit() async throws {
        try await withStore(StoreOptions(maximumEventSize: 512, projections: [])) { store, _ in
            var refused = 0
            for target in [nil, "stream-a"] {
                for length in 400...520 {
                    let event = Self.event(length, target: target)
                    var refusal: AnnalsError?
                    do throws(AnnalsError) { try store.check(event) } catch { refusal = error }
                    var appended = true
                    do { _ = try await store.append(event) } catch { appended = false }
                    #expect((refusal == nil) == appended, "length \(length): \(String(describing: refusal))")
                    if case .eventTooLarge(_, let size, let limit)? = refusal {
                        #expect(limit == 512 && size > 512)
                        refused += 1
                    }
                }
            }
            #expect(refused > 0, "some lengths are over the limit")
            // A stream version that needs more bytes counts: the expected version decides it when given.
            let fits = try #require((400...520).last { (try? store.check(Self.event($0, target: "new"))) != nil })
            #expect(throws: AnnalsError.self) {
                try store.check(Self.event(fits, target: "new", expectedVersion: 1 << 60))
            }
            #expect(throws: AnnalsError.self) { try store.check(NewEvent(type: "bad type")) }
        }
    }
}
