/// The first 16 bytes of a ``ChainHash``: what a tagged record (record format 2) stores in place of the whole hash.
///
/// A tag pins a broken link to its record as the whole hash would (two different links share a tag with
/// probability 2^-128); the whole hashes that anchor the chain are kept at checkpoints and at the head
/// (docs/FORMAT.md, "The hash chain").
struct ChainTag: Hashable, Sendable, CustomStringConvertible {
    /// The 16 bytes as two big-endian words, in order.
    let high: UInt64
    let low: UInt64

    /// Reads 16 bytes (the first 16 of `buffer`).
    init(_ buffer: UnsafeRawBufferPointer) {
        precondition(buffer.count >= 16)
        high = UInt64(bigEndianBytes: buffer, at: 0)
        low = UInt64(bigEndianBytes: buffer, at: 8)
    }

    init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    /// Writes the 16 bytes into the start of `buffer`.
    func write(to buffer: UnsafeMutableRawBufferPointer) {
        buffer.storeBytes(of: high.bigEndian, toByteOffset: 0, as: UInt64.self)
        buffer.storeBytes(of: low.bigEndian, toByteOffset: 8, as: UInt64.self)
    }

    /// Lowercase hexadecimal, 32 digits.
    var description: String { (high.bigEndianBytes + low.bigEndianBytes).hexadecimal }
}
