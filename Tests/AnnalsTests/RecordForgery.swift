import LMDB
import Testing

@testable import Annals

/// Replaces the record at `offset` with a forgery: its payload with one metadata digit changed, stored raw with a
/// correct CRC-32C and its original chain link (tag or whole hash), as a forger who cannot recompute the chain would
/// leave it.
func forgePayload(_ store: EventStore, offset: UInt64) throws {
    let decoder = store.makeDecoder()
    try store.write { txn in
        let record = try #require(try store.record(at: offset, txn))
        let original = try RecordHeader.read(record)
        var payload = try decoder.withPayload(record, txn) { _, payload in Array(payload) }
        // The last digit is in the metadata (a number or a string), so the envelope stays well formed.
        let zero = UInt8(ascii: "0")
        let position = try #require(payload.lastIndex { (zero...zero + 9).contains($0) })
        payload[position] = zero + (payload[position] - zero + 1) % 10
        let forged = RecordHeader(
            codec: .raw, dictionaryID: 0, checksum: payload.withUnsafeBytes { CRC32C.checksum($0) },
            link: original.link)
        var value = [UInt8](repeating: 0, count: forged.size)
        value.withUnsafeMutableBytes { forged.write(to: $0) }
        try txn.put(store.schema.events, key: offset.bigEndianBytes, value: value + payload)
    }
}
