import CZstd
import Foundation

/// One table of a snapshot: its entries in key order, stored as blocks of about ``SnapshotFormat/blockSize`` bytes,
/// each its own zstd frame and each decompressed the first time a lookup or a scan reaches it. Time travel thus
/// pays only for the parts of a table its replay reads: a replay that deletes a dozen things scans a dozen places
/// of the connection indexes, not the whole indexes.
///
/// The frames were covered by the snapshot's CRC-32C when it was loaded; a frame that still fails to decompress is
/// reported as ``AnnalsError/corruptSnapshot(offset:reason:)`` by the lookup that needed it. Several threads may read
/// a table at once: blocks are decompressed under a lock, and never change once loaded.
final class SnapshotTable: OverlayBase, @unchecked Sendable {
    /// Where a block is and what it holds.
    struct Block {
        /// The key of its first entry (empty for the one block of a format 2 table).
        var firstKey: [UInt8]
        var entries: Int
        var uncompressedLength: Int
        /// Its frame's range in the table's frames.
        var frame: Range<Int>
    }

    let name: String
    let entries: Int
    private let snapshotOffset: UInt64
    private let frames: [UInt8]
    private let blocks: [Block]
    /// Guards ``loaded`` and ``context``.
    private let loading = NSLock()
    private var loaded: [LoadedBlock?]
    private var context: OpaquePointer?

    init(name: String, entries: Int, frames: [UInt8], blocks: [Block], snapshotOffset: UInt64) {
        self.name = name
        self.entries = entries
        self.frames = frames
        self.blocks = blocks
        self.snapshotOffset = snapshotOffset
        loaded = Array(repeating: nil, count: blocks.count)
    }

    deinit { if let context { ZSTD_freeDCtx(context) } }

    /// Calls `body` with the value stored under `key`, or `nil`.
    func withValue<R>(for key: UnsafeRawBufferPointer, _ body: (UnsafeRawBufferPointer?) throws -> R) throws -> R {
        try body(try value(for: key))
    }

    /// The value stored under `key`, or `nil`. The buffer lives as long as the table.
    func value(for key: UnsafeRawBufferPointer) throws(AnnalsError) -> UnsafeRawBufferPointer? {
        guard let index = blockIndex(for: key) else { return nil }
        let block = try block(index)
        let position = block.lowerBound(key)
        guard position < block.spans.count, compareBytes(block.key(position), key) == 0 else { return nil }
        return block.value(position)
    }

    /// Calls `body` with each entry whose key is ≥ `start`, in key order, until it returns `false` or the entries
    /// end. The buffers live as long as the table.
    func forEach(
        from start: UnsafeRawBufferPointer,
        _ body: (_ key: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer) throws -> Bool
    ) throws {
        guard var index = blockIndex(for: start) else { return }
        var position = try block(index).lowerBound(start)
        while index < blocks.count {
            let block = try block(index)
            while position < block.spans.count {
                guard try body(block.key(position), block.value(position)) else { return }
                position += 1
            }
            index += 1
            position = 0
        }
    }

    /// The last block whose first key is ≤ `key` (the first block when `key` precedes them all), or `nil` for a
    /// table without blocks.
    private func blockIndex(for key: UnsafeRawBufferPointer) -> Int? {
        guard !blocks.isEmpty else { return nil }
        var low = 1
        var high = blocks.count
        while low < high {
            let middle = (low + high) / 2
            let order = blocks[middle].firstKey.withUnsafeBytes { compareBytes($0, key) }
            if order <= 0 { low = middle + 1 } else { high = middle }
        }
        return low - 1
    }

    /// Block `index`, decompressed and indexed on first use.
    private func block(_ index: Int) throws(AnnalsError) -> LoadedBlock {
        loading.lock()
        defer { loading.unlock() }
        if let block = loaded[index] { return block }
        let description = blocks[index]
        if context == nil { context = ZSTD_createDCtx() }
        let output = UnsafeMutableRawBufferPointer.allocate(
            byteCount: max(description.uncompressedLength, 1), alignment: 8)
        let size = frames.withUnsafeBytes { all in
            let frame = UnsafeRawBufferPointer(rebasing: all[description.frame])
            return ZSTD_decompressDCtx(
                context, output.baseAddress, description.uncompressedLength, frame.baseAddress, frame.count)
        }
        guard ZSTD_isError(size) == 0, size == description.uncompressedLength else {
            output.deallocate()
            throw .corruptSnapshot(
                offset: snapshotOffset,
                reason: "block \(index) of table \(name) does not decompress to \(description.uncompressedLength) bytes"
            )
        }
        guard let block = LoadedBlock(output, entries: description.entries) else {
            throw .corruptSnapshot(offset: snapshotOffset, reason: "block \(index) of table \(name) is truncated")
        }
        loaded[index] = block
        return block
    }
}

/// A decompressed block: its bytes, and the spans (key start, key length, value start, value length) of its
/// entries in key order.
private final class LoadedBlock {
    let bytes: UnsafeRawBufferPointer
    let spans: [(Int, Int, Int, Int)]

    /// Indexes `bytes` (taking ownership), or returns `nil` (freeing them) when they hold fewer than `entries`
    /// well-formed entries.
    init?(_ bytes: UnsafeMutableRawBufferPointer, entries: Int) {
        var spans: [(Int, Int, Int, Int)] = []
        spans.reserveCapacity(entries)
        var reader = ByteReader(UnsafeRawBufferPointer(bytes))
        do {
            for _ in 0..<entries {
                let keyLength = Int(try reader.varint())
                let keyStart = reader.position
                _ = try reader.bytes(keyLength)
                let valueLength = Int(try reader.varint())
                let valueStart = reader.position
                _ = try reader.bytes(valueLength)
                spans.append((keyStart, keyLength, valueStart, valueLength))
            }
        } catch {
            bytes.deallocate()
            return nil
        }
        self.bytes = UnsafeRawBufferPointer(bytes)
        self.spans = spans
    }

    deinit { bytes.deallocate() }

    func key(_ position: Int) -> UnsafeRawBufferPointer {
        let span = spans[position]
        return UnsafeRawBufferPointer(rebasing: bytes[span.0..<(span.0 + span.1)])
    }

    func value(_ position: Int) -> UnsafeRawBufferPointer {
        let span = spans[position]
        return UnsafeRawBufferPointer(rebasing: bytes[span.2..<(span.2 + span.3)])
    }

    /// The first position whose key is ≥ `key`.
    func lowerBound(_ key: UnsafeRawBufferPointer) -> Int {
        var low = 0
        var high = spans.count
        while low < high {
            let middle = (low + high) / 2
            if compareBytes(self.key(middle), key) < 0 { low = middle + 1 } else { high = middle }
        }
        return low
    }
}

/// Why a snapshot does not decode.
struct SnapshotFormatError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
