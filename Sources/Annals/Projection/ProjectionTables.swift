/// Read access to a projection's tables: live LMDB tables in a transaction, or an in-memory copy (a snapshot
/// with events replayed on top) for time travel. Keys and values are bytes; keys sort bytewise.
public protocol ProjectionReader {
    /// Calls `body` with the value under `key`, or `nil`. The buffer is valid only inside `body`.
    func withValue<R>(_ table: ProjectionTable, key: [UInt8], _ body: (UnsafeRawBufferPointer?) throws -> R) throws
        -> R
    /// Calls `body` with each entry whose key starts with `prefix`, in key order, until it returns `false`.
    /// The buffers are valid only inside `body`.
    func scan(
        _ table: ProjectionTable, prefix: [UInt8],
        _ body: (_ key: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer) throws -> Bool
    ) throws
}

/// Write access to a projection's tables, given to ``Projection/apply(_:to:context:)``.
public protocol ProjectionWriter: ProjectionReader {
    /// Stores `value` under `key`, replacing any value.
    func put(_ table: ProjectionTable, key: [UInt8], value: [UInt8]) throws
    /// Removes `key`; returns whether it was present.
    @discardableResult
    func delete(_ table: ProjectionTable, key: [UInt8]) throws -> Bool
    /// Removes `key` if it is present, without finding out whether it was: cheaper than ``delete(_:key:)`` where
    /// that takes a lookup of its own (the in-memory tables of time travel, over a snapshot). Defaults to
    /// ``delete(_:key:)``.
    func remove(_ table: ProjectionTable, key: [UInt8]) throws
}

extension ProjectionWriter {
    /// Removes `key` through ``delete(_:key:)``.
    public func remove(_ table: ProjectionTable, key: [UInt8]) throws { try delete(table, key: key) }
}

extension ProjectionReader {
    /// The value under `key`, copied, or `nil`.
    public func get(_ table: ProjectionTable, key: [UInt8]) throws -> [UInt8]? {
        try withValue(table, key: key) { $0.map { Array($0) } }
    }

    /// Whether `key` is present.
    public func contains(_ table: ProjectionTable, key: [UInt8]) throws -> Bool {
        try withValue(table, key: key) { $0 != nil }
    }

    /// The keys that start with `prefix`, copied, in order (at most `limit`).
    public func keys(_ table: ProjectionTable, prefix: [UInt8], limit: Int = .max) throws -> [[UInt8]] {
        var keys: [[UInt8]] = []
        try scan(table, prefix: prefix) { key, _ in
            keys.append(Array(key))
            return keys.count < limit
        }
        return keys
    }
}
