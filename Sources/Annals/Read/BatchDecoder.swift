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
        // A dictionary that cannot be loaded is reported by the sequential path, at the record that needs it.
        guard loadDictionaries(records, txn) else { return decodeSequentially(records, txn) }

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
    /// Loads every dictionary `records` need into the registry's cache while this thread holds the transaction, so
    /// that workers can decode them through ``DictionaryRegistry/cached(_:)``.
    /// - Returns: `false` when one cannot be loaded.
    fileprivate func loadDictionaries(
        _ records: [(offset: UInt64, record: UnsafeRawBufferPointer)], _ txn: borrowing Transaction
    ) -> Bool {
        var dictionaryIDs = Set<UInt32>()
        for (_, record) in records
        where record.count >= RecordHeader.taggedSize && record[1] == PayloadCodec.zstdDictionary.rawValue {
            dictionaryIDs.insert(UInt32(bigEndianBytes: record, at: 2))
        }
        return dictionaryIDs.allSatisfy { id in (try? registry.dictionary(id, txn)) != nil }
    }

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
        let parallel =
            parallel && decoders.count > 1 && records.count >= Self.parallelThreshold && loadDictionaries(records, txn)
        guard parallel else { return decodeProjectedSequentially(records, txn, including: include) }
        // Each record is decoded and projected by the slice that owns it, so the recorded event is consumed where it
        // is made, and the first failure in log order ends the chunk, whether the record or its metadata is bad.
        var projected: [ProjectedEvent] = []
        projected.reserveCapacity(records.count)
        var failure: AnnalsError?
        // A flag, not `failure == nil`: comparing an optional error copies it, once per event.
        var failed = false
        let registry = self.registry
        inParallelSlices(
            count: records.count, slices: decoders.count,
            { slice, range, output in
                let decoder = decoders[slice]
                records.withUnsafeBufferPointer { records in
                    for index in range {
                        let (offset, record) = records[index]
                        output.store(
                            Result { () throws(AnnalsError) in
                                let event = try decoder.decode(
                                    offset: offset, record, dictionary: { id in try registry.cached(id) })
                                return include(event) ? try ProjectedEvent(event) : nil
                            }, at: index)
                    }
                }
            },
            inOrder: { result in
                guard !failed else { return }
                switch result {
                case .success(let event?): projected.append(event)
                case .success(nil): break
                case .failure(let error): (failure, failed) = (error, true)
                }
            })
        return (projected, failure)
    }

    /// ``decodeProjected(_:_:parallel:including:)`` on the calling thread.
    private func decodeProjectedSequentially(
        _ records: [(offset: UInt64, record: UnsafeRawBufferPointer)], _ txn: borrowing Transaction,
        including include: @Sendable (RecordedEvent) -> Bool
    ) -> (events: [ProjectedEvent], failure: AnnalsError?) {
        var projected: [ProjectedEvent] = []
        projected.reserveCapacity(records.count)
        for (offset, record) in records {
            do throws(AnnalsError) {
                let event = try decoders[0].decode(offset: offset, record, txn)
                if include(event) { projected.append(try ProjectedEvent(event)) }
            } catch {
                return (projected, error)
            }
        }
        return (projected, nil)
    }
}
