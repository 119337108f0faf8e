import Foundation

/// An event checked and canonicalized by the appending thread, ready for the writer.
struct PreparedEvent: Sendable {
    let event: NewEvent
    let timestamp: Int64
    /// The metadata as canonical JSON.
    let metadataJSON: [UInt8]

    /// Validates `event` (the envelope rules; the size is checked once encoded) and canonicalizes its metadata.
    init(_ event: NewEvent, index: Int, now: Int64) throws(AnnalsError) {
        try EventValidation.validate(event, index: index)
        self.event = event
        self.timestamp = event.timestamp ?? now
        self.metadataJSON = event.metadata.canonicalBytes
    }
}

/// One atomic batch queued for the writer thread, with the callback that receives its outcome.
final class AppendRequest: @unchecked Sendable {
    let events: [PreparedEvent]
    /// A cursor to acknowledge in the same transaction, if the batch commits (exactly-once consumers).
    let acknowledgement: CursorAcknowledgement?
    let completion: @Sendable (Result<[AppendReceipt], AnnalsError>) -> Void

    init(
        events: [PreparedEvent], acknowledgement: CursorAcknowledgement? = nil,
        completion: @escaping @Sendable (Result<[AppendReceipt], AnnalsError>) -> Void
    ) {
        self.events = events
        self.acknowledgement = acknowledgement
        self.completion = completion
    }
}

/// Work for the writer thread: a batch to group-commit, or a closure to run in its own write transaction.
enum WriterTask: @unchecked Sendable {
    case append(AppendRequest)
    case transaction(body: (borrowing LMDB.Transaction) throws -> Void, completion: @Sendable ((any Error)?) -> Void)
}

import LMDB
