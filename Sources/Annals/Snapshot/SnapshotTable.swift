import CZstd

/// One table of a snapshot: its compressed frame, decompressed and indexed on first use, so that time travel pays
/// only for the tables its replay reads (a one-thing query never touches the knowledge view's search tables).
///
/// The frame's bytes were covered by the snapshot's CRC-32C when it was loaded; a frame that still fails to
/// decompress is reported as ``AnnalsError/corruptSnapshot(offset:reason:)`` by the query that needed it.
final class SnapshotTable: @unchecked Sendable {
    let name: String
    let entries: Int
    private let offset: UInt64
    private let frame: [UInt8]
    private let length: Int
    private var loaded: (bytes: UnsafeMutableRawBufferPointer, spans: [(Int, Int, Int, Int)])?

    init(name: String, entries: Int, frame: [UInt8], uncompressedLength: Int, snapshotOffset: UInt64) {
        self.name = name
        self.entries = entries
        self.frame = frame
        self.length = uncompressedLength
        self.offset = snapshotOffset
    }

    deinit { loaded?.bytes.deallocate() }

    /// The decompressed entries and their spans (key start, key length, value start, value length), sorted by key.
    func contents() throws(AnnalsError) -> (bytes: UnsafeRawBufferPointer, spans: [(Int, Int, Int, Int)]) {
        if let loaded { return (UnsafeRawBufferPointer(loaded.bytes), loaded.spans) }
        let output = UnsafeMutableRawBufferPointer.allocate(byteCount: max(length, 1), alignment: 8)
        let size = frame.withUnsafeBytes { ZSTD_decompress(output.baseAddress, length, $0.baseAddress, $0.count) }
        guard ZSTD_isError(size) == 0, size == length else {
            output.deallocate()
            throw .corruptSnapshot(offset: offset, reason: "table \(name) does not decompress to \(length) bytes")
        }
        var spans: [(Int, Int, Int, Int)] = []
        spans.reserveCapacity(entries)
        var reader = ByteReader(UnsafeRawBufferPointer(rebasing: output[0..<length]))
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
            output.deallocate()
            throw .corruptSnapshot(offset: offset, reason: "table \(name) is truncated")
        }
        loaded = (output, spans)
        return (UnsafeRawBufferPointer(output), spans)
    }
}

/// Why a snapshot does not decode.
struct SnapshotFormatError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
