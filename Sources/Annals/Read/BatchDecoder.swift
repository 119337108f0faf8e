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
        decode(records, txn, parallel: true) { event throws(AnnalsError) in event }
    }

    /// Decodes `records` and maps each event through `transform` on the same worker (so per-event work such as
    /// parsing metadata is spread across the cores too), in order, stopping at the first damaged record or the
    /// first event `transform` throws for. Events it maps to `nil` are left out.
    /// - Parameter parallel: `false` decodes on the calling thread, for a caller that already keeps the other
    ///   cores busy.
    /// - Returns: The values before the first failure, and the failure if there is one.
    func decode<Value>(
        _ records: [(offset: UInt64, record: UnsafeRawBufferPointer)], _ txn: borrowing Transaction,
        parallel: Bool, transform: @Sendable (RecordedEvent) throws(AnnalsError) -> Value?
    ) -> (events: [Value], failure: AnnalsError?) {
        if !parallel || decoders.count == 1 || records.count < Self.parallelThreshold {
            return decodeSequentially(records, txn, transform: transform)
        }
        // Load every dictionary the chunk needs while this thread holds the transaction.
        var dictionaryIDs = Set<UInt32>()
        for (_, record) in records
        where record.count >= RecordHeader.size && record[1] == PayloadCodec.zstdDictionary.rawValue {
            dictionaryIDs.insert(UInt32(bigEndianBytes: record, at: 2))
        }
        for id in dictionaryIDs {
            // A dictionary that cannot be loaded is reported by the sequential path, at the record that needs it.
            guard (try? registry.dictionary(id, txn)) != nil else {
                return decodeSequentially(records, txn, transform: transform)
            }
        }

        let count = records.count
        let results = UnsafeMutableBufferPointer<Result<Value?, AnnalsError>>.allocate(capacity: count)
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
                            try transform(
                                try decoder.decode(
                                    offset: offset, record, dictionary: { id in try shared.registry.cached(id) }))
                        })
                }
            }
        }
        // Move the results out (no retain/release per event); every slot is moved exactly once.
        var events: [Value] = []
        events.reserveCapacity(count)
        var failure: AnnalsError?
        for i in 0..<count {
            switch (results.baseAddress! + i).move() {
            case .success(let value): if failure == nil, let value { events.append(value) }
            case .failure(let error): if failure == nil { failure = error }
            }
        }
        return (events, failure)
    }
}

extension BatchDecoder {
    /// Decodes on the calling thread, stopping at the first damaged record.
    fileprivate func decodeSequentially<Value>(
        _ records: [(offset: UInt64, record: UnsafeRawBufferPointer)], _ txn: borrowing Transaction,
        transform: (RecordedEvent) throws(AnnalsError) -> Value?
    ) -> (events: [Value], failure: AnnalsError?) {
        var events: [Value] = []
        events.reserveCapacity(records.count)
        for (offset, record) in records {
            do throws(AnnalsError) {
                if let value = try transform(try decoders[0].decode(offset: offset, record, txn)) {
                    events.append(value)
                }
            } catch {
                return (events, error)
            }
        }
        return (events, nil)
    }
}

/// What the workers of one ``BatchDecoder/decode(_:_:)`` call share; safe because each writes a disjoint slice.
private struct SharedChunk<Value>: @unchecked Sendable {
    let decoders: [RecordDecoder]
    let registry: DictionaryRegistry
    let input: UnsafeBufferPointer<(offset: UInt64, record: UnsafeRawBufferPointer)>
    let results: UnsafeMutableBufferPointer<Result<Value?, AnnalsError>>
}
