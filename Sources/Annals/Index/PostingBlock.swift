/// A block of a merged posting list: the offsets of the events that share one index key (a type, an actor, a
/// target, a group or a minute of time), delta-encoded (docs/FORMAT.md, "Indexes").
///
/// Stored under the LMDB key `symbol ‖ 0x00 ‖ first offset (8 bytes big-endian)`, so the blocks of one symbol
/// are adjacent and ordered. The value:
/// ```
/// u64 BE   rank of the first entry in the whole list, from 1 (for a target: its stream version)
/// u32 BE   entry count
/// u64 BE   last offset in the block
/// entries  varint offset delta from the previous entry (the first from the key's offset)
/// ```
struct PostingBlock {
    static let headerSize = 20
    /// Blocks stop growing past this many bytes. A full block (this plus one varint) fills one LMDB overflow page
    /// (4,080 usable bytes of a 4 KiB page) almost exactly; smaller blocks would sit two to a leaf page and leave a
    /// quarter of it empty.
    static let maximumBytes = 4048

    var firstOffset: UInt64
    var rank: UInt64
    var count: UInt32
    var lastOffset: UInt64
    var bytes: [UInt8]

    /// A new, empty block whose first entry will be `firstOffset`.
    init(firstOffset: UInt64, rank: UInt64) {
        self.firstOffset = firstOffset
        self.rank = rank
        self.count = 0
        self.lastOffset = firstOffset
        self.bytes = [UInt8](repeating: 0, count: Self.headerSize)
    }

    /// Reads a stored block.
    init(firstOffset: UInt64, stored: UnsafeRawBufferPointer) throws(RecordFormatError) {
        guard stored.count >= Self.headerSize else {
            throw .malformedEnvelope("index block of \(stored.count) bytes is shorter than its header")
        }
        self.firstOffset = firstOffset
        self.rank = UInt64(bigEndianBytes: stored, at: 0)
        self.count = UInt32(bigEndianBytes: stored, at: 8)
        self.lastOffset = UInt64(bigEndianBytes: stored, at: 12)
        self.bytes = Array(stored)
    }

    var isFull: Bool { bytes.count >= Self.maximumBytes }

    /// The rank the entry after this block's last one will have.
    var nextRank: UInt64 { rank + UInt64(count) }

    mutating func append(_ offset: UInt64) {
        var writer = ByteWriter(capacity: 10)
        writer.varint(count == 0 ? offset - firstOffset : offset - lastOffset)
        bytes.append(contentsOf: writer.bytes)
        count += 1
        lastOffset = offset
    }

    /// The stored form: the header refreshed, then the entries.
    var stored: [UInt8] {
        var out = bytes
        out.withUnsafeMutableBytes { b in
            b.storeBytes(of: rank.bigEndian, toByteOffset: 0, as: UInt64.self)
            b.storeBytes(of: count.bigEndian, toByteOffset: 8, as: UInt32.self)
            b.storeBytes(of: lastOffset.bigEndian, toByteOffset: 12, as: UInt64.self)
        }
        return out
    }

    /// Decodes the entries of a stored block.
    static func offsets(
        firstOffset: UInt64, stored: UnsafeRawBufferPointer
    ) throws(RecordFormatError) -> [UInt64] {
        guard stored.count >= headerSize else { throw .malformedEnvelope("index block shorter than its header") }
        let count = Int(UInt32(bigEndianBytes: stored, at: 8))
        // Every entry takes at least one byte: a larger count is damage, not a reason to allocate.
        guard count <= stored.count - headerSize else {
            throw .malformedEnvelope("index block claims \(count) entries in \(stored.count - headerSize) bytes")
        }
        var reader = ByteReader(UnsafeRawBufferPointer(rebasing: stored[headerSize...]))
        var out: [UInt64] = []
        out.reserveCapacity(count)
        var offset = firstOffset
        do {
            for _ in 0..<count {
                let (sum, overflow) = offset.addingReportingOverflow(try reader.varint())
                guard !overflow else { throw RecordFormatError.malformedEnvelope("index block offsets overflow") }
                offset = sum
                out.append(offset)
            }
        } catch let error as RecordFormatError {
            throw error
        } catch {
            throw .malformedEnvelope("index block entries truncated: \(error)")
        }
        // The header's last offset is what readers skip blocks by and merges continue from: it must be the last entry.
        let stored = UInt64(bigEndianBytes: stored, at: 12)
        if let last = out.last, last != stored {
            throw .malformedEnvelope(
                "index block header names \(stored) as its last offset, but its last entry is \(last)")
        }
        return out
    }

    /// Throws unless `stored` is long enough to hold a block header.
    static func checkHeader(_ stored: UnsafeRawBufferPointer) throws(RecordFormatError) {
        guard stored.count >= headerSize else {
            throw .malformedEnvelope("index block of \(stored.count) bytes is shorter than its header")
        }
    }

    /// The LMDB key of the block of `symbol` starting at `firstOffset`.
    static func key(symbol: [UInt8], firstOffset: UInt64) -> [UInt8] {
        var key = symbol
        key.reserveCapacity(symbol.count + 9)
        key.append(0)
        key.append(contentsOf: firstOffset.bigEndianBytes)
        return key
    }

    /// The first offset of a block key, if `key` belongs to `symbol`.
    static func firstOffset(ofKey key: UnsafeRawBufferPointer, symbol: [UInt8]) -> UInt64? {
        guard key.count == symbol.count + 9, key[symbol.count] == 0,
            symbol.withUnsafeBytes({ memcmp($0.baseAddress!, key.baseAddress!, symbol.count) == 0 })
        else { return nil }
        return UInt64(bigEndianBytes: key, at: symbol.count + 1)
    }
}

#if canImport(Glibc)
    import Glibc
#endif
