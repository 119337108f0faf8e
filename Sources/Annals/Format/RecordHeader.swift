/// The header in front of every stored payload (docs/FORMAT.md, "Record headers").
///
/// Two layouts share their first ten bytes and differ in how much of the chain hash they carry:
///
/// ```
/// byte  0      record format version: 1 (whole hash, 42 bytes) or 2 (tag, 26 bytes)
/// byte  1      codec (0 raw, 1 zstd, 2 zstd with dictionary)
/// bytes 2–5    dictionary id, big-endian (0: none)
/// bytes 6–9    CRC-32C of the uncompressed payload, big-endian
/// bytes 10–41  version 1: the chain hash, SHA-256(previous chain hash ‖ offset as 8 bytes big-endian ‖ payload)
/// bytes 10–25  version 2: the chain tag, the first 16 bytes of that hash
/// then         the payload, stored as the codec says
/// ```
///
/// The writer uses version 1 at checkpoints (offsets that are multiples of ``checkpointInterval``) and version 2
/// everywhere else; stores written before store format 3 hold version 1 only.
struct RecordHeader: Equatable {
    /// The size of a version 1 header, which carries the whole chain hash.
    static let checkpointSize = 42
    /// The size of a version 2 header, which carries the chain tag.
    static let taggedSize = 26
    /// Offsets that are multiples of this get a whole-hash (version 1) header.
    static let checkpointInterval: UInt64 = 1_024

    /// Whether the writer gives the record at `offset` a checkpoint (whole-hash) header.
    static func isCheckpoint(_ offset: UInt64) -> Bool { offset % checkpointInterval == 0 }

    /// The checkpoint at or before `offset` (0 before the first), where recomputing the chain hash of `offset` starts.
    static func checkpoint(atOrBefore offset: UInt64) -> UInt64 { offset - offset % checkpointInterval }

    /// The size of the header the writer gives the record at `offset`.
    static func size(forRecordAt offset: UInt64) -> Int { isCheckpoint(offset) ? checkpointSize : taggedSize }

    /// The header bytes of records 1…`records`, of which 1…`wholeHashThrough` were written with whole-hash headers
    /// (a store upgraded from format 2; 0 otherwise) and the rest by the checkpoint rule.
    static func totalSize(ofRecords records: UInt64, wholeHashThrough upgraded: UInt64) -> UInt64 {
        let upgraded = min(upgraded, records)
        let checkpoints = records / checkpointInterval - upgraded / checkpointInterval
        return upgraded * UInt64(checkpointSize) + (records - upgraded) * UInt64(taggedSize)
            + checkpoints * UInt64(checkpointSize - taggedSize)
    }

    /// What a header says about the chain: the whole hash (version 1) or its tag (version 2).
    enum Link: Equatable {
        case hash(ChainHash)
        case tag(ChainTag)

        /// The tag, either stored or the whole hash's first 16 bytes.
        var tag: ChainTag {
            switch self {
            case .hash(let hash): hash.tag
            case .tag(let tag): tag
            }
        }

        /// The whole hash, when the header carries it.
        var hash: ChainHash? {
            if case .hash(let hash) = self { hash } else { nil }
        }
    }

    var codec: PayloadCodec
    var dictionaryID: UInt32
    var checksum: UInt32
    var link: Link

    /// The header size, which is where the stored payload starts.
    var size: Int {
        switch link {
        case .hash: Self.checkpointSize
        case .tag: Self.taggedSize
        }
    }

    /// The header the writer gives the record at `offset` whose chain hash is `hash`: the whole hash at a
    /// checkpoint, its tag elsewhere.
    static func forRecord(
        at offset: UInt64, codec: PayloadCodec, dictionaryID: UInt32, checksum: UInt32, hash: ChainHash
    ) -> RecordHeader {
        RecordHeader(
            codec: codec, dictionaryID: dictionaryID, checksum: checksum,
            link: isCheckpoint(offset) ? .hash(hash) : .tag(hash.tag))
    }

    /// Whether `hash`, computed for this record, is the one the header records.
    func matches(_ hash: ChainHash) -> Bool {
        switch link {
        case .hash(let stored): stored == hash
        case .tag(let stored): stored == hash.tag
        }
    }

    /// Writes the header into the first ``size`` bytes of `buffer`.
    func write(to buffer: UnsafeMutableRawBufferPointer) {
        buffer[1] = codec.rawValue
        buffer.storeBytes(of: dictionaryID.bigEndian, toByteOffset: 2, as: UInt32.self)
        buffer.storeBytes(of: checksum.bigEndian, toByteOffset: 6, as: UInt32.self)
        switch link {
        case .hash(let hash):
            buffer[0] = 1
            hash.write(to: UnsafeMutableRawBufferPointer(rebasing: buffer[10..<42]))
        case .tag(let tag):
            buffer[0] = 2
            tag.write(to: UnsafeMutableRawBufferPointer(rebasing: buffer[10..<26]))
        }
    }

    /// Reads the header of a stored record, or explains what is wrong with it.
    static func read(_ record: UnsafeRawBufferPointer) throws(RecordFormatError) -> RecordHeader {
        guard !record.isEmpty else { throw .truncatedHeader(length: 0, expected: taggedSize) }
        let size: Int
        switch record[0] {
        case 1: size = checkpointSize
        case 2: size = taggedSize
        default: throw .unknownFormatVersion(record[0])
        }
        guard record.count >= size else { throw .truncatedHeader(length: record.count, expected: size) }
        guard let codec = PayloadCodec(rawValue: record[1]) else { throw .unknownCodec(record[1]) }
        let dictionaryID = UInt32(bigEndianBytes: record, at: 2)
        if (codec == .zstdDictionary) != (dictionaryID != 0) { throw .dictionaryMismatch(codec, dictionaryID) }
        let link: Link =
            size == checkpointSize
            ? .hash(ChainHash(UnsafeRawBufferPointer(rebasing: record[10..<42])))
            : .tag(ChainTag(UnsafeRawBufferPointer(rebasing: record[10..<26])))
        return RecordHeader(
            codec: codec, dictionaryID: dictionaryID, checksum: UInt32(bigEndianBytes: record, at: 6), link: link)
    }
}

/// What is wrong with a stored record's bytes.
enum RecordFormatError: Error, Equatable, CustomStringConvertible {
    case truncatedHeader(length: Int, expected: Int)
    case unknownFormatVersion(UInt8)
    case unknownCodec(UInt8)
    case dictionaryMismatch(PayloadCodec, UInt32)
    case unknownDictionary(UInt32)
    /// The dictionary is stored, but zstd cannot load it (`ZSTD_createDDict` refuses its bytes).
    case unloadableDictionary(UInt32)
    /// Reading the dictionary from the store failed (an LMDB error, named in the second value).
    case unreadableDictionary(UInt32, String)
    case decompressionFailed(String)
    case checksumMismatch(stored: UInt32, computed: UInt32)
    case malformedEnvelope(String)

    var description: String {
        switch self {
        case .truncatedHeader(let length, let expected):
            "record is \(length) bytes, shorter than its \(expected)-byte header"
        case .unknownFormatVersion(let v): "unknown record format version \(v)"
        case .unknownCodec(let c): "unknown codec \(c)"
        case .dictionaryMismatch(let codec, let id): "codec \(codec) does not match dictionary id \(id)"
        case .unknownDictionary(let id): "dictionary \(id) is missing"
        case .unloadableDictionary(let id): "dictionary \(id) is stored, but zstd cannot load it"
        case .unreadableDictionary(let id, let reason): "dictionary \(id) could not be read from the store: \(reason)"
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
