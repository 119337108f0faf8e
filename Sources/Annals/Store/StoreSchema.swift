import LMDB

/// The named LMDB databases of a store (docs/FORMAT.md, "Databases").
struct StoreSchema: Sendable {
    /// The store format this build writes (`meta` `format.version`).
    ///
    /// Format 3 adds tagged records (record format 2) and the head's chain hash in `meta`. A writable open upgrades
    /// a format 2 store in place (``upgradableFormatVersion``); version 1 was a development layout without the
    /// index delta log and is refused.
    static let formatVersion: UInt64 = 3
    /// The older format this build still opens: read-only as it is, writable after the in-place upgrade.
    static let upgradableFormatVersion: UInt64 = 2

    /// `events`: offset (8 bytes big-endian) → record.
    let events: Database
    /// `ids`: client-supplied id (16 bytes) → offset and version (8 + 8 bytes big-endian).
    let ids: Database
    /// `meta`: store-wide values (format version, nonce, current dictionary, byte counters).
    let meta: Database
    /// `dictionaries`: dictionary id (4 bytes big-endian) → zstd dictionary.
    let dictionaries: Database
    /// Merged posting lists by event type.
    let byType: PostingIndex
    /// Merged posting lists by actor.
    let byActor: PostingIndex
    /// Merged posting lists by target; a posting's rank is the event's stream version.
    let byTarget: PostingIndex
    /// Merged posting lists by group.
    let byGroup: PostingIndex
    /// Merged posting lists by minute of the timestamp.
    let byTime: PostingIndex
    /// `idx.delta`: the postings of commits after the merge point, one record per commit.
    let delta: DeltaLog
    /// `streams`: target → its current version (8 bytes big-endian).
    let streams: Database
    /// `cursors`: subscriber cursor name → last acknowledged offset, acknowledged-at, created-at (8 bytes each).
    let cursors: Database

    /// The names of the databases a store creates for its log (the projections' are named by ``ProjectionCatalog``).
    static let databaseNames =
        ["events", "ids", "meta", "dictionaries"] + IndexKind.allCases.map(\.databaseName)
        + ["idx.delta", "streams", "cursors"]

    init(environment: Environment, create: Bool) throws {
        let flags: DatabaseFlags = create ? .create : []
        events = try environment.openDatabase("events", flags: flags)
        ids = try environment.openDatabase("ids", flags: flags)
        meta = try environment.openDatabase("meta", flags: flags)
        dictionaries = try environment.openDatabase("dictionaries", flags: flags)
        byType = PostingIndex(database: try environment.openDatabase(IndexKind.type.databaseName, flags: flags))
        byActor = PostingIndex(database: try environment.openDatabase(IndexKind.actor.databaseName, flags: flags))
        byTarget = PostingIndex(database: try environment.openDatabase(IndexKind.target.databaseName, flags: flags))
        byGroup = PostingIndex(database: try environment.openDatabase(IndexKind.group.databaseName, flags: flags))
        byTime = PostingIndex(database: try environment.openDatabase(IndexKind.minute.databaseName, flags: flags))
        delta = DeltaLog(database: try environment.openDatabase("idx.delta", flags: flags))
        streams = try environment.openDatabase("streams", flags: flags)
        cursors = try environment.openDatabase("cursors", flags: flags)
        // The open refuses a file holding a database not in `databaseNames`: the list must name every one opened here.
        assert(Set(allDatabases.map(\.name)) == Set(Self.databaseNames), "StoreSchema.databaseNames is out of date")
    }

    /// The merged posting lists of `kind`.
    func postings(_ kind: IndexKind) -> PostingIndex {
        switch kind {
        case .type: byType
        case .actor: byActor
        case .target: byTarget
        case .group: byGroup
        case .minute: byTime
        }
    }

    /// The databases that reading records follows: `events`, `meta` for the head and `dictionaries` to decode.
    var recordDatabases: [Database] { [events, meta, dictionaries] }

