import Dispatch
import Foundation
import LMDB

/// Decodes the records of one read chunk, splitting large chunks across the CPU cores.
///
/// Record pointers point into LMDB's memory map and stay valid while the read transaction that produced them is
/// open; the workers only read that memory and never touch the transaction (dictionaries are loaded through it
/// first, then shared from the cache). Each worker has its own ``RecordDecoder`` (a zstd context is single-threaded).
final class BatchDecoder {
    /// Chunks smaller than this are decoded on the calling thread.
    static let parallelThreshold = 128

    fileprivate let decoders: [RecordDecoder]
    private let registry: DictionaryRegistry

    init(store: EventStore) {
        let workers = max(1, min(ProcessInfo.processInfo.activeProcessorCount, 4))
        decoders = (0..<workers).map { _ in store.makeDecoder() }
        registry = store.registry
    }

    /// Decodes `records`, in order, stopping at the first damaged one.
    /// - Returns: The events before the first damaged record, and its error if there is one.
    func decode(_ records: [(offset: UInt64, record: UnsafeRawBufferPointer)], _ txn: borrowing Transaction)
        -> (events: [RecordedEvent], failure: AnnalsError?)
    {
        if decoders.count == 1 || records.count < Self.parallelThreshold {
            return decodeSequentially(records, txn)
        }
        // Load every dictionary the chunk needs while this thread holds the transaction.
        var dictionaryIDs = Set<UInt32>()
        for (_, record) in records
        where record.count >= RecordHeader.taggedSize && record[1] == PayloadCodec.zstdDictionary.rawValue {
            dictionaryIDs.insert(UInt32(bigEndianBytes: record, at: 2))
        }
        for id in dictionaryIDs {
            // A dictionary that cannot be loaded is reported by the sequential path, at the record that needs it.
            guard (try? registry.dictionary(id, txn)) != nil else { return decodeSequentially(records, txn) }
        }

        // Each slice uses only its own decoder; the results are moved out in order, not copied.
        let registry = self.registry
        let (events, failure) = collectInParallelSlices(count: records.count, slices: decoders.count) {
            slice, range, output in
            let decoder = decoders[slice]
            records.withUnsafeBufferPointer { records in
                for index in range {
                    let (offset, record) = records[index]
                    output.store(
                        Result { () throws(AnnalsError) in
                            try decoder.decode(
                                offset: offset, record, dictionary: { id in try registry.cached(id) })
                        }, at: index)
                }
            }
        }
        return (events, failure)
    }
}

extension BatchDecoder {
    /// Decodes on the calling thread, stopping at the first damaged record.
    fileprivate func decodeSequentially(
        _ records: [(offset: UInt64, record: UnsafeRawBufferPointer)], _ txn: borrowing Transaction
    ) -> (events: [RecordedEvent], failure: AnnalsError?) {
        var events: [RecordedEvent] = []
        events.reserveCapacity(records.count)
        for (offset, record) in records {
            do {
                events.append(try decoders[0].decode(offset: offset, record, txn))
            } catch {
                return (events, error)
            }
        }
        return (events, nil)
    }
}

extension BatchDecoder {
    /// Decodes `records` like ``decode(_:_:)`` and turns the events that pass `include` into ``ProjectedEvent``s,
    /// parsing their metadata on every core too (unless `parallel` is `false`: then all on the calling thread, for a
    /// caller that keeps the other cores busy), in order, stopping at the first damaged record or metadata.
    func decodeProjected(
        _ records: [(offset: UInt64, record: UnsafeRawBufferPointer)], _ txn: borrowing Transaction, parallel: Bool,
        including include: @Sendable (RecordedEvent) -> Bool
    ) -> (events: [ProjectedEvent], failure: AnnalsError?) {
        let (events, failure) = parallel ? decode(records, txn) : decodeSequentially(records, txn)
        var projected: [ProjectedEvent] = []
        projected.reserveCapacity(events.count)
        var parseFailure: AnnalsError?
        inParallelSlices(
            count: events.count,
            slices: parallel && events.count >= Self.parallelThreshold ? decoders.count : 1,
            { _, range, output in
                events.withUnsafeBufferPointer { events in
                    for index in range {
                        let event = events[index]
                        output.store(
                            Result { () throws(AnnalsError) in include(event) ? try ProjectedEvent(event) : nil },
                            at: index)
                    }
                }
            },
            inOrder: { result in
                switch result {
                case .success(let event): if parseFailure == nil, let event { projected.append(event) }
                case .failure(let error): if parseFailure == nil { parseFailure = error }
                }
            })
        // A record that does not decode comes after every decoded event, so bad metadata before it is reported first.
        return (projected, parseFailure ?? failure)
    }
}
