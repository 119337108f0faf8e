import Foundation
import Testing

@testable import Annals

/// Rewrites every record of `store` with a whole-hash header and takes the format 3 additions out of `meta`:
/// the store a format 2 build would have written.
func downgradeToFormat2(_ store: EventStore) throws {
    let decoder = store.makeDecoder()
    try store.write { txn in
        var hash = ChainHash.genesis
        let head = try txn.lastOffset(store.schema)
        for offset in 1...head {
            let record = try #require(try store.record(at: offset, txn))
            let header = try RecordHeader.read(record)
            hash = try decoder.withPayload(record, txn) { _, payload in hash.next(offset: offset, payload: payload)
            }
            var whole = header
            whole.link = .hash(hash)
            var value = [UInt8](repeating: 0, count: whole.size)
            value.withUnsafeMutableBytes { whole.write(to: $0) }
            value += record[header.size...]
            try txn.put(store.schema.events, key: offset.bigEndianBytes, value: value)
        }
        try txn.delete(store.schema.meta, key: MetaKey.chainHead)
        try txn.setMetaU64(store.schema, MetaKey.formatVersion, 2)
    }
}

/// Creates a store at `path` holding `events` ``sampleEvent(_:target:type:)``s, as a format 2 build would have written
/// it (``downgradeToFormat2(_:)``), and closes it.
func makeFormat2Store(at path: String, events: Int) async throws {
    let store = try EventStore(path: path)
    defer { store.close() }
    _ = try await store.append(contentsOf: (0..<events).map { sampleEvent($0) })
    try downgradeToFormat2(store)
}
