import LMDB

/// What the secondary structures hold up to one head, summed so that the stored ones and those recomputed from the
/// log can be compared without keeping every entry: per index and symbol a count and an order-independent digest of
/// the offsets, for `ids` the same over (id, offset, version), and every target's version.
struct IndexContents {
    /// A count of entries and a digest of them that does not depend on their order: the wrapping sum of a keyed
    /// hash of each entry.
    ///
    /// The hash is `Hasher`'s (SipHash-1-3), whose key is drawn at random for each process: both sides of a
    /// comparison are summed in one run, and someone who edits a store cannot know the key that run will use. With a
    /// fixed function (SplitMix64's finalizer, before), sums are linear in the hashes, so an edit could swap offsets
    /// of a list for others whose hashes add up to the same (a generalized birthday search takes seconds) and pass
    /// `verify --indexes`. A process started with `SWIFT_DETERMINISTIC_HASHING` set uses a fixed key, and loses this.
    struct Digest: Equatable {
        var count: UInt64 = 0
        var sum: UInt64 = 0

        mutating func add(_ value: UInt64) {
            count += 1
            sum &+= Self.hash(value)
        }

        /// The keyed hash of one entry.
        static func hash(_ value: UInt64) -> UInt64 {
            var hasher = Hasher()
            hasher.combine(value)
            return UInt64(UInt(bitPattern: hasher.finalize()))
        }
    }

    /// The digest of the `ids` entries (or of the events with client ids): (id, offset, version) each.
    typealias Identities = Digest

    /// A symbol's bytes as a dictionary key, hashed in one pass (an array of bytes hashes byte by byte) and compared
    /// byte for byte (a `String` key would equate canonically equivalent spellings).
    struct Symbol: Hashable {
        let bytes: [UInt8]

        func hash(into hasher: inout Hasher) {
            bytes.withUnsafeBytes { hasher.combine(bytes: $0) }
        }
    }

    /// The last offset covered.
    let head: UInt64
    /// Per index kind, per symbol.
    private(set) var postings: [[Symbol: Digest]] = Array(repeating: [:], count: IndexKind.allCases.count)
    private(set) var identities = Identities()
    /// Per target, its current version.
    private(set) var versions: [Symbol: UInt64] = [:]
    /// What was found wrong while reading (blocks out of order, entries past the head, version gaps in the log).
    var problems: [VerificationProblem] = []

    /// Empty contents, to be filled from the log up to `head` with ``add(_:clientID:)``.
    init(head: UInt64) {
        self.head = head
    }

    /// The stored contents as of `txn`, up to its head.
    init(reading schema: StoreSchema, _ txn: borrowing Transaction) throws {
        head = try txn.lastOffset(schema)
        for kind in IndexKind.allCases {
            try readPostingLists(kind, schema.postings(kind).database, txn)
        }
        let recent = try schema.delta.all(txn)
        for kind in IndexKind.allCases {
            for (symbol, offsets) in recent.postings(kind) {
                for offset in offsets { record(kind, symbol, offset) }
            }
        }
        try txn.withCursor(schema.ids) { cursor in
            var entry = try cursor.get(.first)
            while let current = entry {
                if current.key.count == 16, current.value.count == 16 {
                    let offset = UInt64(bigEndianBytes: current.value, at: 0)
                    if offset <= head {
                        identities.add(Self.identity(current.key, offset, UInt64(bigEndianBytes: current.value, at: 8)))
                    } else {
                        // Read in the same transaction as the head: no append can have put it there since.
                        problems.append(
                            VerificationProblem(
                                offset: offset, kind: .index,
                                detail:
                                    "ids: the id \(current.key.hexadecimal) "
                                    + "points at offset \(offset), past the last offset \(head) (an append of that id "
                                    + "would be taken for a duplicate; run annals reindex)"))
                    }
                } else {
                    problems.append(
                        VerificationProblem(
                            offset: 0, kind: .index,
                            detail:
                                "ids: an entry of a \(current.key.count)-byte key and a \(current.value.count)-byte "
                                + "value (16 and 16 expected)"))
                }
                entry = try cursor.get(.next)
            }
        }
        try txn.withCursor(schema.streams) { cursor in
            var entry = try cursor.get(.first)
            while let current = entry {
                versions[Symbol(bytes: Array(current.key))] =
                    current.value.count == 8 ? UInt64(bigEndianBytes: current.value) : 0
                entry = try cursor.get(.next)
            }
        }
    }

