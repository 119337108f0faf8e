import Foundation
import LMDB

extension EventStore {
    /// Checks the log's secondary structures against the log itself, up to the head at the start: the five posting
    /// indexes (by type, actor, target, group and minute; merged lists and delta log together), the `ids` map of
    /// client ids and the `streams` versions.
    ///
    /// ``verify(from:to:anchor:progress:)`` checks the records and the chain; filtered reads, idempotent appends and
    /// `expectedVersion` trust these structures instead, so a damaged or inconsistent index makes reads miss events
    /// or list others without any record being wrong. This reads every index entry in one read transaction (they are
    /// a small part of the store), then the log in short ones, and compares per symbol a count and an
    /// order-independent digest of the offsets; where they differ, a second pass over the log names the first offset
    /// that differs. Appends may continue meanwhile.
    /// - Parameter progress: Called now and then with the last offset read.
    /// - Returns: The problems found, as ``VerificationProblem/Kind/index`` (or ``VerificationProblem/Kind/structure``
    ///   for a damaged page of those databases), at most ``maximumReportedProblems``; empty when they agree.
    /// - Throws: ``AnnalsError/corruptRecord(offset:reason:)`` when a record cannot be read (run
    ///   ``verify(from:to:anchor:progress:)`` first), ``AnnalsError/storage(_:)``.
    public func verifyIndexes(progress: ((UInt64) -> Void)? = nil) throws(AnnalsError) -> [VerificationProblem] {
        let names =
            [schema.ids, schema.streams, schema.delta.database].map(\.name)
            + IndexKind.allCases.map { schema.postings($0).database.name }
        do {
            let damage = try environment.checkStructure(of: names)
            if !damage.isEmpty {
                return damage.map { VerificationProblem(offset: 0, kind: .structure, detail: $0.description) }
            }
            let stored = try environment.read { txn in try IndexContents(reading: schema, txn) }
            var fromLog = IndexContents(head: stored.head)
            try scanLog(through: stored.head, progress: progress) { event, isClientID in
                fromLog.add(event, clientID: isClientID)
            }
            var problems = stored.problems + fromLog.problems
            for kind in IndexKind.allCases {
                let differing = stored.symbolsDiffering(from: fromLog, kind)
                guard !differing.isEmpty else { continue }
                problems += try pinPostings(kind, differing.prefix(Self.pinnedSymbols), head: stored.head)
                if differing.count > Self.pinnedSymbols {
                    problems.append(
                        VerificationProblem(
                            offset: 0, kind: .index,
                            detail:
                                "\(kind.indexName): \(differing.count - Self.pinnedSymbols) more keys disagree with "
                                + "the log"))
                }
            }
            if stored.identities != fromLog.identities {
                problems += try pinIDs(stored.identities, fromLog.identities, head: stored.head)
            }
            problems += stored.streamsDiffering(from: fromLog)
            return Array(problems.prefix(Self.maximumReportedProblems))
        } catch {
            throw AnnalsError(error)
        }
    }

    /// How many disagreeing symbols of one index ``verifyIndexes(progress:)`` pins to an offset.
    static let pinnedSymbols = 10

    /// Reads every event up to `head`, in short transactions, handing each to `body` with whether its id was
    /// supplied by the client.
    private func scanLog(
        through head: UInt64, progress: ((UInt64) -> Void)?, _ body: (RecordedEvent, Bool) -> Void
    ) throws {
        guard head > 0 else { return }
        var reader = events(EventQuery(to: head)).makeReader()
        var count: UInt64 = 0
        while let event = try reader.next() {
            body(event, identity.offset(ofAssigned: event.id) == nil)
            count += 1
            if count % 65_536 == 0 { progress?(event.offset) }
        }
        progress?(head)
    }

