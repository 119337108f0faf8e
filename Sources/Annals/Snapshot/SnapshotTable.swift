import CZstd

/// One table of a snapshot: its compressed frame, decompressed and indexed on first use, so that time travel pays
/// only for the tables its replay reads (a one-thing query never touches the knowledge view's search tables).
///
/// The frame's bytes were covered by the snapshot's CRC-32C when it was loaded; a frame that still fails to
/// decompress is reported as ``AnnalsError/corruptSnapshot(offset:reason:)`` by the query that needed it.
final class SnapshotTable: @unchecked Sendable {
    let name: String
    let entries: Int
    private let offset: UInt64
    private let frame: [UInt8]
    private let length: Int
    private var loaded: (bytes: UnsafeMutableRawBufferPointer, spans: [(Int, Int, Int, Int)])?
    /// Open addressing over `loaded.spans` (index + 1, 0 for an empty slot), built once the table has had enough
    /// point lookups to pay for it.
    private var slots: [Int32] = []
    /// Point lookups answered by binary search so far.
    private var searches = 0

    init(name: String, entries: Int, frame: [UInt8], uncompressedLength: Int, snapshotOffset: UInt64) {
        self.name = name
        self.entries = entries
        self.frame = frame
        self.length = uncompressedLength
        self.offset = snapshotOffset
    }

    deinit { loaded?.bytes.deallocate() }

    /// The decompressed entries and their spans (key start, key length, value start, value length), sorted by key.
    func contents() throws(AnnalsError) -> (bytes: UnsafeRawBufferPointer, spans: [(Int, Int, Int, Int)]) {
        if let loaded { return (UnsafeRawBufferPointer(loaded.bytes), loaded.spans) }
        let output = UnsafeMutableRawBufferPointer.allocate(byteCount: max(length, 1), alignment: 8)
        let size = frame.withUnsafeBytes { ZSTD_decompress(output.baseAddress, length, $0.baseAddress, $0.count) }
        guard ZSTD_isError(size) == 0, size == length else {
            output.deallocate()
            throw .corruptSnapshot(offset: offset, reason: "table \(name) does not decompress to \(length) bytes")
        }
        var spans: [(Int, Int, Int, Int)] = []
        spans.reserveCapacity(entries)
        var reader = ByteReader(UnsafeRawBufferPointer(rebasing: output[0..<length]))
        do {
            for _ in 0..<entries {
                let keyLength = Int(try reader.varint())
                let keyStart = reader.position
                _ = try reader.bytes(keyLength)
                let valueLength = Int(try reader.varint())
                let valueStart = reader.position
                _ = try reader.bytes(valueLength)
                spans.append((keyStart, keyLength, valueStart, valueLength))
            }
        } catch {
            output.deallocate()
            throw .corruptSnapshot(offset: offset, reason: "table \(name) is truncated")
        }
        loaded = (output, spans)
        return (UnsafeRawBufferPointer(output), spans)
    }
}

extension SnapshotTable {
    /// The position in the spans of the entry whose key is `key`, or `nil`. The first lookups binary-search the
    /// sorted spans; once they number an eighth of the entries, a hash table is built and answers the rest (a long
    /// replay looks up tens of thousands of keys, a short one too few to pay for hashing every key).
    func position(of key: UnsafeRawBufferPointer) throws(AnnalsError) -> Int? {
        let (bytes, spans) = try contents()
        guard !spans.isEmpty else { return nil }
        if slots.isEmpty {
            searches += 1
            if searches < spans.count / 8 {
                let index = MemoryTables.Base.lowerBound(key, spans, bytes)
                guard index < spans.count, compareBytes(MemoryTables.Base.key(spans[index], bytes), key) == 0 else {
                    return nil
                }
                return index
            }
            slots = Self.hashSlots(spans, bytes)
        }
        let mask = slots.count - 1
        var slot = Self.hash(key) & mask
        while true {
            let stored = Int(slots[slot])
            if stored == 0 { return nil }
            let span = spans[stored - 1]
            if span.1 == key.count, compareBytes(MemoryTables.Base.key(span, bytes), key) == 0 {
                return stored - 1
            }
            slot = (slot + 1) & mask
        }
    }

    private static func hashSlots(_ spans: [(Int, Int, Int, Int)], _ bytes: UnsafeRawBufferPointer) -> [Int32] {
        var capacity = 16
        while capacity < spans.count * 2 { capacity *= 2 }
        var slots = [Int32](repeating: 0, count: capacity)
        let mask = capacity - 1
        for (index, span) in spans.enumerated() {
            var slot = hash(UnsafeRawBufferPointer(rebasing: bytes[span.0..<(span.0 + span.1)])) & mask
            while slots[slot] != 0 { slot = (slot + 1) & mask }
            slots[slot] = Int32(index + 1)
        }
        return slots
    }

    /// A 64-bit multiplicative hash taking eight bytes at a time, folded to an `Int`.
    private static func hash(_ key: UnsafeRawBufferPointer) -> Int {
        var hash = UInt64(truncatingIfNeeded: key.count) &* 0x9e37_79b9_7f4a_7c15
        var i = 0
        while i + 8 <= key.count {
            hash = (hash ^ key.loadUnaligned(fromByteOffset: i, as: UInt64.self)) &* 0xff51_afd7_ed55_8ccd
            hash ^= hash >> 32
            i += 8
        }
        var tail: UInt64 = 0
        while i < key.count {
            tail = tail << 8 | UInt64(key[i])
            i += 1
        }
        hash = (hash ^ tail) &* 0xc4ce_b9fe_1a85_ec53
        return Int(truncatingIfNeeded: hash ^ (hash >> 29))
    }
}

/// Why a snapshot does not decode.
struct SnapshotFormatError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
