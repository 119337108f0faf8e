import Annals

/// The events of one run, generated once before anything is timed: as JSON lines for the baselines and as
/// ``NewEvent`` values (metadata already parsed) for the engine.
struct BenchWorkload: Sendable {
    /// The generated events, in order.
    let events: [WorkloadEvent]
    /// The same events as the engine takes them, in the same order.
    let newEvents: [NewEvent]
    /// The sum of every event's `jsonLine` size: the raw JSON the storage figure divides by.
    let rawJSONBytes: Int

    /// Generates `count` events from `seed` and converts them for the engine.
    /// - Throws: `JSONParseError` if the generator ever produced metadata the engine's parser rejects.
    static func make(count: Int, seed: UInt64) throws -> BenchWorkload {
        var generator = WorkloadGenerator(seed: seed)
        let events = generator.make(count)
        var newEvents: [NewEvent] = []
        newEvents.reserveCapacity(count)
        var rawJSONBytes = 0
        for event in events {
            newEvents.append(
                NewEvent(
                    type: event.type, actorId: event.actorId, targetId: event.targetId, groupId: event.groupId,
                    metadata: try JSONParser.parse(event.metadataJSON)))
            rawJSONBytes += event.jsonLine.count
        }
        return BenchWorkload(events: events, newEvents: newEvents, rawJSONBytes: rawJSONBytes)
    }

    /// The engine events cut into consecutive batches of `size` (the last one may be shorter).
    func batches(of size: Int) -> [[NewEvent]] {
        precondition(size > 0, "the batch size must be positive")
        return stride(from: 0, to: newEvents.count, by: size).map {
            Array(newEvents[$0..<min($0 + size, newEvents.count)])
        }
    }
}

extension StoreOptions {
    /// The options of every store the log benchmarks (`append.*`, `read.scan`, `storage`, `subscribe.catchup`,
    /// `replay.audit`, `tail.latency`) write: the defaults without projections, a bare log.
    ///
    /// Those figures were defined, and recorded, before projections existed, and the workload carries two
    /// vocabulary types (`thing.deleted` about things it never created, `knowledge.added` without `thingId` and
    /// `text`) that the default projections would reject. `append.batch.projected` measures what projections cost.
    static var bareLog: StoreOptions { StoreOptions(projections: []) }
}
