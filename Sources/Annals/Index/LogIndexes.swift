import Foundation
import LMDB

/// The log's secondary structures as its events make them: every posting of the five indexes, the `ids` entry of
/// every event whose id a client supplied, and the version of every target. ``EventStore/rebuildIndexes(progress:)``
/// collects them from the log and writes them in place of the stored ones.
struct LogIndexes {
    /// Every posting, per index and symbol, offsets ascending.
    private var postings = CommitPostings()
    /// The events whose ids a client supplied, in log order.
    private var clientIDs: [(id: [UInt8], offset: UInt64, version: UInt64)] = []
    /// Per target, the version of its last event.
    private var versions: [String: UInt64] = [:]
    /// The last offset added (0 before any).
    private(set) var head: UInt64 = 0
    /// How many events were added.
    private(set) var events = 0

    /// Adds what `event` puts in the structures; events must come in log order. `clientID` tells whether the
    /// event's id was supplied by a client (engine-assigned ids have no `ids` entry).
    mutating func add(_ event: RecordedEvent, clientID: Bool) {
        postings.add(
            type: event.type, actorId: event.actorId, targetId: event.targetId, groupId: event.groupId,
            timestamp: event.timestamp, offset: event.offset)
        if clientID { clientIDs.append((event.id.bytes, event.offset, event.version)) }
        if let target = event.targetId { versions[target] = event.version }
        head = event.offset
        events += 1
    }

    /// Generous room in the map for ``write(_:_:)``: the postings, entries and keys twice over (every page they
    /// land on is written anew) with a node header each.
    var estimatedBytes: Int {
        let postingCount = IndexKind.allCases.count * events
        let symbolCount = IndexKind.allCases.reduce(0) { $0 + postings.symbolCount($1) }
        return 2 * (8 * postingCount + 600 * symbolCount + 48 * clientIDs.count + 96 * versions.count) + (4 << 20)
    }

    /// Replaces the five indexes, the delta log, `ids` and `streams` in `txn` with these contents, and records the
    /// merge point at ``head``.
    func write(_ schema: StoreSchema, _ txn: borrowing Transaction) throws -> IndexRebuildSummary {
        var summary = IndexRebuildSummary(head: head, events: events)
        for kind in IndexKind.allCases {
            let index = schema.postings(kind)
            try txn.clear(index.database)
            let lists = postings.postings(kind).sorted { $0.key.lexicographicallyPrecedes($1.key) }
            for (symbol, offsets) in lists { try index.append(txn, symbol: symbol, offsets: offsets) }
            summary.symbols[kind.databaseName] = lists.count
        }
        try txn.clear(schema.delta.database)
        try txn.setMetaU64(schema, MetaKey.indexMergedThrough, head)
        try txn.clear(schema.ids)
        // In key order, each id's first event first: an append keeps the first event of an id, so a later one
        // (only damage can put it there) is left out and counted.
        let ordered = clientIDs.sorted {
            $0.id == $1.id ? $0.offset < $1.offset : $0.id.lexicographicallyPrecedes($1.id)
        }
        var previous: [UInt8]?
        for entry in ordered {
            if entry.id == previous {
                summary.duplicateClientIDs += 1
                continue
            }
            previous = entry.id
            try txn.put(
                schema.ids, key: entry.id, value: entry.offset.bigEndianBytes + entry.version.bigEndianBytes,
                flags: .append)
            summary.clientIDs += 1
        }
        try txn.clear(schema.streams)
        let targets = versions.map { (Array($0.key.utf8), $0.value) }.sorted { $0.0.lexicographicallyPrecedes($1.0) }
        for (target, version) in targets {
            try txn.put(schema.streams, key: target, value: version.bigEndianBytes, flags: .append)
        }
        summary.streams = targets.count
        return summary
    }
}

/// What ``EventStore/rebuildIndexes(progress:)`` wrote.
public struct IndexRebuildSummary: Sendable, Equatable {
    /// The last offset the rebuilt structures cover: the head when the rebuild committed.
    public var head: UInt64
    /// How many events were read.
    public var events: Int
    /// Per index database (`idx.type`, `idx.actor`, `idx.target`, `idx.group`, `idx.time`), its symbols.
    public var symbols: [String: Int] = [:]
    /// Entries written to `ids`: the events whose ids a client supplied.
    public var clientIDs = 0
    /// Targets written to `streams`, each with the version of its last event.
    public var streams = 0
    /// Events whose client id an earlier event already carries (only a damaged log holds them): left out of `ids`,
    /// as an append of the same id would have been.
    public var duplicateClientIDs = 0
}
