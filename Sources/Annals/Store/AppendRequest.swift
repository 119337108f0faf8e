import Foundation

/// An event checked and canonicalized by the appending thread, ready for the writer.
struct PreparedEvent: Sendable {
    let event: NewEvent
    let timestamp: Int64
    /// The metadata as canonical JSON.
    let metadataJSON: [UInt8]
    /// Whether an object key of the metadata is not ASCII: ``metadataJSON`` then spells it in normalization form C,
    /// which the event's own value may not (``projectedMetadata``).
    let hasNonASCIIKeys: Bool

    /// The metadata as projections see it in ``ProjectedEvent/metadata``: the event's value when ``metadataJSON``
    /// spells every key as it does, and `nil` (parse ``metadataJSON`` when asked) when a key is not ASCII, so that an
    /// appended event shows a projection the keys a rebuild or time travel, which read them back from the log, show it.
    var projectedMetadata: JSONValue? {
        // Not a ternary: `nil` there would be `JSONValue.null` (it is `ExpressibleByNilLiteral`), not no value.
        if hasNonASCIIKeys { return Optional.none }
        return event.metadata
    }

    /// Validates `event` (the envelope rules; the size is checked once encoded) and canonicalizes its metadata.
    init(_ event: NewEvent, index: Int, now: Int64) throws(AnnalsError) {
        try EventValidation.validate(event, index: index)
        self.event = event
        self.timestamp = event.timestamp ?? now
        var metadataJSON: [UInt8] = []
        // Event metadata is mostly 100–300 bytes: room for it at once (as `canonicalBytes` makes).
        metadataJSON.reserveCapacity(256)
        // What the store's parser would not read back is refused: the record would be unreadable. The metadata
        // nests one level less than the parser allows, so that the event's JSON line holding it reads back too.
        var check = JSONWriter.Check(depthLimit: Self.maximumMetadataDepth)
        JSONWriter.write(event.metadata, into: &metadataJSON, checking: &check)
        if !check.withinDepth {
            throw .invalidEvent(
                index: index, field: "metadata",
                reason: "nests arrays and objects deeper than \(Self.maximumMetadataDepth) levels (itself included)")
        }
        if !check.numbersAreValid,
            let (field, text) = JSONNumberGrammar.firstInvalid(in: event.metadata, at: "metadata")
        {
            throw .invalidEvent(
                index: index, field: field, reason: "'\(Self.shortened(text))' is not a JSON number")
        }
        self.metadataJSON = metadataJSON
        hasNonASCIIKeys = check.hasNonASCIIKeys
    }

    /// How deep metadata may nest arrays and objects, the metadata object included: one level less than
    /// ``JSONParser/maximumDepth``, for the event line around it.
    static let maximumMetadataDepth = JSONParser.maximumDepth - 1

    /// `text` whole up to 40 characters, cut with an ellipsis beyond.
    private static func shortened(_ text: String) -> String {
        text.count <= 40 ? text : String(text.prefix(40)) + "…"
    }

    /// Batches at least this large are prepared on every core: their caller waits for them anyway, and the writer
    /// has nothing of theirs to do until they are queued.
    static let parallelThreshold = 256
    /// Events per slice of a batch prepared on every core: small enough that a worker which wakes late still finds
    /// slices left to take.
    static let parallelSlice = 64

    /// Prepares `events` in order (on every core when there are many), throwing the error of the first that fails.
    static func prepareAll(_ events: [NewEvent], now: Int64) throws(AnnalsError) -> [PreparedEvent] {
        let count = events.count
        guard count >= parallelThreshold, ProcessInfo.processInfo.activeProcessorCount > 1 else {
            var prepared: [PreparedEvent] = []
            prepared.reserveCapacity(count)
            for (index, event) in events.enumerated() {
                prepared.append(try PreparedEvent(event, index: index, now: now))
            }
            return prepared
        }
        let slices = (count + parallelSlice - 1) / parallelSlice
        let (prepared, failure) = collectInParallelSlices(count: count, slices: slices) { _, range, output in
            for index in range {
                output.store(
                    Result { () throws(AnnalsError) -> PreparedEvent? in
                        try PreparedEvent(events[index], index: index, now: now)
                    },
                    at: index)
            }
        }
        if let failure { throw failure }
        return prepared
    }
}

/// One atomic batch queued for the writer thread, with the callback that receives its outcome.
final class AppendRequest: @unchecked Sendable {
    let events: [PreparedEvent]
    /// A cursor to acknowledge in the same transaction, if the batch commits (exactly-once consumers).
    let acknowledgement: CursorAcknowledgement?
    /// What must not have been appended since the batch was computed, if anything.
    let condition: AppendCondition?
    let completion: @Sendable (Result<[AppendReceipt], AnnalsError>) -> Void
    /// How many times the batch has waited for a view behind the log to be caught up (``ViewCatchUp/hold(_:)``);
    /// changed on the writer thread only.
    var catchUpWaits = 0

    init(
        events: [PreparedEvent], acknowledgement: CursorAcknowledgement? = nil, condition: AppendCondition? = nil,
        completion: @escaping @Sendable (Result<[AppendReceipt], AnnalsError>) -> Void
    ) {
        self.events = events
        self.acknowledgement = acknowledgement
        self.condition = condition
        self.completion = completion
    }
}

/// Work for the writer thread: a batch to group-commit, or a closure to run in its own write transaction.
enum WriterTask: @unchecked Sendable {
    case append(AppendRequest)
    case transaction(body: (borrowing LMDB.Transaction) throws -> Void, completion: @Sendable ((any Error)?) -> Void)
}

import LMDB