    /// Reads one index's merged posting lists, checking that each symbol's blocks continue one another.
    private mutating func readPostingLists(_ kind: IndexKind, _ database: Database, _ txn: borrowing Transaction)
        throws
    {
        try txn.withCursor(database) { cursor in
            var entry = try cursor.get(.first)
            var previous: (symbol: [UInt8], nextRank: UInt64, lastOffset: UInt64)?
            while let current = entry {
                entry = try cursor.get(.next)
                guard current.key.count >= 9, current.key[current.key.count - 9] == 0 else {
                    report(kind, nil, 0, "a key of \(current.key.count) bytes that is not SYMBOL 00 OFFSET")
                    continue
                }
                let symbol = Array(current.key.prefix(current.key.count - 9))
                let first = UInt64(bigEndianBytes: current.key, at: current.key.count - 8)
                let offsets: [UInt64]
                let rank: UInt64
                do {
                    offsets = try PostingBlock.offsets(firstOffset: first, stored: current.value)
                    rank = try PostingBlock(firstOffset: first, stored: current.value).rank
                } catch {
                    report(kind, symbol, first, "the block at offset \(first) is malformed: \(error)")
                    continue
                }
                let continued = previous.flatMap { $0.symbol == symbol ? $0 : nil }
                if rank != (continued?.nextRank ?? 1) {
                    report(
                        kind, symbol, first,
                        "the block at offset \(first) starts at rank \(rank), not \(continued?.nextRank ?? 1)")
                }
                if let continued, first <= continued.lastOffset {
                    report(kind, symbol, first, "the block at offset \(first) does not follow the one before")
                }
                if offsets.first != first || zip(offsets, offsets.dropFirst()).contains(where: { $0 >= $1 }) {
                    report(kind, symbol, first, "the block at offset \(first) is not in ascending order")
                }
                for offset in offsets { record(kind, symbol, offset) }
                previous = (symbol, rank + UInt64(offsets.count), offsets.last ?? first)
            }
        }
    }

    private mutating func report(_ kind: IndexKind, _ symbol: [UInt8]?, _ offset: UInt64, _ detail: String) {
        let name = kind.databaseName + (symbol.map { " " + kind.describe($0) } ?? "")
        problems.append(VerificationProblem(offset: offset, kind: .index, detail: "\(name): \(detail)"))
    }

    /// Counts an entry of `symbol`; one past the head is reported instead.
    private mutating func record(_ kind: IndexKind, _ symbol: [UInt8], _ offset: UInt64) {
        guard offset <= head else {
            report(kind, symbol, offset, "lists offset \(offset), after the last offset \(head)")
            return
        }
        postings[kind.rawValue][Symbol(bytes: symbol), default: Digest()].add(offset)
    }

    /// Adds what the log says about `event`: its postings, its id when a client supplied it, and its version.
    mutating func add(_ event: RecordedEvent, clientID: Bool) {
        for kind in IndexKind.allCases {
            if let symbol = kind.symbol(of: event) { record(kind, symbol, event.offset) }
        }
        if clientID {
            identities.add(
                event.id.bytes.withUnsafeBytes { Self.identity($0, event.offset, event.version) })
        }
        if let target = event.targetId {
            let key = Symbol(bytes: Array(target.utf8))
            let expected = (versions[key] ?? 0) + 1
            if event.version != expected {
                problems.append(
                    VerificationProblem(
                        offset: event.offset, kind: .index,
                        detail: "streams '\(target)': the event has version \(event.version) where the stream's "
                            + "events before it make \(expected)"))
            }
            versions[key] = event.version
        }
    }

    /// The digest input of one `ids` entry: the keyed hash of its id, offset and version together.
    private static func identity(_ id: UnsafeRawBufferPointer, _ offset: UInt64, _ version: UInt64) -> UInt64 {
        var hasher = Hasher()
        hasher.combine(bytes: UnsafeRawBufferPointer(rebasing: id.prefix(16)))
        hasher.combine(offset)
        hasher.combine(version)
        return UInt64(UInt(bitPattern: hasher.finalize()))
    }

    /// The symbols of `kind` whose entries differ between these contents and `other`, in byte order.
    func symbolsDiffering(from other: IndexContents, _ kind: IndexKind) -> [[UInt8]] {
        let mine = postings[kind.rawValue]
        let theirs = other.postings[kind.rawValue]
        let symbols = Set(mine.keys).union(theirs.keys).filter { mine[$0] != theirs[$0] }
        return symbols.map(\.bytes).sorted { $0.lexicographicallyPrecedes($1) }
    }

    /// The targets whose stored version (these contents) differs from the one the log gives (`logged`).
    func streamsDiffering(from logged: IndexContents) -> [VerificationProblem] {
        let targets = Set(versions.keys).union(logged.versions.keys).filter { versions[$0] != logged.versions[$0] }
        return targets.sorted { $0.bytes.lexicographicallyPrecedes($1.bytes) }.map { target in
            let name = String(decoding: target.bytes, as: UTF8.self)
            let detail: String
            switch (versions[target], logged.versions[target]) {
            case (nil, let expected?):
                detail = "streams has no entry for '\(name)', whose last event in the log is version \(expected)"
            case (let stored?, nil):
                detail = "streams '\(name)': stored version \(stored), but the log has no event on that target"
            case (let stored, let expected):
                detail =
                    "streams '\(name)': stored version \(stored.map(String.init) ?? "none"), the log's last event on "
                    + "it version \(expected.map(String.init) ?? "none")"
            }
            return VerificationProblem(offset: 0, kind: .index, detail: detail)
        }
    }
}
