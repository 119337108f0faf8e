import LMDB

/// Counts and sizes of a store, as `annals stats` prints them.
public struct StoreStatistics: Sendable, Hashable {
    /// Events in the log (the last offset).
    public var events: UInt64
    /// The highest durable offset.
    public var durableOffset: UInt64
    /// Uncompressed payload bytes of every event (binary envelopes, before compression).
    public var payloadBytes: UInt64
    /// Bytes of every stored record (headers plus stored payloads).
    public var recordBytes: UInt64
    /// Bytes of the record headers: 26 for a tagged record, 42 for a checkpoint (docs/FORMAT.md), derived from the
    /// record count.
    public var headerBytes: UInt64
    /// Bytes of the data file in use (LMDB pages up to the last one used: log, indexes and free pages).
    public var usedBytes: Int
    /// The current map size.
    public var mapSize: Int
    /// The LMDB page size.
    public var pageSize: Int
    /// Reader slots used so far: LMDB's high-water mark of the reader table (`me_numreaders`), which includes
    /// slots of finished readers that are free for reuse.
    public var readersInUse: Int
    /// The size of the reader table.
    public var maximumReaders: Int
    /// Per database: entries and bytes in pages. The log's databases come first, then `projections` (their states),
    /// `snapshots`, and the tables of each registered projection in both slots (`p.NAME.SLOT.TABLE`).
    public var databases: [DatabaseUsage]
    /// Trained dictionaries: id and size; the last is the current one.
    public var dictionaries: [DictionaryUsage]
    /// Events per type, most frequent first.
    public var types: [TypeCount]
    /// Distinct actors, targets and groups.
    public var distinctActors: Int
    /// Distinct target streams.
    public var distinctTargets: Int
    /// Distinct groups.
    public var distinctGroups: Int

    /// Stored payload bytes: ``recordBytes`` less ``headerBytes``.
    public var storedPayloadBytes: UInt64 {
        recordBytes - min(recordBytes, headerBytes)
    }

    /// Uncompressed payload bytes per stored payload byte: what zstd saves (headers excluded).
    public var compressionRatio: Double {
        storedPayloadBytes == 0 ? 1 : Double(payloadBytes) / Double(storedPayloadBytes)
    }

    /// Entries and page bytes of one LMDB database.
    public struct DatabaseUsage: Sendable, Hashable {
        /// The database name.
        public var name: String
        /// Key/value entries.
        public var entries: Int
        /// Bytes in its pages.
        public var bytes: Int
    }

    /// A stored dictionary.
    public struct DictionaryUsage: Sendable, Hashable {
        /// Its id.
        public var id: UInt32
        /// Its size in bytes.
        public var size: Int
    }

    /// How many events have one type.
    public struct TypeCount: Sendable, Hashable {
        /// The type.
        public var type: String
        /// Its events.
        public var count: UInt64
    }
}

extension EventStore {
    /// Counts, sizes, compression, dictionaries, map usage and readers.
    public func statistics() throws(AnnalsError) -> StoreStatistics {
        do {
            let info = environment.info()
            return try environment.read { txn in
                let head = try txn.lastOffset(schema)
                var databases: [StoreStatistics.DatabaseUsage] = []
                // The log's databases, then the projections' states, the snapshots and the views' tables.
                for database in schema.allDatabases + projections.allDatabases {
                    let stat = try txn.statistics(database)
                    databases.append(.init(name: database.name, entries: stat.entries, bytes: stat.bytes))
                }
                let index = IndexReader(schema: schema)
                let recent = try schema.delta.all(txn)
                let types = try index.symbolCounts(txn, .type, recent: recent)
                    .map { StoreStatistics.TypeCount(type: String(decoding: $0.key, as: UTF8.self), count: $0.value) }
                    .sorted { ($0.count, $1.type) > ($1.count, $0.type) }
                return StoreStatistics(
                    events: head,
                    durableOffset: durableOffset(upTo: head),
                    payloadBytes: try txn.metaU64(schema, MetaKey.payloadBytes) ?? 0,
                    recordBytes: try txn.metaU64(schema, MetaKey.recordBytes) ?? 0,
                    headerBytes: RecordHeader.totalSize(
                        ofRecords: head, wholeHashThrough: try txn.wholeHashRecords(schema, head: head)),
                    usedBytes: info.usedBytes, mapSize: info.mapSize, pageSize: info.pageSize,
                    readersInUse: info.readersInUse, maximumReaders: info.maxReaders, databases: databases,
                    dictionaries: try registry.list(txn).map { .init(id: $0.id, size: $0.size) },
                    types: types,
                    distinctActors: try index.symbolCounts(txn, .actor, recent: recent).count,
                    distinctTargets: try index.symbolCounts(txn, .target, recent: recent).count,
                    distinctGroups: try index.symbolCounts(txn, .group, recent: recent).count)
            }
        } catch {
            throw AnnalsError(error)
        }
    }
}
