/// The fixed 42-byte header in front of every stored payload (record format v1, docs/FORMAT.md).
///
/// ```
/// byte  0      format version (1)
/// byte  1      codec (0 raw, 1 zstd, 2 zstd with dictionary)
/// bytes 2–5    dictionary id, big-endian (0: none)
/// bytes 6–9    CRC-32C of the uncompressed payload, big-endian
/// bytes 10–41  chain hash: SHA-256(previous chain hash ‖ offset as 8 bytes big-endian ‖ payload)
/// bytes 42–    the payload, stored as the codec says
/// ```
struct RecordHeader: Equatable {
    static let size = 42
    static let formatVersion: UInt8 = 1

    var codec: PayloadCodec
    var dictionaryID: UInt32
    var checksum: UInt32
    var chainHash: ChainHash

    /// Writes the header into the first ``size`` bytes of `buffer`.
    func write(to buffer: UnsafeMutableRawBufferPointer) {
        buffer[0] = Self.formatVersion
        buffer[1] = codec.rawValue
        buffer.storeBytes(of: dictionaryID.bigEndian, toByteOffset: 2, as: UInt32.self)
        buffer.storeBytes(of: checksum.bigEndian, toByteOffset: 6, as: UInt32.self)
        chainHash.write(to: UnsafeMutableRawBufferPointer(rebasing: buffer[10..<42]))
    }

    /// Reads the header of a stored record, or explains what is wrong with it.
    static func read(_ record: UnsafeRawBufferPointer) throws(RecordFormatError) -> RecordHeader {
        guard record.count >= size else { throw .truncatedHeader(length: record.count) }
        guard record[0] == formatVersion else { throw .unknownFormatVersion(record[0]) }
        guard let codec = PayloadCodec(rawValue: record[1]) else { throw .unknownCodec(record[1]) }
        let dictionaryID = UInt32(bigEndianBytes: record, at: 2)
        if (codec == .zstdDictionary) != (dictionaryID != 0) { throw .dictionaryMismatch(codec, dictionaryID) }
        return RecordHeader(
            codec: codec, dictionaryID: dictionaryID, checksum: UInt32(bigEndianBytes: record, at: 6),
            chainHash: ChainHash(UnsafeRawBufferPointer(rebasing: record[10..<42])))
    }
}

/// What is wrong with a stored record's bytes.
enum RecordFormatError: Error, Equatable, CustomStringConvertible {
    case truncatedHeader(length: Int)
    case unknownFormatVersion(UInt8)
    case unknownCodec(UInt8)
    case dictionaryMismatch(PayloadCodec, UInt32)
    case unknownDictionary(UInt32)
    case decompressionFailed(String)
    case checksumMismatch(stored: UInt32, computed: UInt32)
    case malformedEnvelope(String)

    var description: String {
        switch self {
        case .truncatedHeader(let length): "record is \(length) bytes, shorter than its 42-byte header"
        case .unknownFormatVersion(let v): "unknown record format version \(v)"
        case .unknownCodec(let c): "unknown codec \(c)"
        case .dictionaryMismatch(let codec, let id): "codec \(codec) does not match dictionary id \(id)"
        case .unknownDictionary(let id): "dictionary \(id) is missing"
        case .decompressionFailed(let message): "zstd decompression failed: \(message)"
        case .checksumMismatch(let stored, let computed):
            "CRC-32C mismatch: stored \(hex(stored)), computed \(hex(computed))"
        case .malformedEnvelope(let detail): "malformed envelope: \(detail)"
        }
    }

    private func hex(_ v: UInt32) -> String {
        let digits = String(v, radix: 16)
        return "0x" + String(repeating: "0", count: 8 - digits.count) + digits
    }
}
