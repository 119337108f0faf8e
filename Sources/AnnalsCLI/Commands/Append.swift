import Annals
import ArgumentParser

/// `annals append`: JSON lines in, one receipt line out per event once it is durable.
struct Append: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Append events read as JSON lines from stdin or a file.",
        discussion: """
            Each line is one event: {"type":"order.placed","actorId":"u1","targetId":"o1","groupId":"org", \
            "metadata":{…}} (thing.*, connection.* and knowledge.* events must follow docs/EVENTS.md) with optional "id" (UUID, makes the append idempotent), "timestamp" (ms or ISO 8601) \
            and "expectedVersion". Blank lines are skipped. \
            Prints {"offset":…,"id":…,"version":…} per event once it is durable (with "duplicate":true when the id \
            was already appended). An invalid line stops the command with exit code 2 (3 for a version conflict) \
            and a message naming the line and field (8 for an event a projection rejects because it contradicts the \
            current state); that line and every later one are not written.
            Example: echo '{"type":"thing.created","targetId":"t1","metadata":{"thingType":"device"}}' \\
              | annals append --store ./data
            """)

    @OptionGroup var location: StoreLocation

    @Option(help: ArgumentHelp("Read from this file instead of stdin.", valueName: "path"))
    var file: String?

    @Flag(help: "Append the whole input as one atomic batch: all events or none.")
    var atomic = false

    @Flag(help: "Exit 0 when the input holds no events (by default, empty input is an error, exit code 2).")
    var allowEmpty = false

    @Option(help: "What an append waits for: sync (default), no-meta-sync or no-sync. See docs/ARCHITECTURE.md.")
    var durability: DurabilityArgument = .sync

    @OptionGroup var eventSize: MaximumEventSizeOption

    /// Events per batch when not --atomic.
    private static let batchSize = 1000

    func validate() throws { try eventSize.check() }

    func run() throws {
        let options = StoreOptions(durability: durability.durability, maximumEventSize: eventSize.maxEventSize.value)
        let store = try location.openForWriting(options)
        defer { store.close() }
        let maximumLine = eventSize.maxEventSize.value * 4 + 4096
        let reader =
            try file.map { try LineReader(path: $0, maximumLineLength: maximumLine) }
            ?? LineReader(fd: 0, maximumLineLength: maximumLine)
        var progress = AppendProgress()
        do {
            if atomic {
                try appendAtomically(reader, store, &progress)
            } else {
                try appendInBatches(reader, store, &progress)
            }
        } catch let error as AnnalsError {
            // A store that failed mid-input (a full disk, an I/O error): say how far the input got.
            let failure = CLIFailure(error)
            throw CLIFailure(failure.code, "\(failure.message); \(progress.description(atomic: atomic))")
        }
        if progress.events == 0 && !allowEmpty {
            throw CLIFailure(.invalidInput, "no events in the input (use --allow-empty to accept that)")
        }
    }

    /// Reads the whole input, then appends it as one batch.
    private func appendAtomically(_ reader: LineReader, _ store: EventStore, _ progress: inout AppendProgress) throws {
        var events: [(line: Int, event: NewEvent)] = []
        while !reader.reachedEnd {
            try stopIfSignalled(progress)
            for line in try nextLines(reader, progress) {
                if let event = try Self.parse(line) { events.append((line.number, event)) }
            }
        }
        if !events.isEmpty { try append(events, store, atomic: true, &progress) }
    }

    /// Appends the lines in batches of at most ``batchSize`` as they arrive, checking for a stop signal between
    /// batches.
    private func appendInBatches(_ reader: LineReader, _ store: EventStore, _ progress: inout AppendProgress) throws {
        while !reader.reachedEnd {
            try stopIfSignalled(progress)
            var events: [(line: Int, event: NewEvent)] = []
            var failure: CLIFailure?
            for line in try nextLines(reader, progress) {
                do {
                    if let event = try Self.parse(line) { events.append((line.number, event)) }
                } catch let error as CLIFailure {
                    failure = error
                    break
                }
            }
            var start = 0
            while start < events.count {
                if start > 0 { try stopIfSignalled(progress) }
                let end = min(start + Self.batchSize, events.count)
                try append(Array(events[start..<end]), store, atomic: false, &progress)
                start = end
            }
            if let failure { throw failure }
        }
    }

    /// The next lines of the input; a stop signal while waiting for them, or a failed read, names how far the input
    /// got.
    private func nextLines(_ reader: LineReader, _ progress: AppendProgress) throws -> [LineReader.Line] {
        do {
            return try reader.nextLines()
        } catch is InputStopped {
            try stopIfSignalled(progress)
            return []
        } catch let failure as CLIFailure where failure.code == .storage {
            throw CLIFailure(failure.code, "\(failure.message); \(progress.description(atomic: atomic))")
        }
    }

    /// Throws the stop's failure, naming how far the input got, once SIGINT, SIGTERM or SIGHUP came.
    private func stopIfSignalled(_ progress: AppendProgress) throws {
        guard StopSignals.received, let signal = StopSignals.receivedSignal else { return }
        throw CLIFailure(
            CLIFailure.Code(rawValue: signal.exitCode) ?? .interrupted,
            "stopped by \(signal.name); \(progress.description(atomic: atomic))")
    }

    /// Parses one input line; `nil` for a blank line.
    static func parse(_ line: LineReader.Line) throws -> NewEvent? {
        if line.bytes.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { return nil }
        let json: JSONValue
        do {
            json = try JSONParser.parse(line.bytes)
        } catch {
            throw CLIFailure(
                .invalidInput, "line \(line.number), column \(error.column): invalid JSON: \(error.reason)")
        }
        do {
            return try NewEvent(json: json)
        } catch {
            throw CLIFailure(.invalidInput, "line \(line.number): \(error.description)")
        }
    }

    /// Appends one batch and prints its receipts. When the engine rejects event `i` (not atomic), the events
    /// before it are appended on their own first, so exactly the lines before the bad one are written.
    private func append(
        _ events: [(line: Int, event: NewEvent)], _ store: EventStore, atomic: Bool, _ progress: inout AppendProgress
    ) throws {
        let receipts: [AppendReceipt]
        do {
            receipts = try store.appendAndWait(events.map(\.event))
        } catch {
            let index: Int
            let message: String
            let code: CLIFailure.Code
            switch error {
            case .invalidEvent(let i, let field, let reason):
                (index, message, code) = (i, "field '\(field)' \(reason)", .invalidInput)
            case .eventTooLarge(let i, let size, let limit):
                (index, message, code) = (
                    i, "event of \(size) bytes exceeds the limit of \(limit) bytes", .invalidInput
                )
            case .versionConflict(let i, let target, let expected, let actual):
                (index, message, code) = (
                    i, "version conflict on target '\(target)': expected version \(expected), actual \(actual)",
                    .versionConflict
                )
            case .rejectedEvent(let i, let type, let projection, let reason):
                (index, message, code) = (i, "\(type) rejected by projection '\(projection)': \(reason)", .rejected)
            default:
                throw error
            }
            if !atomic && index > 0 {
                try append(Array(events[0..<index]), store, atomic: false, &progress)
            }
            let suffix = atomic ? " (nothing was written: --atomic)" : ""
            throw CLIFailure(code, "line \(events[index].line): \(message)\(suffix)")
        }
        // Receipts promise durability: without per-commit syncs, sync once for the batch before printing.
        if durability != .sync { try store.sync() }
        progress.record(receipts, through: events.last!.line)
        let howFar = progress.description(atomic: false)
        do {
            try Self.printReceipts(receipts)
        } catch OutputClosed.pipe {
            throw CLIFailure(.outputClosed, "standard output was closed; \(howFar)")
        } catch OutputClosed.stopped {
            // A stop signal came while the output took nothing for a quarter of a second.
            try stopIfSignalled(progress)
            throw CLIFailure(.outputClosed, "standard output stopped taking receipts; \(howFar)")
        } catch let failure as CLIFailure {
            // The receipts could not be written (a full disk, an I/O error): say how far the input got all the same.
            throw CLIFailure(failure.code, "\(failure.message); \(howFar)")
        }
    }

    private static func printReceipts(_ receipts: [AppendReceipt]) throws {
        for receipt in receipts {
            var line =
                "{\"offset\":\(receipt.offset),\"id\":\"\(receipt.id.lowercasedString)\","
                + "\"version\":\(receipt.version)"
            if receipt.duplicate { line += ",\"duplicate\":true" }
            line += "}"
            try Output.standard.line(line)
        }
        try Output.standard.flush()
    }
}

