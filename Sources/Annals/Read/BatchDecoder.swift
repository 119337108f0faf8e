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

        let count = records.count
        let results = UnsafeMutableBufferPointer<Result<RecordedEvent, AnnalsError>>.allocate(capacity: count)
        defer { results.deallocate() }
        let workers = decoders.count
        records.withUnsafeBufferPointer { input in
            // Each worker writes only its own slice of `results` and uses only its own decoder.
            let shared = SharedChunk(decoders: decoders, registry: registry, input: input, results: results)
            DispatchQueue.concurrentPerform(iterations: workers) { worker in
                let decoder = shared.decoders[worker]
                for i in (count * worker / workers)..<(count * (worker + 1) / workers) {
                    let (offset, record) = shared.input[i]
                    (shared.results.baseAddress! + i).initialize(
                        to: Result { () throws(AnnalsError) in
                            try decoder.decode(
                                offset: offset, record, dictionary: { id in try shared.registry.cached(id) })
                        })
                }
            }
        }
        // Move the results out (no retain/release per event); every slot is moved exactly once.
        var events: [RecordedEvent] = []
        events.reserveCapacity(count)
        var failure: AnnalsError?
        for i in 0..<count {
            switch (results.baseAddress! + i).move() {
            case .success(let event): if failure == nil { events.append(event) }
            case .failure(let error): if failure == nil { failure = error }
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

/// What the workers of one ``BatchDecoder/decode(_:_:)`` call share; safe because each writes a disjoint slice.
private struct SharedChunk: @unchecked Sendable {
    let decoders: [RecordDecoder]
    let registry: DictionaryRegistry
    let input: UnsafeBufferPointer<(offset: UInt64, record: UnsafeRawBufferPointer)>
    let results: UnsafeMutableBufferPointer<Result<RecordedEvent, AnnalsError>>
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
        let count = events.count
        let results = UnsafeMutableBufferPointer<Result<ProjectedEvent?, AnnalsError>>.allocate(capacity: count)
        defer { results.deallocate() }
        let workers = parallel && count >= Self.parallelThreshold ? decoders.count : 1
        events.withUnsafeBufferPointer { input in
            let shared = SharedParse(input: input, results: results)
            DispatchQueue.concurrentPerform(iterations: workers) { worker in
                for i in (count * worker / workers)..<(count * (worker + 1) / workers) {
                    let event = shared.input[i]
                    (shared.results.baseAddress! + i).initialize(
                        to: Result { () throws(AnnalsError) in include(event) ? try ProjectedEvent(event) : nil })
                }
            }
        }
        var projected: [ProjectedEvent] = []
        projected.reserveCapacity(count)
        var parseFailure: AnnalsError?
        for i in 0..<count {
            switch (results.baseAddress! + i).move() {
            case .success(let event): if parseFailure == nil, let event { projected.append(event) }
            case .failure(let error): if parseFailure == nil { parseFailure = error }
            }
        }
        // A record that does not decode comes after every decoded event, so bad metadata before it is reported first.
        return (projected, parseFailure ?? failure)
    }
}

/// What the workers of one ``BatchDecoder/decodeProjected(_:_:parallel:including:)`` call share; safe because each
/// writes a disjoint slice.
private struct SharedParse: @unchecked Sendable {
    let input: UnsafeBufferPointer<RecordedEvent>
    let results: UnsafeMutableBufferPointer<Result<ProjectedEvent?, AnnalsError>>
}
