/// What a verification gathers from the events it checks, on every core at once: each worker fills a tally of its
/// own (a copy of the empty one the caller passes) with the events of the ranges it checks, and the workers' tallies
/// are combined at the end.
///
/// An event is added once its header, payload and envelope check out, whatever its link in the chain says. A worker
/// adds its events in offset order, but the workers' events interleave: a tally whose result depends on order must
/// sort by offset when it is read, so that the same records give the same result however they were cut into ranges.
protocol EventTally {
    /// Whether the checks hand it events (`false`: a verification alone, which drops them where they are decoded).
    static var takesEvents: Bool { get }

    /// Adds an intact event.
    mutating func add(_ event: RecordedEvent)

    /// Adds another worker's tally.
    mutating func combine(_ other: consuming Self)
}

/// The tally of a verification alone: it takes nothing.
struct NoTally: EventTally {
    static var takesEvents: Bool { false }
    func add(_ event: RecordedEvent) {}
    func combine(_ other: consuming NoTally) {}
}
