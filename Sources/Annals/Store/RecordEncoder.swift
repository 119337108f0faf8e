import Foundation

/// Turns a group's envelopes into stored records: compression and CRC-32C on every core for a large group, then the
/// hash chain in offset order, which only one thread can follow.
///
/// Used on the writer thread only. The workers of a parallel pass touch no transaction: each compresses its own slice
/// of the group with its own zstd context, and the dictionary's prepared form is shared read-only.
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
        let workers = count >= Self.parallelThreshold ? compressors.count : 1
        if workers == 1 {
            return try (0..<count).map {
                try Self.encodeOne(payloads[$0], offset: offsets[$0], compressors[0], dictionary)
            }
        }
        let results = UnsafeMutableBufferPointer<Result<Encoded, any Error>>.allocate(capacity: count)
        defer {
            results.baseAddress!.deinitialize(count: count)
            results.deallocate()
        }
        let shared = SharedGroup(
            compressors: compressors, payloads: payloads, offsets: offsets, dictionary: dictionary, results: results)
        DispatchQueue.concurrentPerform(iterations: workers) { worker in
            let compressor = shared.compressors[worker]
            for index in (count * worker / workers)..<(count * (worker + 1) / workers) {
                // Each worker initializes only its own slice of `results`.
                shared.results.baseAddress!.advanced(by: index).initialize(
                    to: Result {
                        try Self.encodeOne(
                            shared.payloads[index], offset: shared.offsets[index], compressor, shared.dictionary)
                    })
            }
        }
        return try results.map { try $0.get() }
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

    /// What the workers of one group share: each uses only its own compressor and fills only its own slots.
    private struct SharedGroup: @unchecked Sendable {
        let compressors: [ZstdCompressor]
        let payloads: [[UInt8]]
        let offsets: [UInt64]
        let dictionary: ZstdDictionary?
        let results: UnsafeMutableBufferPointer<Result<Encoded, any Error>>
    }
}