    /// The log's secondary structures, which `reindex` rebuilds from the log: `ids`, `streams`, the delta log and the
    /// five posting indexes.
    var indexDatabases: [Database] {
        [ids, streams, delta.database] + IndexKind.allCases.map { postings($0).database }
    }

    var allDatabases: [Database] {
        [
            events, ids, meta, dictionaries, byType.database, byActor.database, byTarget.database, byGroup.database,
            byTime.database, delta.database, streams, cursors,
        ]
    }
}

/// Keys of the `meta` database.
enum MetaKey {
    /// u64: the store format version (``StoreSchema/formatVersion``).
    static let formatVersion = Array("format.version".utf8)
    /// u64: the 60-bit nonce of assigned ids.
    static let nonce = Array("store.nonce".utf8)
    /// u32: the dictionary new records are compressed with (absent: none yet).
    static let currentDictionary = Array("dictionary.current".utf8)
    /// u64: the event count when the current dictionary was trained.
    static let dictionaryTrainedAt = Array("dictionary.trainedAt".utf8)
    /// u64: total uncompressed payload bytes appended.
    static let payloadBytes = Array("stats.payloadBytes".utf8)
    /// u64: total stored record bytes (headers plus stored payloads).
    static let recordBytes = Array("stats.recordBytes".utf8)
    /// u64: how many records the store held when it was upgraded from format 2 (every one with a whole-hash header);
    /// absent for a store created in format 3.
    static let upgradedAt = Array("format.upgradedAt".utf8)
    /// 32 bytes: the chain hash of the last record (store format 3).
    static let chainHead = Array("chain.head".utf8)
    /// u64: the last offset the merged posting lists cover; the delta log holds the postings after it.
    static let indexMergedThrough = Array("index.mergedThrough".utf8)
    /// u64: milliseconds since 1970 when the store was created.
    static let createdAt = Array("store.createdAt".utf8)
}

extension StoreSchema {
    /// Whether `key` of the `events` database can be an offset's: 8 bytes, and not 2⁶⁴ − 1, an offset no log
    /// reaches (its successor cannot even be named), which only damage writes.
    static func isOffsetKey(_ key: UnsafeRawBufferPointer) -> Bool {
        key.count == 8 && UInt64(bigEndianBytes: key) != .max
    }

    /// The offset `key` of the `events` database names.
    /// - Throws: ``AnnalsError/corruptRecord(offset:reason:)`` for a key that is no offset's (``isOffsetKey(_:)``).
    static func offset(ofKey key: UnsafeRawBufferPointer) throws(AnnalsError) -> UInt64 {
        guard isOffsetKey(key) else {
            throw .corruptRecord(
                offset: 0,
                reason: "the events key \(key.hexadecimal) is no offset's (8 bytes below 2^64 - 1); run 'annals verify'"
            )
        }
        return UInt64(bigEndianBytes: key)
    }
}

extension Transaction {
    /// A big-endian u64 from `meta`, or `nil`.
    func metaU64(_ schema: StoreSchema, _ key: [UInt8]) throws -> UInt64? {
        try key.withUnsafeBytes { k in
            guard let v = try get(schema.meta, key: k), v.count == 8 else { return nil }
            return UInt64(bigEndianBytes: v)
        }
    }

    /// How many of the first records were written before store format 3, with whole-hash headers and without
    /// `chain.head`: all (through `head`) of a format 2 store opened read-only, those before the upgrade of an
    /// upgraded one, none of a format 3 store. Every record after them was appended by a commit that wrote
    /// `chain.head`.
    func wholeHashRecords(_ schema: StoreSchema, head: UInt64) throws -> UInt64 {
        if try metaU64(schema, MetaKey.formatVersion) == StoreSchema.upgradableFormatVersion { return head }
        return try metaU64(schema, MetaKey.upgradedAt) ?? 0
    }