/// `--durability sync|no-meta-sync|no-sync`.
enum DurabilityArgument: String, ExpressibleByArgument, CaseIterable {
    case sync
    case noMetaSync = "no-meta-sync"
    case noSync = "no-sync"

    var durability: Durability {
        switch self {
        case .sync: .sync
        case .noMetaSync: .noMetaSync
        case .noSync: .noSync
        }
    }
}

/// How far an `append` got: the events appended, and the last receipt's offset and line.
struct AppendProgress {
    /// Events appended (duplicates included).
    private(set) var events = 0
    /// The highest offset among the last batch's receipts (the highest offset written, unless the batch was made of
    /// duplicates alone) and the line of that batch's last event.
    private(set) var last: (offset: UInt64, line: Int)?

    /// Notes a batch appended through input line `line`.
    mutating func record(_ receipts: [AppendReceipt], through line: Int) {
        events += receipts.count
        if let offset = receipts.map(\.offset).max() { last = (offset, line) }
    }

    /// "events through offset N (line L) were appended, later lines were not", or that none was (for `--atomic`,
    /// that nothing was written before the whole input was read).
    func description(atomic: Bool) -> String {
        guard let last else {
            return atomic ? "nothing was written (--atomic)" : "no event was appended"
        }
        return "events through offset \(last.offset) (line \(last.line)) were appended, later lines were not"
    }
}
