/// The keys from `lower` through `upper` in LMDB's default order (bytes compared as unsigned, a shorter key first
/// among keys with equal prefixes): the part of a database that a limited structure check covers
/// (``Environment/checkStructure(of:includingLeaves:limitingTo:)``).
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
