/// Appends binary fields to a byte array: bytes, LEB128 varints and length-prefixed bytes.
struct ByteWriter {
    /// The bytes written so far.
    var bytes: [UInt8]

    init(capacity: Int = 256) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    mutating func u8(_ value: UInt8) { bytes.append(value) }

    /// An unsigned LEB128 varint: 7 bits per byte, low bits first.
    mutating func varint(_ value: UInt64) {
        var v = value
        while v >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(v))
    }

    /// A varint length followed by the bytes.
    mutating func lengthPrefixed(_ data: some Collection<UInt8>) {
        varint(UInt64(data.count))
        bytes.append(contentsOf: data)
    }

    /// A varint length followed by the UTF-8 of `string`.
    mutating func lengthPrefixed(utf8 string: String) {
        varint(UInt64(string.utf8.count))
        bytes.appendUTF8(string)
    }

    mutating func raw(_ data: some Sequence<UInt8>) { bytes.append(contentsOf: data) }
}

extension Array where Element == UInt8 {
    /// Appends the UTF-8 of `string` in one copy: a native string's bytes are contiguous (others are walked). The
    /// generic append of a `String.UTF8View` costs several times as much, and keys and records are made of strings.
    @inline(__always)
    mutating func appendUTF8(_ string: String) {
        let copied: Void? = string.utf8.withContiguousStorageIfAvailable { append(contentsOf: $0) }
        if copied == nil { append(contentsOf: string.utf8) }
    }
}

/// Reads what ``ByteWriter`` wrote, failing with ``ByteReader/Failure`` instead of reading past the end.
struct ByteReader {
    /// Why a read failed.
    enum Failure: Error, Equatable {
        case truncated(at: Int)
        case malformedVarint(at: Int)
    }

    let buffer: UnsafeRawBufferPointer
    private(set) var position = 0

    init(_ buffer: UnsafeRawBufferPointer) { self.buffer = buffer }

    var isAtEnd: Bool { position >= buffer.count }
    var remaining: Int { buffer.count - position }

    mutating func u8() throws(Failure) -> UInt8 {
        guard position < buffer.count else { throw .truncated(at: position) }
        defer { position += 1 }
        return buffer[position]
    }

    mutating func varint() throws(Failure) -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        let start = position
        while true {
            guard position < buffer.count else { throw .truncated(at: position) }
            let byte = buffer[position]
            position += 1
            if shift == 63 && byte > 1 { throw .malformedVarint(at: start) }
            result |= UInt64(byte & 0x7F) << shift
            if byte < 0x80 { return result }
            shift += 7
            if shift > 63 { throw .malformedVarint(at: start) }
        }
    }

    /// A slice of `count` bytes, valid as long as the underlying buffer.
    mutating func bytes(_ count: Int) throws(Failure) -> UnsafeRawBufferPointer {
        guard count >= 0, remaining >= count else { throw .truncated(at: position) }
        defer { position += count }
        return UnsafeRawBufferPointer(rebasing: buffer[position..<(position + count)])
    }

    mutating func lengthPrefixed() throws(Failure) -> UnsafeRawBufferPointer {
        let count = try varint()
        guard count <= UInt64(remaining) else { throw .truncated(at: position) }
        return try bytes(Int(count))
    }
}

extension UInt64 {
    /// Reads 8 big-endian bytes at `offset` (unaligned).
    @inline(__always)
    init(bigEndianBytes buffer: UnsafeRawBufferPointer, at offset: Int = 0) {
        self = UInt64(bigEndian: buffer.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
    }

    /// The 8 big-endian bytes of the value: the key order of LMDB equals numeric order.
    var bigEndianBytes: [UInt8] {
        withUnsafeBytes(of: bigEndian) { Array($0) }
    }
}

extension UInt32 {
    /// Reads 4 big-endian bytes at `offset` (unaligned).
    @inline(__always)
    init(bigEndianBytes buffer: UnsafeRawBufferPointer, at offset: Int = 0) {
        self = UInt32(bigEndian: buffer.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
    }
}

extension Sequence<UInt8> {
    /// The bytes as lowercase hexadecimal, two digits each (how chain hashes, digests and ids are printed).
    public var hexadecimal: String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(underestimatedCount * 2)
        for byte in self {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0xF)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
