import Crypto

/// A 32-byte SHA-256 link of the hash chain: each record's hash covers the previous hash, the offset and the
/// payload, so editing, deleting, inserting or reordering any record breaks every later link.
///
/// Stored inline as four words, so reading a record header allocates nothing.
public struct ChainHash: Sendable, Hashable, CustomStringConvertible {
    /// The hash before the first record: 32 zero bytes.
    public static let genesis = ChainHash(words: (0, 0, 0, 0))

    /// The 32 bytes as four big-endian words, in order.
    private var words: (UInt64, UInt64, UInt64, UInt64)

    private init(words: (UInt64, UInt64, UInt64, UInt64)) {
        self.words = words
    }

    /// Reads 32 bytes (the first 32 of `buffer`).
    init(_ buffer: UnsafeRawBufferPointer) {
        precondition(buffer.count >= 32)
        words = (
            UInt64(bigEndianBytes: buffer, at: 0), UInt64(bigEndianBytes: buffer, at: 8),
            UInt64(bigEndianBytes: buffer, at: 16), UInt64(bigEndianBytes: buffer, at: 24)
        )
    }

    init(bytes: [UInt8]) {
        precondition(bytes.count == 32)
        self = bytes.withUnsafeBytes { ChainHash($0) }
    }

    /// The 32 bytes.
    public var bytes: [UInt8] {
        var out = [UInt8](repeating: 0, count: 32)
        out.withUnsafeMutableBytes { write(to: $0) }
        return out
    }

    /// Parses 64 hexadecimal digits, or returns `nil`.
    public init?(hex: String) {
        let digits = Array(hex.utf8)
        guard digits.count == 64 else { return nil }
        var out = [UInt8]()
        out.reserveCapacity(32)
        for i in stride(from: 0, to: 64, by: 2) {
            guard let hi = Self.nibble(digits[i]), let lo = Self.nibble(digits[i + 1]) else { return nil }
            out.append(hi << 4 | lo)
        }
        self.init(bytes: out)
    }

    private static func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    /// The next link: SHA-256(self ‖ offset big-endian ‖ payload).
    func next(offset: UInt64, payload: UnsafeRawBufferPointer) -> ChainHash {
        var hasher = SHA256()
        // The 40 bytes before the payload in one update: each call through Swift Crypto's wrapper costs more than
        // hashing 40 bytes.
        let prefix = (words.0.bigEndian, words.1.bigEndian, words.2.bigEndian, words.3.bigEndian, offset.bigEndian)
        withUnsafeBytes(of: prefix) { hasher.update(bufferPointer: $0) }
        hasher.update(bufferPointer: payload)
        return hasher.finalize().withUnsafeBytes { ChainHash($0) }
    }

    /// The first 16 bytes: what a tagged record stores.
    var tag: ChainTag { ChainTag(high: words.0, low: words.1) }

    /// Writes the 32 bytes into the start of `buffer`.
    func write(to buffer: UnsafeMutableRawBufferPointer) {
        buffer.storeBytes(of: words.0.bigEndian, toByteOffset: 0, as: UInt64.self)
        buffer.storeBytes(of: words.1.bigEndian, toByteOffset: 8, as: UInt64.self)
        buffer.storeBytes(of: words.2.bigEndian, toByteOffset: 16, as: UInt64.self)
        buffer.storeBytes(of: words.3.bigEndian, toByteOffset: 24, as: UInt64.self)
    }

    /// Lowercase hexadecimal.
    public var hex: String { bytes.hexadecimal }

    /// ``hex``.
    public var description: String { hex }

    /// Equal when all 32 bytes are.
    public static func == (lhs: ChainHash, rhs: ChainHash) -> Bool {
        lhs.words.0 == rhs.words.0 && lhs.words.1 == rhs.words.1 && lhs.words.2 == rhs.words.2
            && lhs.words.3 == rhs.words.3
    }

    /// Hashes the 32 bytes.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(words.0)
        hasher.combine(words.1)
        hasher.combine(words.2)
        hasher.combine(words.3)
    }
}
