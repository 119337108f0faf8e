/// What a verification gathers from the events it checks, on every core at once: each range of records fills a
/// tally of its own (a copy of the empty one the caller passes), and the tallies are appended to each other in
/// offset order.
///
/// An event is added once its header, payload and envelope check out, whatever its link in the chain says; so the
/// same records give the same tally however they were cut into ranges.
protocol EventTally {
    /// Whether the checks hand it events (`false`: a verification alone, which drops them where they are decoded).
    static var takesEvents: Bool { get }

    /// Adds an intact event.
    mutating func add(_ event: RecordedEvent)

    /// Appends the tally of the records that come after this tally's.
    mutating func append(_ later: consuming Self)
}

/// The tally of a verification alone: it takes nothing.
struct NoTally: EventTally {
    static var takesEvents: Bool { false }
    func add(_ event: RecordedEvent) {}
    func append(_ later: consuming NoTally) {}
}
