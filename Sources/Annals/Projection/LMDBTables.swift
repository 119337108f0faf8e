import LMDB

/// A projection's tables in one slot, inside an LMDB transaction.
struct LMDBTables: ProjectionWriter {
    let transaction: TransactionHandle
    let databases: [Database]
    /// The projection's name, for errors.
    let projection: String

    /// The key sizes LMDB stores (with its default 511-byte key limit).
    static let storableKeySizes = 1...511

    func withValue<R>(_ table: ProjectionTable, key: [UInt8], _ body: (UnsafeRawBufferPointer?) throws -> R) throws
        -> R
    {
        let database = databases[try table.position(among: databases.count, of: projection)]
        // A key LMDB cannot store (empty, or past 511 bytes) has no value: looking it up is an LMDB error.
        guard Self.storableKeySizes.contains(key.count) else { return try body(nil) }
        return try key.withUnsafeBytes { k in try transaction.withValue(database, key: k, body) }
    }

    func scan(
        _ table: ProjectionTable, prefix: [UInt8],
        _ body: (_ key: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer) throws -> Bool
    ) throws {
        try transaction.withCursor(databases[try table.position(among: databases.count, of: projection)]) { cursor in
            var entry = prefix.isEmpty ? try cursor.get(.first) : try cursor.seek(.setRange, to: prefix)
            while let current = entry, current.key.starts(with: prefix) {
                guard try body(current.key, current.value) else { return }
                entry = try cursor.get(.next)
            }
        }
    }

    func put(_ table: ProjectionTable, key: [UInt8], value: [UInt8]) throws {
        let database = databases[try table.position(among: databases.count, of: projection)]
        try key.withUnsafeBytes { k in
            try Self.checkKey(k, in: database)
            try value.withUnsafeBytes { v in try transaction.put(database, key: k, value: v) }
        }
    }

    /// Refuses a key LMDB cannot store (empty, or longer than 511 bytes) with an error naming the table.
    static func checkKey(_ key: UnsafeRawBufferPointer, in database: Database) throws {
        try checkKeySize(key.count, in: database.name)
    }

    /// Refuses a key of `count` bytes, which LMDB cannot store (empty, or longer than 511 bytes), with
    /// ``AnnalsError/invalidArgument(_:)`` naming `table`; ``MemoryTables`` refuses such keys as these tables do.
    static func checkKeySize(_ count: Int, in table: String) throws(AnnalsError) {
        guard storableKeySizes.contains(count) else {
            throw .invalidArgument(
                "projection key of \(count) bytes in \(table) (must be \(storableKeySizes.lowerBound)–"
                    + "\(storableKeySizes.upperBound) bytes)")
        }
    }

    @discardableResult
    func delete(_ table: ProjectionTable, key: [UInt8]) throws -> Bool {
        let database = databases[try table.position(among: databases.count, of: projection)]
        guard Self.storableKeySizes.contains(key.count) else { return false }
        return try key.withUnsafeBytes { k in try transaction.delete(database, key: k) }
    }
}
