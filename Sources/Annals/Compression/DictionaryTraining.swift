import Foundation
import LMDB

/// A trained dictionary, as ``EventStore/trainDictionary(sampleLimit:)`` reports it.
public struct DictionaryInfo: Sendable, Hashable {
    /// The store-assigned id (records name it in their header).
    public var id: UInt32
    /// The dictionary's size in bytes.
    public var size: Int
    /// How many event payloads it was trained from.
    public var samples: Int
    /// The log's last offset when the samples were taken.
    public var trainedAtOffset: UInt64
}

/// Trains dictionaries automatically in the background: the first once the log holds
/// ``StoreOptions/dictionaryTrainingThreshold`` events, then each time it has grown eightfold since the last.
///
/// The offset of the last training is cached, and read again from the store before a training starts: another
/// process appending to the store trains too, and the writers of several processes must not each train at every
/// step.
final class DictionaryTraining: @unchecked Sendable {
    /// How many recent events a training samples.
    static let sampleLimit = 10_000
    /// The most bytes of one payload a training takes (its start): a dictionary serves small events, and a few large
    /// ones must not make a training hold gigabytes.
    static let maximumSampleBytes = 16 << 10
    /// The most sample bytes a training holds in all: about a hundred times the largest dictionary (64 KiB), what
    /// zstd's trainer needs. Training stops sampling there, however many events `sampleLimit` allows.
    static let sampleBudget = 8 << 20

    weak var store: EventStore?
    private let threshold: Int
    private let background = BackgroundWork(name: "annals.training")
    /// The offset the current dictionary was trained at; loaded on first use.
    private var trainedAt: UInt64??
    /// After a failed first training, the head at which to try again.
    private var nextFirstAttempt: UInt64 = 0

    init(threshold: Int) {
        self.threshold = threshold
    }

    /// Called on the writer thread after a commit: starts a training when due. Cheap when nothing is due.
    func considerTraining(head: UInt64) {
        guard threshold > 0, let store else { return }
        background.start(ifDue: { () -> Bool in
            if trainedAt == nil { trainedAt = .some(Self.storedTrainedAt(store)) }
            let last = trainedAt!
            return last == nil
                ? head >= max(UInt64(threshold), nextFirstAttempt) : Self.isRetrainingDue(head: head, trainedAt: last!)
        }) { [self] in
            let stored = Self.storedTrainedAt(store)
            let known = background.withLock { trainedAt! }
            if let stored, stored != known, !Self.isRetrainingDue(head: head, trainedAt: stored) {
                // Another process trained since this one looked.
                background.withLock { trainedAt = .some(stored) }
                return
            }
            let trained = Result { () throws(AnnalsError) in
                try store.trainDictionary(sampleLimit: Self.sampleLimit, unlessTrainedSince: known)
            }
            background.withLock {
                if case .success(nil) = trained {
                    // Another process trained while this one did: its dictionary is the current one.
                    trainedAt = .some(Self.storedTrainedAt(store))
                } else if case .success(let info?) = trained {
                    trainedAt = .some(info.trainedAtOffset)
                } else if trainedAt! == nil {
                    // Too few or too uniform events: try again once the log has doubled.
                    nextFirstAttempt = max(nextFirstAttempt, head * 2)
                } else {
                    // A failed retraining waits for the next eightfold growth.
                    trainedAt = .some(head)
                }
            }
        }
    }

    /// Whether a new dictionary is due at `head` when the current one was trained at `trainedAt`: once the log has
    /// grown eightfold. Without overflow: a damaged `meta` value may be near 2^64, and then none is due.
    static func isRetrainingDue(head: UInt64, trainedAt: UInt64) -> Bool {
        let (due, overflow) = max(trainedAt, 1).multipliedReportingOverflow(by: 8)
        return !overflow && head >= due
    }

    /// The offset the store's current dictionary was trained at, as its `meta` says now (`nil` for none, or when it
    /// cannot be read).
    private static func storedTrainedAt(_ store: EventStore) -> UInt64? {
        try? store.environment.read { txn in try txn.metaU64(store.schema, MetaKey.dictionaryTrainedAt) }
    }

