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
        decodeEach(records, txn, parallel: true) { event in event }
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
}

extension BatchDecoder {
    /// Decodes `records` like ``decode(_:_:)`` and turns the events that pass `include` into ``ProjectedEvent``s,
    /// parsing their metadata on every core too (unless `parallel` is `false`: then all on the calling thread, for a
    /// caller that keeps the other cores busy), in order, stopping at the first damaged record or metadata.
    func decodeProjected(
        _ records: [(offset: UInt64, record: UnsafeRawBufferPointer)], _ txn: borrowing Transaction, parallel: Bool,
        including include: @Sendable (RecordedEvent) -> Bool
    ) -> (events: [ProjectedEvent], failure: AnnalsError?) {
        decodeEach(records, txn, parallel: parallel) { event throws(AnnalsError) in
            include(event) ? try ProjectedEvent(event) : nil
        }
    }

    /// Decodes each record and hands the event to `transform` (which keeps it, turned into a `T`, or drops it with
    /// `nil`), in order, stopping at the first failure of either. Large chunks are decoded on every core when
    /// `parallel` is `true`: each record is decoded and transformed by the slice that owns it, so the recorded event
    /// is consumed where it is made. A dictionary that cannot be loaded sends the chunk to the sequential path, which
    /// reports it at the record that needs it.
    private func decodeEach<T>(
        _ records: [(offset: UInt64, record: UnsafeRawBufferPointer)], _ txn: borrowing Transaction, parallel: Bool,
        _ transform: (consuming RecordedEvent) throws(AnnalsError) -> T?
    ) -> (events: [T], failure: AnnalsError?) {
        guard
            parallel && decoders.count > 1 && records.count >= Self.parallelThreshold && loadDictionaries(records, txn)
        else {
            var values: [T] = []
            values.reserveCapacity(records.count)
            for (offset, record) in records {
                do throws(AnnalsError) {
                    if let value = try transform(try decoders[0].decode(offset: offset, record, txn)) {
                        values.append(value)
                    }
                } catch {
                    return (values, error)
                }
            }
            return (values, nil)
        }
        let (events, failure) = collectInParallelSlices(count: records.count, slices: decoders.count) {
            slice, range, output in
            let decoder = decoders[slice]
            let dictionary = cachedDictionaries()
            records.withUnsafeBufferPointer { records in
                for index in range {
                    let (offset, record) = records[index]
                    output.store(
                        Result { () throws(AnnalsError) in
                            try transform(try decoder.decode(offset: offset, record, dictionary: dictionary))
                        }, at: index)
                }
            }
        }
        return (events, failure)
    }

    /// A dictionary lookup for one worker, through the registry's cache (no transaction): it keeps its own reference
    /// to the dictionary it last used, since the registry's lock, taken by every worker for every record, kept a
    /// cache line moving between the cores.
    fileprivate func cachedDictionaries() -> (UInt32) throws -> ZstdDictionary {
        let registry = self.registry
        var recent: ZstdDictionary?
        return { id in
            if let recent, recent.id == id { return recent }
            let loaded = try registry.cached(id)
            recent = loaded
            return loaded
        }
    }
}

extension BatchDecoder {
    /// Runs `produce` over `records` cut into `ranges` (at most one per core), each range on its own core with its
    /// own decoder and a dictionary lookup that needs no transaction, then hands the results to `consume` in order.
    ///
    /// A single range, or a dictionary that cannot be loaded first, runs the whole of `records` as one range on the
    /// calling thread with the first decoder, looking dictionaries up through `txn`: a failure to load one is then
    /// reported at the record that needs it.
    func forEachRange<T>(
        _ records: [(offset: UInt64, record: UnsafeRawBufferPointer)], _ txn: borrowing Transaction,
        ranges: [Range<Int>],
        _ produce: (
            _ decoder: RecordDecoder, _ dictionary: (UInt32) throws -> ZstdDictionary, _ slice: Int,
            _ range: Range<Int>, _ output: SliceOutput<T>
        ) -> Void,
        inOrder consume: (consuming T) -> Void
    ) {
        precondition(ranges.count <= decoders.count, "a range for each decoder at most")
        guard ranges.count > 1 && loadDictionaries(records, txn) else {
            let registry = self.registry
            let decoder = decoders[0]
            inParallelRanges(
                [0..<records.count],
                { slice, range, output in
                    produce(decoder, { id in try registry.dictionary(id, txn) }, slice, range, output)
                }, inOrder: consume)
            return
        }
        inParallelRanges(
            ranges,
            { slice, range, output in
                produce(decoders[slice], cachedDictionaries(), slice, range, output)
            }, inOrder: consume)
    }

    /// How many ranges ``forEachRange(_:_:ranges:_:inOrder:)`` can run at once.
    var workers: Int { decoders.count }

    /// The decoder for work on the calling thread outside ``forEachRange(_:_:ranges:_:inOrder:)``.
    var callingThreadDecoder: RecordDecoder { decoders[0] }
}