    /// Stores a big-endian u64 in `meta`.
    func setMetaU64(_ schema: StoreSchema, _ key: [UInt8], _ value: UInt64) throws {
        try put(schema.meta, key: key, value: value.bigEndianBytes)
    }

    /// The last offset (0 for an empty log), read from the last key alone: a damaged record does not hide it.
    func lastOffset(_ schema: StoreSchema) throws -> UInt64 {
        try withLastRecord(schema) { offset, _ in offset } ?? 0
    }

    /// Calls `body` with the last record's offset and bytes, or returns `nil` for an empty log.
    private func withLastRecord<R>(
        _ schema: StoreSchema, _ body: (UInt64, UnsafeRawBufferPointer) throws -> R
    ) throws -> R? {
        try withCursor(schema.events) { cursor in
            guard let last = try cursor.get(.last) else { return nil }
            return try body(try StoreSchema.offset(ofKey: last.key), last.value)
        }
    }

    /// The last record's offset and chain hash, or offset 0 and the genesis hash for an empty log.
    ///
    /// A checkpoint record carries its whole hash, which must equal `meta` `chain.head` when there is one; a tagged
    /// one's is in `chain.head`, and must match the record's tag.
    func logHead(_ schema: StoreSchema) throws -> (offset: UInt64, hash: ChainHash) {
        let last = try withLastRecord(schema) { offset, record -> (UInt64, RecordHeader.Link) in
            do throws(RecordFormatError) {
                return (offset, try RecordHeader.read(record).link)
            } catch {
                throw AnnalsError.corruptRecord(offset: offset, reason: error.description)
            }
        }
        guard let (offset, link) = last else { return (0, .genesis) }
        let stored = try get(schema.meta, key: MetaKey.chainHead)
        if let hash = link.hash {
            // Every commit records its head's hash in meta: at a checkpoint head they must agree too, or records
            // after it were removed (a store from before format 3 may have no head hash in meta).
            if let stored, stored.count == 32, ChainHash(bytes: stored) != hash {
                throw AnnalsError.corruptRecord(
                    offset: offset,
                    reason: "the head's chain hash in meta (\(ChainHash(bytes: stored).hex)) is not the hash of the "
                        + "last record, a checkpoint (\(hash.hex)): records after it were removed, or meta is damaged")
            }
            return (offset, hash)
        }
        guard let stored, stored.count == 32 else {
            throw AnnalsError.corruptRecord(
                offset: offset, reason: "the head's chain hash is missing from meta (chain.head)")
        }
        let hash = ChainHash(bytes: stored)
        guard hash.tag == link.tag else {
            throw AnnalsError.corruptRecord(
                offset: offset,
                reason: "the head's chain hash in meta (\(hash.hex)) does not match the record's tag \(link.tag)")
        }
        return (offset, hash)
    }

    /// ``logHead(_:)``, with a tagged head's hash in `meta` checked whole: ``logHead(_:)`` compares only its first
    /// 16 bytes with the record's tag, so damage to the rest of `chain.head` would otherwise be printed as the head
    /// and extended by the next append. Recomputes the hash from the checkpoint at or before the head (at most
    /// 1,023 records); when a record on the way cannot be read, `meta`'s hash is taken as ``logHead(_:)`` takes it.
    /// - Throws: ``AnnalsError/corruptRecord(offset:reason:)`` at the head when the recomputed hash differs, and as
    ///   ``logHead(_:)`` does.
    func checkedLogHead(_ schema: StoreSchema, decoder: RecordDecoder) throws -> (offset: UInt64, hash: ChainHash) {
        let head = try logHead(schema)
        guard head.offset > 0, let computed = try recomputedChainHash(at: head.offset, schema, decoder: decoder),
            computed != head.hash
        else { return head }
        throw AnnalsError.corruptRecord(
            offset: head.offset,
            reason: "the head's chain hash in meta (chain.head) is \(head.hash.hex), but the records give "
                + "\(computed.hex): meta is damaged, or a record since the last checkpoint was changed")
    }
}