    /// Prevents new trainings and, when `wait` is true, waits for a running one to finish.
    func stop(wait: Bool = true) { background.stop(wait: wait) }
}

extension EventStore {
    /// Trains a new zstd dictionary from the payloads of the most recent events and makes it the one new records
    /// are compressed with. Older dictionaries are kept, so every record stays readable.
    ///
    /// Memory is bounded whatever the events' size: each sample is at most the first 16 KiB of a payload, and
    /// sampling stops at 8 MiB of samples (``DictionaryTraining/sampleBudget``).
    /// - Parameter sampleLimit: How many recent events to sample (at most; at least 1).
    /// - Throws: ``AnnalsError/invalidArgument(_:)`` for a `sampleLimit` below 1; ``AnnalsError/compression(_:)``
    ///   when zstd cannot train from the samples (too few or too alike).
    @discardableResult
    public func trainDictionary(sampleLimit: Int = 10_000) throws(AnnalsError) -> DictionaryInfo {
        guard sampleLimit >= 1 else { throw .invalidArgument("sampleLimit must be at least 1, got \(sampleLimit)") }
        return try trainDictionary(sampleLimit: sampleLimit, unlessTrainedSince: nil)!
    }

    /// ``trainDictionary(sampleLimit:)``, except that with `known` (automatic training: the offset the current
    /// dictionary was trained at as this process last read it, `.some(nil)` for none) nothing is saved when the
    /// transaction that would save it finds another dictionary, trained meanwhile by another process appending to
    /// the store, recent enough that this training would not be due.
    /// - Returns: The dictionary, or `nil` when another one made it unnecessary.
    func trainDictionary(sampleLimit: Int, unlessTrainedSince known: UInt64??) throws(AnnalsError) -> DictionaryInfo? {
        let decoder = makeDecoder()
        let (samples, head): ([[UInt8]], UInt64)
        do {
            (samples, head) = try environment.read { txn in
                let head = try txn.lastOffset(schema)
                var samples: [[UInt8]] = []
                var sampled = 0
                try txn.withCursor(schema.events) { cursor in
                    var entry = try cursor.get(.last)
                    while let current = entry, samples.count < sampleLimit, sampled < DictionaryTraining.sampleBudget {
                        try decoder.withPayload(current.value, txn) { _, payload in
                            samples.append(Array(payload.prefix(DictionaryTraining.maximumSampleBytes)))
                        }
                        sampled += samples.last?.count ?? 0
                        entry = try cursor.get(.previous)
                    }
                }
                return (samples, head)
            }
        } catch {
            throw AnnalsError(error)
        }
        let bytes: [UInt8]
        do {
            bytes = try DictionaryTrainer.train(samples: samples)
        } catch {
            throw .invalidArgument("cannot train a dictionary from \(samples.count) events: \(error.description)")
        }
        let box = ResultBox<UInt32?>()
        do {
            try write { [schema] txn in
                let stored = try txn.metaU64(schema, MetaKey.dictionaryTrainedAt)
                if let known, let stored, stored != known,
                    !DictionaryTraining.isRetrainingDue(head: head, trainedAt: stored)
                {
                    box.result = .success(nil)
                    return
                }
                let id = try txn.withCursor(schema.dictionaries) { cursor in
                    try cursor.get(.last).map { UInt32(bigEndianBytes: $0.key) + 1 } ?? 1
                }
                try txn.put(schema.dictionaries, key: id.bigEndianBytes, value: bytes, flags: .noOverwrite)
                try txn.put(schema.meta, key: MetaKey.currentDictionary, value: id.bigEndianBytes)
                try txn.setMetaU64(schema, MetaKey.dictionaryTrainedAt, head)
                box.result = .success(id)
            }
        } catch {
            throw AnnalsError(error)
        }
        guard let id = try box.result!.get() else { return nil }
        return DictionaryInfo(id: id, size: bytes.count, samples: samples.count, trainedAtOffset: head)
    }
}
