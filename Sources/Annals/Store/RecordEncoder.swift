import Foundation

/// Turns a group's envelopes into stored records: compression and CRC-32C on every core for a large group, then the
/// hash chain in offset order, which only one thread can follow.
///
/// Used on the writer thread only. The slices of a parallel pass touch no transaction: each compresses its part of
/// the group with its own zstd context (``inParallelSlices(count:slices:_:inOrder:)``), and the dictionary's prepared
/// form is shared read-only.
final class RecordEncoder {
    /// Groups smaller than this are encoded on the writer thread alone: handing out work would cost more than it
    /// saves.
    static let parallelThreshold = 256

    private let compressors: [ZstdCompressor]

    /// An encoder with one zstd context per worker, at most `workers` of them.
    init(level: Int32, workers: Int = ProcessInfo.processInfo.activeProcessorCount) {
        compressors = (0..<max(1, min(workers, 8))).map { _ in ZstdCompressor(level: level) }
    }

    /// A record whose header still lacks its chain link.
    struct Encoded {
        /// The record bytes: room for the header (its size known from the offset), then the stored payload.
        var value: [UInt8]
        var codec: PayloadCodec
        var checksum: UInt32
    }

    /// Compresses and checksums `payloads` (the envelopes of `offsets`, in order), in parallel when there are many.
    func encode(
        _ payloads: [[UInt8]], offsets: [UInt64], dictionary: ZstdDictionary?
    ) throws -> [Encoded] {
        let count = payloads.count
        let slices = count >= Self.parallelThreshold ? compressors.count : 1
        let (encoded, failure) = collectInParallelSlices(count: count, slices: slices) { slice, range, output in
            let compressor = compressors[slice]
            for index in range {
                output.store(
                    Result { () throws -> Encoded? in
                        try Self.encodeOne(payloads[index], offset: offsets[index], compressor, dictionary)
                    },
                    at: index)
            }
        }
        if let failure { throw failure }
        return encoded
    }

    private static func encodeOne(
        _ payload: [UInt8], offset: UInt64, _ compressor: ZstdCompressor, _ dictionary: ZstdDictionary?
    ) throws -> Encoded {
        try payload.withUnsafeBytes { payload in
            let headerSize = RecordHeader.size(forRecordAt: offset)
            return try compressor.withCompressed(payload, dictionary: dictionary) { codec, stored in
                var value = [UInt8](repeating: 0, count: headerSize)
                value.append(contentsOf: stored)
                return Encoded(value: value, codec: codec, checksum: CRC32C.checksum(payload))
            }
        }
    }
}
