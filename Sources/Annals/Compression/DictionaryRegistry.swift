import LMDB

/// Loads and caches the store's zstd dictionaries by id. Dictionaries are never deleted, so a cached one stays
/// valid for the store's life; thread-safe.
final class DictionaryRegistry: @unchecked Sendable {
    private let schema: StoreSchema
    private let level: Int32
    private let lock = ConditionLock()
    private var cache: [UInt32: ZstdDictionary] = [:]

    init(schema: StoreSchema, level: Int32) {
        self.schema = schema
        self.level = level
    }

    /// The dictionary `id`, loaded through `txn` on first use.
    /// - Throws: ``RecordFormatError/unknownDictionary(_:)`` when the store has no such dictionary.
    func dictionary(_ id: UInt32, _ txn: borrowing Transaction) throws -> ZstdDictionary {
        if let cached = lock.withLock({ cache[id] }) { return cached }
        guard let bytes = try txn.get(schema.dictionaries, key: id.bigEndianBytes) else {
            throw RecordFormatError.unknownDictionary(id)
        }
        let dictionary = try ZstdDictionary(id: id, bytes: bytes, level: level)
        lock.withLock { cache[id] = dictionary }
        return dictionary
    }

    /// A dictionary already loaded by ``dictionary(_:_:)``.
    /// - Throws: ``RecordFormatError/unknownDictionary(_:)`` when it is not cached.
    func cached(_ id: UInt32) throws -> ZstdDictionary {
        guard let dictionary = lock.withLock({ cache[id] }) else { throw RecordFormatError.unknownDictionary(id) }
        return dictionary
    }

    /// The dictionary new records are compressed with, if one has been trained.
    func current(_ txn: borrowing Transaction) throws -> ZstdDictionary? {
        guard let raw = try txn.get(schema.meta, key: MetaKey.currentDictionary), raw.count == 4 else { return nil }
        let id = raw.withUnsafeBytes { UInt32(bigEndianBytes: $0) }
        return try dictionary(id, txn)
    }

    /// Every stored dictionary: id and size in bytes.
    func list(_ txn: borrowing Transaction) throws -> [(id: UInt32, size: Int)] {
        try txn.withCursor(schema.dictionaries) { cursor in
            var out: [(id: UInt32, size: Int)] = []
            var entry = try cursor.get(.first)
            while let current = entry {
                if current.key.count == 4 { out.append((UInt32(bigEndianBytes: current.key), current.value.count)) }
                entry = try cursor.get(.next)
            }
            return out
        }
    }
}

extension UInt32 {
    /// The 4 big-endian bytes of the value.
    var bigEndianBytes: [UInt8] {
        withUnsafeBytes(of: bigEndian) { Array($0) }
    }
}
