/// The five secondary indexes.
enum IndexKind: Int, CaseIterable, Sendable {
    /// By event type.
    case type = 0
    /// By actor.
    case actor = 1
    /// By target stream.
    case target = 2
    /// By group.
    case group = 3
    /// By minute of the timestamp (the symbol is the minute as 8 bytes big-endian); exact times are checked on the
    /// decoded events.
    case minute = 4

    /// The name of the index's LMDB database (its merged posting lists), also how problems name the index.
    var databaseName: String {
        switch self {
        case .type: "idx.type"
        case .actor: "idx.actor"
        case .target: "idx.target"
        case .group: "idx.group"
        case .minute: "idx.time"
        }
    }

    /// The minute symbol of a timestamp.
    static func minuteSymbol(_ timestamp: Int64) -> [UInt8] {
        (UInt64(max(timestamp, 0)) / 60_000).bigEndianBytes
    }
}

/// The postings of one commit, per index and symbol: what the writer adds to the delta log in the commit's
/// transaction (docs/FORMAT.md, "Delta log").
///
/// Encoded, for each ``IndexKind`` in order:
/// ```
/// varint   number of symbols
/// per symbol:  lp symbol bytes, varint count, varint offset deltas (the first from the record's first offset)
/// ```
struct CommitPostings {
    /// Type, actor, target and group symbols (strings hash without allocating), by kind.
    private var named: [[String: [UInt64]]] = Array(repeating: [:], count: 4)
    /// Minute symbols.
    private var minutes: [UInt64: [UInt64]] = [:]

    /// Adds an event's postings, from its fields (the writer reads them from the event in place: passing the whole
    /// event would copy it).
    mutating func add(
        type: String, actorId: String?, targetId: String?, groupId: String?, timestamp: Int64, offset: UInt64
    ) {
        named[IndexKind.type.rawValue][type, default: []].append(offset)
        if let actorId { named[IndexKind.actor.rawValue][actorId, default: []].append(offset) }
        if let targetId { named[IndexKind.target.rawValue][targetId, default: []].append(offset) }
        if let groupId { named[IndexKind.group.rawValue][groupId, default: []].append(offset) }
        minutes[UInt64(max(timestamp, 0)) / 60_000, default: []].append(offset)
    }

    /// Adds offsets decoded from a delta record (used when merging several records).
    mutating func add(kind: IndexKind, symbol: UnsafeRawBufferPointer, offsets: [UInt64]) {
        if kind == .minute {
            guard symbol.count == 8 else { return }
            minutes[UInt64(bigEndianBytes: symbol), default: []].append(contentsOf: offsets)
        } else {
            named[kind.rawValue][String(decoding: symbol, as: UTF8.self), default: []].append(contentsOf: offsets)
        }
    }

    /// How many symbols one index has postings for.
    func symbolCount(_ kind: IndexKind) -> Int {
        kind == .minute ? minutes.count : named[kind.rawValue].count
    }

    /// The symbols (as stored in the posting lists) and offsets of one index.
    func postings(_ kind: IndexKind) -> [[UInt8]: [UInt64]] {
        if kind == .minute {
            return Dictionary(uniqueKeysWithValues: minutes.map { ($0.key.bigEndianBytes, $0.value) })
        }
        return Dictionary(uniqueKeysWithValues: named[kind.rawValue].map { (Array($0.key.utf8), $0.value) })
    }

    /// The delta record for a commit whose first offset is `firstOffset`.
    func encoded(firstOffset: UInt64) -> [UInt8] {
        var writer = ByteWriter(capacity: 4096)
        func write(_ symbol: some Collection<UInt8>, _ offsets: [UInt64]) {
            writer.lengthPrefixed(symbol)
            writer.varint(UInt64(offsets.count))
            var previous = firstOffset
            for offset in offsets {
                writer.varint(offset - previous)
                previous = offset
            }
        }
        for kind in IndexKind.allCases {
            if kind == .minute {
                writer.varint(UInt64(minutes.count))
                for (minute, offsets) in minutes { write(minute.bigEndianBytes, offsets) }
                continue
            }
            let entries = named[kind.rawValue]
            writer.varint(UInt64(entries.count))
            for (symbol, offsets) in entries { write(symbol.utf8, offsets) }
        }
        return writer.bytes
    }

    /// Calls `visit` for each symbol of a delta record; `visit` returns whether it wants the offsets decoded.
    static func decode(
        _ record: UnsafeRawBufferPointer, firstOffset: UInt64,
        _ visit: (IndexKind, UnsafeRawBufferPointer, _ count: Int) -> Bool,
        offsets: (IndexKind, UnsafeRawBufferPointer, [UInt64]) -> Void
    ) throws(RecordFormatError) {
        var reader = ByteReader(record)
        do {
            for kind in IndexKind.allCases {
                let symbolCount = try reader.varint()
                for _ in 0..<symbolCount {
                    let symbol = try reader.lengthPrefixed()
                    let stated = try reader.varint()
                    // Every entry takes at least one byte: a larger count is damage, not a reason to allocate.
                    guard stated <= UInt64(reader.remaining) else {
                        throw RecordFormatError.malformedEnvelope("a symbol claims \(stated) entries")
                    }
                    let count = Int(stated)
                    if visit(kind, symbol, count) {
                        var out: [UInt64] = []
                        out.reserveCapacity(count)
                        var previous = firstOffset
                        for _ in 0..<count {
                            let (sum, overflow) = previous.addingReportingOverflow(try reader.varint())
                            guard !overflow else { throw RecordFormatError.malformedEnvelope("offsets overflow") }
                            previous = sum
                            out.append(previous)
                        }
                        offsets(kind, symbol, out)
                    } else {
                        for _ in 0..<count { _ = try reader.varint() }
                    }
                }
            }
        } catch {
            throw .malformedEnvelope("index delta record at offset \(firstOffset): \(error)")
        }
    }
}
