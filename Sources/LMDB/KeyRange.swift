#if canImport(Glibc)
    import Glibc
#endif

/// The keys from `lower` through `upper` in LMDB's default order (bytes compared as unsigned, a shorter key first
/// among keys with equal prefixes): the part of a database that a limited structure check covers
/// (``Environment/checkStructure(of:includingLeaves:limitingTo:includingFreeList:)``).
public struct KeyRange: Sendable, Hashable {
    /// The first key of the range.
    public var lower: [UInt8]
    /// The last key of the range.
    public var upper: [UInt8]

    /// The keys from `lower` through `upper`.
    public init(_ lower: [UInt8], through upper: [UInt8]) {
        self.lower = lower
        self.upper = upper
    }
}

/// LMDB's default key order: bytes compared as unsigned, a shorter key first among keys with equal prefixes. Negative
/// when `a` sorts first, zero when the keys are equal, positive when `b` sorts first.
@inlinable @inline(__always)
public func compareKeys(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Int {
    let common = min(a.count, b.count)
    if common > 0, let x = a.baseAddress, let y = b.baseAddress {
        let order = memcmp(x, y, common)
        if order != 0 { return Int(order) }
    }
    return a.count - b.count
}
