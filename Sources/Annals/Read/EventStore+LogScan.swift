import Foundation

extension EventStore {
    /// Reads every event up to `head`, in short transactions, handing each to `body` with whether its id was
    /// supplied by the client.
    func scanLog(
        through head: UInt64, progress: ((UInt64) -> Void)?, _ body: (RecordedEvent, Bool) throws -> Void
    ) throws {
        guard head > 0 else { return }
        var reader = events(EventQuery(to: head)).makeReader()
        var count: UInt64 = 0
        while let event = try reader.next() {
            try body(event, hasClientID(event))
            count += 1
            if count % 65_536 == 0 { progress?(event.offset) }
        }
        progress?(head)
    }

    /// Whether `event`'s id was supplied by a client: ids the engine assigns have no `ids` entry.
    func hasClientID(_ event: RecordedEvent) -> Bool {
        identity.offset(ofAssigned: event.id) == nil
    }
}
