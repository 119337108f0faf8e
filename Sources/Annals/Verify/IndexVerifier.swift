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
        let names = schema.indexDatabases.map(\.name)
        do {
            let damage = try environment.checkStructure(of: names)
            if !damage.isEmpty {
                return damage.map(VerificationProblem.init(damagedPage:))
            }
            let stored = try environment.read { txn in try IndexContents(reading: schema, txn) }
            var fromLog = IndexContents(head: stored.head)
            try scanLog(through: stored.head, progress: progress) { event, isClientID in
                fromLog.add(event, clientID: isClientID)
            }
            var problems = stored.problems + fromLog.problems
            let differing = IndexKind.allCases.map { stored.symbolsDiffering(from: fromLog, $0) }
            let idsDiffer = stored.identities != fromLog.identities
            if differing.contains(where: { !$0.isEmpty }) || idsDiffer {
                // One more pass over the log pins every disagreement to its first differing offset.
                let pinned = differing.map { Array($0.prefix(Self.pinnedSymbols)) }
                let pass = try secondPass(pinning: pinned, checkingIDs: idsDiffer, head: stored.head)
                for kind in IndexKind.allCases where !differing[kind.rawValue].isEmpty {
                    problems += try pinPostings(kind, pinned[kind.rawValue], logged: pass.offsets, head: stored.head)
                    let unpinned = differing[kind.rawValue].count - pinned[kind.rawValue].count
                    if unpinned > 0 {
                        problems.append(
                            VerificationProblem(
                                offset: 0, kind: .index,
                                detail: "\(kind.databaseName): \(unpinned) more keys disagree with the log"))
                    }
                }
                problems += pass.idProblems
                if idsDiffer && pass.idProblems.isEmpty {
                    // Every event's entry is right: an extra entry names an event that has no such client id.
                    problems.append(
                        VerificationProblem(
                            offset: 0, kind: .index,
                            detail: "ids: \(stored.identities.count) entries up to offset \(stored.head) where the log "
                                + "has \(fromLog.identities.count) events with client ids: an entry names an event "
                                + "that does not carry its id"))
                }
            }
            problems += stored.streamsDiffering(from: fromLog)
            return Array(problems.prefix(Self.maximumReportedProblems))
        } catch {
            throw AnnalsError(error)
        }
    }

    /// How many disagreeing symbols of one index ``verifyIndexes(progress:)`` pins to an offset.
    static let pinnedSymbols = 10

    /// What the second pass over the log found: the offsets of the symbols it pinned, and the client ids whose
    /// `ids` entries differ from their events (at most ``pinnedSymbols``).
    private struct SecondPass {
        var offsets: [[IndexContents.Symbol: [UInt64]]]
        var idProblems: [VerificationProblem] = []
    }

    /// One pass over the log up to `head`: collects the offsets of the `pinned` symbols of each index (by kind) and,
    /// with `checkingIDs`, looks every client id up in `ids` again, a chunk of events per read transaction.
    private func secondPass(pinning pinned: [[[UInt8]]], checkingIDs: Bool, head: UInt64) throws -> SecondPass {
        var pass = SecondPass(
            offsets: pinned.map { symbols in
                Dictionary(uniqueKeysWithValues: symbols.map { (IndexContents.Symbol(bytes: $0), [UInt64]()) })
            })
        var pendingIDs: [RecordedEvent] = []
        func checkPendingIDs() throws {
            guard !pendingIDs.isEmpty, pass.idProblems.count < Self.pinnedSymbols else { return }
            try environment.read { txn in
                for event in pendingIDs where pass.idProblems.count < Self.pinnedSymbols {
                    if let problem = try idProblem(event, stored: txn.get(schema.ids, key: event.id.bytes)) {
                        pass.idProblems.append(problem)
                    }
                }
            }
            pendingIDs.removeAll(keepingCapacity: true)
        }
        try scanLog(through: head, progress: nil) { event, isClientID in
            for kind in IndexKind.allCases where !pass.offsets[kind.rawValue].isEmpty {
                guard let symbol = kind.symbol(of: event).map(IndexContents.Symbol.init) else { continue }
                pass.offsets[kind.rawValue][symbol]?.append(event.offset)
            }
            guard checkingIDs, isClientID else { return }
            pendingIDs.append(event)
            if pendingIDs.count == 4_096 { try checkPendingIDs() }
        }
        try checkPendingIDs()
        return pass
    }

    /// The problem with the `ids` entry `stored` of the client id of `event`, or `nil` when it names the event.
    private func idProblem(_ event: RecordedEvent, stored: [UInt8]?) -> VerificationProblem? {
        guard stored != event.offset.bigEndianBytes + event.version.bigEndianBytes else { return nil }
        let found =
            stored.flatMap { $0.count == 16 ? $0 : nil }.map { entry in
                entry.withUnsafeBytes {
                    "offset \(UInt64(bigEndianBytes: $0, at: 0)), version \(UInt64(bigEndianBytes: $0, at: 8))"
                }
            } ?? "no entry"
        return VerificationProblem(
            offset: event.offset, kind: .index,
            detail: "ids: the event's client id \(event.id.lowercasedString) maps to \(found)")
    }

    /// Names the first offset that differs for each of `symbols` of `kind`: the log's offsets of the symbol
    /// (`logged`, from the second pass) against the index's, both up to `head`.
    private func pinPostings(
        _ kind: IndexKind, _ symbols: [[UInt8]], logged: [[IndexContents.Symbol: [UInt64]]], head: UInt64
    ) throws -> [VerificationProblem] {
        let reader = IndexReader(schema: schema)
        return try symbols.compactMap { symbol in
            let indexed: [UInt64]
            do {
                indexed = try environment.read { txn in
                    try reader.offsets(txn, kind, symbol, after: 0, limit: .max).filter { $0 <= head }
                }
            } catch is RecordFormatError {
                // A malformed block, which reading the index's entries reported already.
                return nil
            }
            let logged = logged[kind.rawValue][IndexContents.Symbol(bytes: symbol)] ?? []
            let name = "\(kind.databaseName) \(kind.describe(symbol))"
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