    /// Names the first offset that differs for each of `symbols` of `kind`: the log's offsets of the symbol against
    /// the index's, both up to `head`.
    private func pinPostings(
        _ kind: IndexKind, _ symbols: ArraySlice<[UInt8]>, head: UInt64
    ) throws -> [VerificationProblem] {
        var logOffsets = Dictionary(uniqueKeysWithValues: symbols.map { ($0, [UInt64]()) })
        try scanLog(through: head, progress: nil) { event, _ in
            if let symbol = kind.symbol(of: event), logOffsets[symbol] != nil {
                logOffsets[symbol]!.append(event.offset)
            }
        }
        let reader = IndexReader(schema: schema)
        return try symbols.map { symbol in
            let indexed = try environment.read { txn in
                try reader.offsets(txn, kind, symbol, after: 0, limit: .max).filter { $0 <= head }
            }
            let logged = logOffsets[symbol] ?? []
            let name = "\(kind.indexName) \(kind.describe(symbol))"
            guard let (offset, inLog) = Self.firstDifference(logged, indexed) else {
                return VerificationProblem(
                    offset: 0, kind: .index, detail: "\(name): the index lists its events out of order or twice")
            }
            let detail =
                inLog
                ? "\(name): the event at offset \(offset) is missing from the index (the log has \(logged.count) "
                    + "events, the index \(indexed.count))"
                : "\(name): the index lists offset \(offset), an event that does not match (the log has "
                    + "\(logged.count) events, the index \(indexed.count))"
            return VerificationProblem(offset: offset, kind: .index, detail: detail)
        }
    }

    /// Names the client ids whose `ids` entries differ from the log: each event's id is looked up again.
    private func pinIDs(
        _ stored: IndexContents.Identities, _ logged: IndexContents.Identities, head: UInt64
    ) throws -> [VerificationProblem] {
        var problems: [VerificationProblem] = []
        try scanLog(through: head, progress: nil) { event, isClientID in
            guard isClientID, problems.count < Self.pinnedSymbols else { return }
            let entry = try? environment.read { txn in try txn.get(schema.ids, key: event.id.bytes) }
            let expected = event.offset.bigEndianBytes + event.version.bigEndianBytes
            guard entry != expected else { return }
            let found =
                entry.flatMap { $0.count == 16 ? $0 : nil }.map { stored in
                    stored.withUnsafeBytes {
                        "offset \(UInt64(bigEndianBytes: $0, at: 0)), version \(UInt64(bigEndianBytes: $0, at: 8))"
                    }
                } ?? "no entry"
            problems.append(
                VerificationProblem(
                    offset: event.offset, kind: .index,
                    detail: "ids: the event's client id \(event.id.lowercasedString) maps to \(found)"))
        }
        if problems.isEmpty {
            problems.append(
                VerificationProblem(
                    offset: 0, kind: .index,
                    detail: "ids: \(stored.count) entries up to offset \(head) where the log has \(logged.count) "
                        + "events with client ids: an entry names an event that does not carry its id"))
        }
        return problems
    }

    /// The first offset in one ascending list and not the other, and whether it is `logged`'s; `nil` when both
    /// hold the same offsets.
    static func firstDifference(_ logged: [UInt64], _ indexed: [UInt64]) -> (offset: UInt64, inLog: Bool)? {
        var (l, i) = (0, 0)
        while l < logged.count || i < indexed.count {
            guard l < logged.count else { return (indexed[i], false) }
            guard i < indexed.count else { return (logged[l], true) }
            if logged[l] == indexed[i] {
                l += 1
                i += 1
            } else {
                return logged[l] < indexed[i] ? (logged[l], true) : (indexed[i], false)
            }
        }
        return nil
    }
}

extension IndexKind {
    /// The index's name in problems: its database's name.
    var indexName: String {
        switch self {
        case .type: "idx.type"
        case .actor: "idx.actor"
        case .target: "idx.target"
        case .group: "idx.group"
        case .minute: "idx.time"
        }
    }

    /// The symbol an event is indexed under in this index, if any.
    func symbol(of event: RecordedEvent) -> [UInt8]? {
        switch self {
        case .type: Array(event.type.utf8)
        case .actor: event.actorId.map { Array($0.utf8) }
        case .target: event.targetId.map { Array($0.utf8) }
        case .group: event.groupId.map { Array($0.utf8) }
        case .minute: Self.minuteSymbol(event.timestamp)
        }
    }

    /// A symbol for a message: the quoted string, or the minute as a time.
    func describe(_ symbol: [UInt8]) -> String {
        guard self == .minute else { return "'\(String(decoding: symbol, as: UTF8.self))'" }
        guard symbol.count == 8 else { return "minute (\(symbol.count) bytes)" }
        let minute = symbol.withUnsafeBytes { UInt64(bigEndianBytes: $0) }
        return "minute " + ISO8601.string(milliseconds: Int64(clamping: minute &* 60_000))
    }
}
