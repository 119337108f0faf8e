/// An offline, deterministic embedder that hashes words, stems and character trigrams into a fixed-size vector.
///
/// It needs no model files and gives the same vector for the same text in every process and on every machine:
/// the hashes are 64-bit FNV-1a and a MurmurHash3 finalizer (never Swift's randomly seeded `Hasher`), and the
/// arithmetic uses only IEEE operations with a fixed evaluation order.
///
/// Features, from the terms of ``TextTokenizer/terms(_:)``:
/// - each term, weight 1;
/// - its stem (``TextTokenizer/stem(_:)``), weight 1, so "trading" and "trade" share a feature;
/// - the character trigrams of the term padded with boundary markers ("^tr", "tra", …, "de$"), weight 0.5 each,
///   which give partial credit to spelling variants and compounds.
///
/// Each feature's weight is scaled by a sublinear term frequency, 1 + ln(tf), and added to or subtracted from one
/// dimension chosen by its hash (signed hashing keeps collisions unbiased). The result is L2-normalized.
/// Similarity is lexical, not semantic in the sense of a neural model: texts score high when they share words,
/// stems or spelling fragments.
public struct FeatureHashingEmbedder: Embedder {
    /// The length of every vector.
    public let dimensions: Int

    /// "feature-hashing-v1-" followed by the number of dimensions.
    public var identifier: String { "feature-hashing-v1-\(dimensions)" }

    /// An embedder with `dimensions` components per vector.
    /// - Parameter dimensions: The vector length; must be positive.
    public init(dimensions: Int = 384) {
        precondition(dimensions > 0, "an embedding needs at least one dimension")
        self.dimensions = dimensions
    }

    /// The embedding of `text`: unit length, or all zeros when the text has no terms.
    /// - Parameter text: Any text.
    /// - Returns: A vector of ``dimensions`` components.
    public func embed(_ text: String) -> [Float] {
        var features = FeatureCounts(expectedFeatures: text.utf8.count)
        TextTokenizer.forEachTerm(in: text) { term in
            features.add(FeatureKey.word(term))
            let (length, appendY) = TextTokenizer.stemmedLength(term)
            features.add(FeatureKey.stem(term, length: length, appendY: appendY))
            FeatureKey.forEachTrigram(term) { features.add($0) }
        }
        var vector = [Float](repeating: 0, count: dimensions)
        let dimensions = UInt64(dimensions)
        vector.withUnsafeMutableBufferPointer { components in
            features.forEach { key, count in
                let index = Int(truncatingIfNeeded: key.multipliedFullWidth(by: dimensions).high)
                let weight = FeatureKey.weight(key) * Self.sublinearFrequency(count)
                components[index] += key & FeatureKey.signBit == 0 ? weight : -weight
            }
        }
        return VectorMath.normalized(vector)
    }

    /// 1 + ln(count), tabulated for small counts.
    private static func sublinearFrequency(_ count: UInt32) -> Float {
        count < sublinearTable.count ? sublinearTable[Int(count)] : Float(1 + naturalLog(Double(count)))
    }

    private static let sublinearTable: [Float] = (0..<1024).map { $0 == 0 ? 0 : Float(1 + naturalLog(Double($0))) }

    /// ln(x) for x ≥ 1 from IEEE basic operations only, so it gives the same bits on every platform's libm.
    static func naturalLog(_ x: Double) -> Double {
        var mantissa = x
        var exponent = 0.0
        while mantissa >= 2 {
            mantissa /= 2
            exponent += 1
        }
        // ln(m) = 2 atanh(t) with t = (m - 1) / (m + 1) < 1/3; 24 terms reach double precision.
        let t = (mantissa - 1) / (mantissa + 1)
        var power = t
        var sum = 0.0
        for k in stride(from: 1.0, through: 47.0, by: 2.0) {
            sum += power / k
            power *= t * t
        }
        return exponent * 0.693_147_180_559_945_3 + 2 * sum
    }
}

/// The 64-bit keys of features: a well-mixed hash whose two low bits say the kind of feature (never 0).
private enum FeatureKey {
    static let wordKind: UInt64 = 1
    static let stemKind: UInt64 = 2
    static let trigramKind: UInt64 = 3
    /// The bit that chooses whether a feature adds or subtracts its weight.
    static let signBit: UInt64 = 4

    static func weight(_ key: UInt64) -> Float {
        key & 3 == trigramKind ? 0.5 : 1
    }

