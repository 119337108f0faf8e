import Foundation
import Testing

@testable import Annals

/// A unique temporary directory, removed when the test's body returns.
func withTemporaryDirectory<R>(_ body: (String) async throws -> R) async throws -> R {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("annals-test-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: path) }
    return try await body(path)
}

/// A store in a fresh temporary directory, closed and removed afterwards.
func withStore<R>(
    _ options: StoreOptions = StoreOptions(), _ body: (EventStore, String) async throws -> R
) async throws -> R {
    try await withTemporaryDirectory { directory in
        let path = directory + "/store"
        let store = try EventStore(path: path, options: options)
        defer { store.close() }
        return try await body(store, path)
    }
}

/// 1,000 ``sampleEvent(_:target:type:)``s in batches of 100; two in five carry a client id (the first two of every
/// five).
func fillWithClientIDs(_ store: EventStore) async throws {
    for batch in 0..<10 {
        let events = (0..<100).map { i -> NewEvent in
            var event = sampleEvent(batch * 100 + i)
            if i % 5 < 2 { event.id = UUID() }
            return event
        }
        _ = try await store.append(contentsOf: events)
    }
}

/// A realistic event for tests.
func sampleEvent(_ i: Int, target: String? = nil, type: String? = nil) -> NewEvent {
    let types = ["item.created", "item.updated", "link.created", "plugin_action_executed"]
    return NewEvent(
        type: type ?? types[i % types.count], actorId: "user-\(i % 7)", targetId: target ?? "thing-\(i % 5)",
        groupId: "org-\(i % 3)",
        metadata: ["name": .string("Item \(i)"), "amount": .integer(i * 3), "tags": ["a", "b"]])
}

/// A thread-safe count of calls.
final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    var value: Int { lock.withLock { count } }
    func increment() { lock.withLock { count += 1 } }
    func reset() { lock.withLock { count = 0 } }
}
