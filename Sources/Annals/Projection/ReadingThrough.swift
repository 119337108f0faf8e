/// Tables that read through other tables (``readBase``): their reads are the base's, and only what they add
/// differs (an undo journal for writes, or nothing but hiding the base's writes).
protocol ReadingThrough: ProjectionReader {
    associatedtype Base: ProjectionReader
    /// The tables reads go to.
    var readBase: Base { get }
}

extension ReadingThrough {
    func withValue<R>(_ table: ProjectionTable, key: [UInt8], _ body: (UnsafeRawBufferPointer?) throws -> R) throws
        -> R
    {
        try readBase.withValue(table, key: key, body)
    }

    func scan(
        _ table: ProjectionTable, prefix: [UInt8],
        _ body: (_ key: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer) throws -> Bool
    ) throws {
        try readBase.scan(table, prefix: prefix, body)
    }
}
