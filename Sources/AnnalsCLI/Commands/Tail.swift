import Annals
import ArgumentParser

/// `annals tail`: durable events as they arrive, for scripts.
struct Tail: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print durable events and, with --follow, keep printing new ones as they are committed.",
        discussion: """
            With --cursor NAME the position is stored in the store: the next run resumes after the last line this \
            one wrote, and the cursor only advances after lines have reached stdout (at-least-once delivery). \
            SIGINT, SIGTERM, SIGHUP and a closed pipe end the command cleanly (exit 0) with the cursor saved. \
            --from is start (default), end (only new events; the default for --follow without --cursor), an \
            offset up to the last one (events after it), or a time in ISO 8601 (events from that time on).
            Examples: annals tail -f --type 'plugin_action_*'; annals tail -f --cursor billing --group org-acme
            """)

    @OptionGroup var location: StoreLocation

    @Flag(name: [.short, .customLong("follow")], help: "Keep waiting for new events.")
    var follow = false

    @Option(help: ArgumentHelp("A durable cursor to resume from and advance.", valueName: "name"))
    var cursor: String?

    @Option(help: ArgumentHelp("Where to start when there is no cursor yet.", valueName: "start|end|offset|time"))
    var from: TailStart?

    @Option(
        name: .customLong("type"),
        help: ArgumentHelp("Type or pattern, such as thing.* (repeatable).", valueName: "type"))
    var types: [String] = []

    @Option(help: "Only events on this target stream.")
    var target: String?

    @Option(help: "Only events of this group.")
    var group: String?

    @Option(help: "Only events by this actor.")
    var actor: String?

    @Option(help: "jsonl (default) or pretty.")
    var format: TailFormat = .jsonl

    @Option(help: "Stop after this many events.")
    var limit: WholeNumber<Int>?

    func validate() throws {
        if let limit, limit.value < 1 { throw ValidationError("--limit must be at least 1, got \(limit.value)") }
        if let cursor {
            do { try SubscriberCursor.validate(name: cursor) } catch { throw ValidationError(error.description) }
        }
        try EventFilterOptions.checkTypePatterns(types)
        try OntologyArguments.checkIdentifiers([actor, target, group], flags: ["--actor", "--target", "--group"])
    }

    func run() throws {
        StopSignals.install()
        let store = try cursor == nil ? location.openForReading() : location.openWithoutViews()
        defer { store.close() }
        let filter = EventFilter(types: types, targetId: target, groupId: group, actorId: actor)
        // A damaged page would crash LMDB: check the path to the head (and the cursors), then, before each pass, the
        // pages it will read (with filters, the posting lists from the pass's first offset and the records they name).
        // (A writable open, for --cursor, has checked those already.)
        if cursor == nil { try store.checkLogPages(offsets: []) }
        // Without --follow, what is durable now is where it ends: a writer that keeps appending, faster than the
        // output is read, must not keep it running (a cron job that never ends, and piles up).
        let stopAt = follow ? nil : try store.head().durableOffset
        // With a cursor: where it starts, and its resets count, which every acknowledgement checks.
        var (position, resets) = try startPosition(store)
        var printed = 0
        let pretty = format == .pretty ? PrettyEvent() : nil
        while !StopSignals.received {
            // A `cursors reset` or `delete` since this tail started ends it (exit 3) before it prints more, also while
            // it waits for events (the wait ends every half second): the acknowledgement would refuse it only after
            // printing a chunk, one the reset may have meant to skip, and a waiting tail never got there.
            if let cursor { try Self.requireUnmoved(cursor, resets: resets, in: store) }
            let word = store.durableWakeWord
            let durable = min(try store.head().durableOffset, stopAt ?? .max)
            guard durable > position else {
                if !follow || standardOutputIsClosedPipe() { break }
                store.waitForDurableChange(from: word, timeout: 0.5)
                continue
            }
            var query = filter.query(after: position, through: durable)
            query.limit = 512
            try store.checkLogPages(for: query)
            var reader = store.events(query).makeReader()
            var scanned = 0
            var acknowledged = position
            var reachedLimit = false
            while let event = try reader.next() {
                scanned += 1
                acknowledged = event.offset
                guard filter.matches(event) else { continue }
                if let pretty {
                    try Output.standard.line(pretty.line(event))
                } else {
                    try Output.standard.line { event.appendJSON(to: &$0) }
                }
                printed += 1
                if let limit, printed >= limit.value {
                    reachedLimit = true
                    break
                }
            }
            if scanned < 512 && !reachedLimit { acknowledged = durable }
            do {
                try Output.standard.flush()
            } catch OutputClosed.pipe, OutputClosed.stopped {
                // The reader went away, or a stop signal ended a blocked write: what this pass printed is not all
                // written, so it is not acknowledged (the next run delivers it again).
                return
            }
            if let cursor, acknowledged > position {
                // Conditional: a `cursors reset` or `delete` since this tail started ends it (exit 3) instead of
                // being undone.
                try store.acknowledge(cursor, through: acknowledged, expectingResets: resets)
            }
            position = acknowledged
            if reachedLimit { break }
        }
    }

    /// Throws ``AnnalsError/cursorMoved(name:offset:)`` (exit 3) when cursor `name` was reset or deleted since this
    /// tail read it with `resets` resets: the error its next acknowledgement would get.
    private static func requireUnmoved(_ name: String, resets: UInt64, in store: EventStore) throws {
        let current = try store.cursor(named: name)
        guard let current, current.resets == resets else {
            throw AnnalsError.cursorMoved(name: name, offset: current?.offset)
        }
    }

    /// Where to start: after the cursor's acknowledged offset, or, for a new cursor or none, where --from says; and
    /// the cursor's resets count (0 without a cursor).
    /// A new cursor is saved at once, so a later run resumes from the same start even if nothing was printed; it is
    /// created only if still missing, so a tail that created it meanwhile (and acknowledged) keeps its progress.
    private func startPosition(_ store: EventStore) throws -> (offset: UInt64, resets: UInt64) {
        if let cursor, let saved = try store.cursor(named: cursor) { return (saved.offset, saved.resets) }
        let start: UInt64
        switch from ?? (follow && cursor == nil ? .end : .start) {
        case .start: start = 0
        case .end: start = try store.head().durableOffset
        case .offset(let offset):
            // Refused, as a subscription's `.after` start and a cursor are: a start past the log would wait until the
            // log got there and skip every event appended until then.
            let last = try store.head().offset
            guard offset <= last else {
                throw CLIFailure(.invalidInput, "--from \(offset) is beyond the last offset \(last)")
            }
            start = offset
        case .time(let milliseconds):
            let query = EventQuery(since: milliseconds, limit: 1)
            try store.checkLogPages(for: query)
            // Never past the durable offset, as `--from end`: a start among events committed but not yet synced
            // would skip them, and the events that reuse their offsets if a system crash loses them.
            let durable = try store.head().durableOffset
            if let first = try store.events(query).collect().first {
                start = min(first.offset - 1, durable)
            } else {
                start = durable
            }
        }
        guard let cursor else { return (start, 0) }
        let created = try store.createCursor(cursor, at: start)
        return (created.offset, created.resets)
    }
}

