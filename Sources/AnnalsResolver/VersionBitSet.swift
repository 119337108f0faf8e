/// A set of indices below a fixed capacity, as bits: the exact version sets the resolver works with.
///
/// The first 64 bits live inline, so the sets of packages with few versions never allocate.
struct VersionBitSet: Sendable, Hashable {
    /// How many indices the set can hold: `0..<capacity`.
    let capacity: Int
    /// Bits 0 to 63.
    private(set) var low: UInt64
    /// Bits 64 and up, 64 per word; empty when `capacity <= 64`.
    private(set) var high: [UInt64]

    /// The empty set of `capacity` indices.
    init(empty capacity: Int) {
        self.capacity = capacity
        low = 0
        high = Array(repeating: 0, count: max(0, (capacity - 1) / 64))
    }

    /// The set of all `capacity` indices.
    init(full capacity: Int) {
        self.init(empty: capacity)
        for index in 0..<capacity { insert(index) }
    }

    /// The set of the indices `0..<capacity` for which `include` is true.
    init(capacity: Int, where include: (Int) -> Bool) {
        self.init(empty: capacity)
        for index in 0..<capacity where include(index) { insert(index) }
    }

    /// Whether no index is in the set.
    var isEmpty: Bool { low == 0 && high.allSatisfy { $0 == 0 } }

    /// The number of indices in the set.
    var count: Int { low.nonzeroBitCount + high.reduce(0) { $0 + $1.nonzeroBitCount } }

    /// Whether `index` is in the set.
    func contains(_ index: Int) -> Bool {
        index < 64 ? low & (1 << UInt64(index)) != 0 : high[index / 64 - 1] & (1 << UInt64(index % 64)) != 0
    }

    /// Adds `index`.
    mutating func insert(_ index: Int) {
        if index < 64 { low |= 1 << UInt64(index) } else { high[index / 64 - 1] |= 1 << UInt64(index % 64) }
    }

    /// Removes `index`.
    mutating func remove(_ index: Int) {
        if index < 64 { low &= ~(1 << UInt64(index)) } else { high[index / 64 - 1] &= ~(1 << UInt64(index % 64)) }
    }

    /// The indices in both sets.
    func intersection(_ other: VersionBitSet) -> VersionBitSet {
        combined(with: other) { $0 & $1 }
    }

    /// The indices in either set.
    func union(_ other: VersionBitSet) -> VersionBitSet {
        combined(with: other) { $0 | $1 }
    }

    /// The indices in this set and not in `other`.
    func subtracting(_ other: VersionBitSet) -> VersionBitSet {
        combined(with: other) { $0 & ~$1 }
    }

    /// The indices below `capacity` not in this set.
    func complement() -> VersionBitSet {
        var result = self
        result.low = ~low
        for word in result.high.indices { result.high[word] = ~high[word] }
        result.clearBeyondCapacity()
        return result
    }

    /// Whether every index of this set is in `other`.
    func isSubset(of other: VersionBitSet) -> Bool {
        guard low & ~other.low == 0 else { return false }
        for word in high.indices where high[word] & ~other.high[word] != 0 { return false }
        return true
    }

    /// Whether the sets share no index.
    func isDisjoint(with other: VersionBitSet) -> Bool {
        guard low & other.low == 0 else { return false }
        for word in high.indices where high[word] & other.high[word] != 0 { return false }
        return true
    }

    /// The highest index in the set, or `nil` when it is empty.
    var last: Int? {
        for word in high.indices.reversed() where high[word] != 0 {
            return (word + 1) * 64 + 63 - high[word].leadingZeroBitCount
        }
        return low == 0 ? nil : 63 - low.leadingZeroBitCount
    }

    /// The indices in the set, ascending.
    var indices: [Int] { (0..<capacity).filter(contains) }

    /// Applies `operation` word by word to both sets (of the same capacity).
    private func combined(with other: VersionBitSet, _ operation: (UInt64, UInt64) -> UInt64) -> VersionBitSet {
        var result = self
        result.low = operation(low, other.low)
        for word in high.indices { result.high[word] = operation(high[word], other.high[word]) }
        result.clearBeyondCapacity()
        return result
    }

    /// Clears the bits at and above `capacity`.
    private mutating func clearBeyondCapacity() {
        if capacity < 64 {
            low &= capacity == 0 ? 0 : (UInt64(1) << UInt64(capacity)) &- 1
        } else if !high.isEmpty, capacity % 64 != 0 {
            high[high.count - 1] &= (UInt64(1) << UInt64(capacity % 64)) &- 1
        }
    }
}
