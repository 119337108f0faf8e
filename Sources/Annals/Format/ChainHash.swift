import Crypto

/// A 32-byte SHA-256 link of the hash chain: each record's hash covers the previous hash, the offset and the
/// payload, so editing, deleting, inserting or reordering any record breaks every later link.
public struct ChainHash: Sendable, Hashable, CustomStringConvertible {
    /// The hash before the first record: 32 zero bytes.
    public static let genesis = ChainHash(bytes: [UInt8](repeating: 0, count: 32))

    /// The 32 bytes.
    public let bytes: [UInt8]

    init(bytes: [UInt8]) {
        precondition(bytes.count == 32)
        self.bytes = bytes
    }

    init(_ buffer: UnsafeRawBufferPointer) {
        self.bytes = Array(buffer.prefix(32))
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
        self.bytes = out
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
        bytes.withUnsafeBytes { hasher.update(bufferPointer: $0) }
        withUnsafeBytes(of: offset.bigEndian) { hasher.update(bufferPointer: $0) }
        hasher.update(bufferPointer: payload)
        return ChainHash(bytes: Array(hasher.finalize()))
    }

    func write(to buffer: UnsafeMutableRawBufferPointer) {
        bytes.withUnsafeBytes { buffer.copyMemory(from: $0) }
    }

    /// Lowercase hexadecimal.
    public var hex: String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(64)
        for b in bytes {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 0xF)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// ``hex``.
    public var description: String { hex }
}