    static func word(_ term: UnsafeBufferPointer<UInt8>) -> UInt64 {
        var hash = fnvStep(fnvOffsetBasis, UInt8(ascii: "w"))
        for byte in term { hash = fnvStep(hash, byte) }
        return finish(hash, kind: wordKind)
    }

    static func stem(_ term: UnsafeBufferPointer<UInt8>, length: Int, appendY: Bool) -> UInt64 {
        var hash = fnvStep(fnvOffsetBasis, UInt8(ascii: "s"))
        for byte in term[..<length] { hash = fnvStep(hash, byte) }
        if appendY { hash = fnvStep(hash, UInt8(ascii: "y")) }
        return finish(hash, kind: stemKind)
    }

    /// Calls `body` with the key of each trigram of Unicode scalars of `term`, padded with boundary markers.
    static func forEachTrigram(_ term: UnsafeBufferPointer<UInt8>, _ body: (UInt64) -> Void) {
        var first = beginMarker
        var second: UInt64 = 0
        var started = false
        var index = 0
        while index < term.count {
            let (value, length) =
                term[index] < 0x80 ? (UInt32(term[index]), 1) : TextTokenizer.scalarValue(term, at: index)
            let third = UInt64(value & 0x1F_FFFF)
            if started {
                body(trigram(first, second, third))
                first = second
            }
            second = third
            started = true
            index += length
        }
        if started { body(trigram(first, second, endMarker)) }
    }

    /// Markers outside the Unicode range (scalars fit in 21 bits), so three of them pack into 63 bits.
    private static let beginMarker: UInt64 = 0x1F_FFFE
    private static let endMarker: UInt64 = 0x1F_FFFF

    private static func trigram(_ a: UInt64, _ b: UInt64, _ c: UInt64) -> UInt64 {
        finish(a << 42 | b << 21 | c ^ 0x7472_6967_7261_6D73, kind: trigramKind)
    }

    private static let fnvOffsetBasis: UInt64 = 0xCBF2_9CE4_8422_2325

    @inline(__always)
    private static func fnvStep(_ hash: UInt64, _ byte: UInt8) -> UInt64 {
        (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3
    }

    /// The MurmurHash3 64-bit finalizer (a bijection that mixes every bit), with the kind in the two low bits.
    @inline(__always)
    private static func finish(_ hash: UInt64, kind: UInt64) -> UInt64 {
        var k = hash
        k ^= k >> 33
        k &*= 0xFF51_AFD7_ED55_8CCD
        k ^= k >> 33
        k &*= 0xC4CE_B9FE_1A85_EC53
        k ^= k >> 33
        return k & ~3 | kind
    }
}

/// How often each feature key occurs in one text: an open-addressing hash table with linear probing.
private struct FeatureCounts {
    private var keys: [UInt64]
    private var counts: [UInt32]
    private var occupied = 0

    init(expectedFeatures: Int) {
        var capacity = 64
        while capacity < min(expectedFeatures, 1 << 15) * 2 { capacity *= 2 }
        keys = [UInt64](repeating: 0, count: capacity)
        counts = [UInt32](repeating: 0, count: capacity)
    }

    mutating func add(_ key: UInt64) {
        let mask = keys.count - 1
        var slot = Int(truncatingIfNeeded: key >> 3) & mask
        while true {
            let existing = keys[slot]
            if existing == key {
                counts[slot] += 1
                return
            }
            if existing == 0 {
                keys[slot] = key
                counts[slot] = 1
                occupied += 1
                if occupied * 2 > keys.count { grow() }
                return
            }
            slot = (slot + 1) & mask
        }
    }

    /// Calls `body` with every key and its count, in slot order (deterministic for a given sequence of adds).
    func forEach(_ body: (UInt64, UInt32) -> Void) {
        for slot in keys.indices where keys[slot] != 0 { body(keys[slot], counts[slot]) }
    }

    private mutating func grow() {
        let (oldKeys, oldCounts) = (keys, counts)
        keys = [UInt64](repeating: 0, count: oldKeys.count * 2)
        counts = [UInt32](repeating: 0, count: oldKeys.count * 2)
        let mask = keys.count - 1
        for index in oldKeys.indices where oldKeys[index] != 0 {
            var slot = Int(truncatingIfNeeded: oldKeys[index] >> 3) & mask
            while keys[slot] != 0 { slot = (slot + 1) & mask }
            keys[slot] = oldKeys[index]
            counts[slot] = oldCounts[index]
        }
    }
}