/// `--from start|end|OFFSET|TIME`.
enum TailStart: ExpressibleByArgument {
    case start
    case end
    case offset(UInt64)
    case time(Int64)

    init?(argument: String) {
        switch argument {
        case "start": self = .start
        case "end": self = .end
        default:
            if let offset = WholeNumber<UInt64>.parse(argument) {
                self = .offset(offset)
            } else if let ms = ISO8601.milliseconds(argument, rounding: .up) {
                self = .time(ms)
            } else {
                return nil
            }
        }
    }
}

/// `--format jsonl|pretty`.
enum TailFormat: String, ExpressibleByArgument, CaseIterable {
    case jsonl
    case pretty
}

/// One human-readable line per event.
struct PrettyEvent {
    func line(_ event: RecordedEvent) -> String {
        var line = ISO8601.string(milliseconds: event.timestamp) + "  #\(event.offset)  \(event.type)"
        if let actor = event.actorId { line += "  by \(Self.word(actor))" }
        if let target = event.targetId { line += "  on \(Self.word(target)) v\(event.version)" }
        if let group = event.groupId { line += "  [\(Self.word(group))]" }
        if event.metadataJSON != Array("{}".utf8) { line += "  " + String(decoding: event.metadataJSON, as: UTF8.self) }
        // JSON escapes the C0 controls, not C1 controls, line separators or bidi overrides.
        return TextTable.printable(line)
    }

    /// An actor, target or group as one word: as it is when every character prints as itself (``TextTable/isInert(_:)``)
    /// and none is a space or the line's punctuation (`"`, `[`, `]`, `#`), and as a JSON string otherwise, so that an
    /// id such as `eve  on thing-1 v9` (or one whose C1 controls print as spaces) cannot make its line read like
    /// another event's.
    static func word(_ id: String) -> String {
        // Printable ASCII without spaces or the line's punctuation (nearly every id): plain, with no Unicode lookups.
        let punctuation = Array("\"[]#".utf8)
        if !id.isEmpty, id.utf8.allSatisfy({ (0x21...0x7E).contains($0) && !punctuation.contains($0) }) { return id }
        let plain =
            !id.isEmpty
            && id.allSatisfy { character in
                TextTable.isInert(character) && !character.isWhitespace && !"\"[]#".contains(character)
            }
        return plain ? id : JSONValue.string(id).canonicalString
    }
}
