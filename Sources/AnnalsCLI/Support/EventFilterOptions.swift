import Annals
import ArgumentParser

/// The filters shared by `read`, `replay` and `audit`.
struct EventFilterOptions: ParsableArguments {
    @Option(help: "The first offset to include.")
    var from: WholeNumber<UInt64> = 1

    @Option(help: "The last offset to include.")
    var to: WholeNumber<UInt64>?

    @Option(
        name: .customLong("type"),
        help: ArgumentHelp(
            "Only this event type, or a pattern with * (any run of characters) and ? (one character), such as "
                + "thing.* (repeatable).", valueName: "type"))
    var types: [String] = []

    @Option(help: "Only events by this actor.")
    var actor: String?

    @Option(help: "Only events on this target stream.")
    var target: String?

    @Option(help: "Only events of this group.")
    var group: String?

    @Option(help: ArgumentHelp("Only events at or after this time (ms since 1970 or ISO 8601).", valueName: "time"))
    var since: TimeArgument?

    @Option(help: ArgumentHelp("Only events before this time (ms since 1970 or ISO 8601).", valueName: "time"))
    var until: TimeArgument?

    func validate() throws {
        try Self.checkTypePatterns(types)
        // No event has an actor, target or group the engine's rule for ids refuses (an empty one, from an unset shell
        // variable; one with a control character; one over 256 bytes): such a filter is a mistake.
        try OntologyArguments.checkIdentifiers([actor, target, group], flags: ["--actor", "--target", "--group"])
        if from.value == 0 { throw ValidationError("--from must be at least 1 (offsets start at 1)") }
        if let to, to.value < from.value {
            throw ValidationError("--to (\(to.value)) is before --from (\(from.value))")
        }
        if let since, let until, until.milliseconds <= since.milliseconds {
            throw ValidationError("--until must be after --since")
        }
    }

    /// Refuses a `--type` that is not an exact type or a pattern (``EventFilter/isValidPattern(_:)``): exit 64.
    static func checkTypePatterns(_ types: [String]) throws {
        for pattern in types where !EventFilter.isValidPattern(pattern) {
            throw ValidationError("--type '\(pattern)' must be 1–128 characters of A-Z a-z 0-9 _ . : - * ?")
        }
    }

    /// The query these filters describe, ending at `last` at the latest.
    func query(through last: UInt64 = .max) -> EventQuery {
        EventQuery(
            from: from.value, to: min(to?.value ?? .max, last), types: types, actorId: actor, targetId: target,
            groupId: group,
            since: since?.milliseconds, until: until?.milliseconds)
    }
}
