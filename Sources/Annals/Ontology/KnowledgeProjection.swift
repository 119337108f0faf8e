/// The built-in view of knowledge: items by id, by thing and by label, a BM25 term index and one embedding per
/// item for vector search.
///
/// Tables: `knowledge` (id → record), `by-thing` (thingId␀id), `by-label` (label␀id), `terms` (term␀id → term
/// frequency and document length), `term-stats` (term → document frequency), `stats` (`documents`, `length`, `changed`) and
/// `vectors` (id → group, labels, thing, document length and the embedding). Deleting a thing deletes its knowledge.
public struct KnowledgeProjection: Projection {
    /// `knowledge`.
    public let name = "knowledge"
    /// The layout version (2: `stats` records the offset of the last change; 3: a `knowledge.restored` sets the
    /// item's group to the event's; 4: supplied embeddings with components past Float's range, or too large or too
    /// small to square, are scaled instead of stored as zeros; 5: thing ids and labels are stored in Unicode
    /// normalization form C; 6: a supplied embedding of unit length already is stored as given, so that a restore
    /// of a stored one compares equal to it; 7: `vectors` rows carry the item's document length, so that a search
    /// restricted to groups computes BM25's statistics over those groups alone; 8: text is tokenized in Unicode
    /// normalization form C, combining marks are never terms of their own and variation selectors belong to no
    /// term, which changes the terms and embeddings of such text).
    public let version = 8
    /// The tables, in ``ProjectionTable`` order.
    public let tableNames = ["knowledge", "by-thing", "by-label", "terms", "term-stats", "stats", "vectors"]
    /// What snapshots hold: the items and the tables queries read. The term index, its counters and the vectors
    /// serve search only and are not written in time travel.
    public var snapshotTableNames: [String] { ["knowledge", "by-thing", "by-label", "stats"] }
    /// The embedder that computes embeddings for items that do not supply one.
    public let embedder: any Embedder
    /// How embeddings are stored.
    public let encoding: VectorEncoding

    static let items = ProjectionTable(0)
    static let byThing = ProjectionTable(1)
    static let byLabel = ProjectionTable(2)
    static let terms = ProjectionTable(3)
    static let termStats = ProjectionTable(4)
    static let stats = ProjectionTable(5)
    static let vectors = ProjectionTable(6)

    static let documentsKey = Array("documents".utf8)
    static let lengthKey = Array("length".utf8)
    /// `stats` key of the offset of the last event that changed the view (u64 BE): what the in-memory vector
    /// index is keyed by, so that appends which do not touch knowledge keep it.
    static let changedKey = Array("changed".utf8)

    /// The knowledge view, embedding with `embedder` and storing vectors as `encoding` (Float16 by default: half
    /// the space, with a cosine error far below what ranking notices).
    public init(embedder: any Embedder = FeatureHashingEmbedder(), encoding: VectorEncoding = .float16) {
        self.embedder = embedder
        self.encoding = encoding
    }

    /// The embedder and the vector encoding: changing either rebuilds the view.
    public var configuration: String { "\(embedder.identifier);\(encoding == .float16 ? "f16" : "f32")" }

    /// `knowledge.*` events, and `thing.deleted` (which removes the thing's knowledge).
    public func handles(eventType: String) -> Bool {
        eventType.hasEventTypePrefix("knowledge.") || eventType == OntologyEventType.thingDeleted
    }

    /// `knowledge.*` events: a `thing.deleted` is only followed (its knowledge goes with it), never refused here.
    public func mayReject(eventType: String) -> Bool { eventType.hasEventTypePrefix("knowledge.") }

    /// Applies a knowledge event; in live mode rejects knowledge about a missing thing, a duplicate id, an
    /// embedding of the wrong length, and deleting a missing item.
    public func apply(_ event: ProjectedEvent, to tables: any ProjectionWriter, context: ProjectionContext) throws {
        guard let parsed = try OntologyEvent.parse(event, mode: context.mode) else { return }
        let live = context.mode == .live
        if context.mode != .timeTravel { try noteChange(event.offset, tables) }
        switch parsed {
        case .knowledgeAdded(let id, let fields), .knowledgeRestored(let id, let fields):
            let existing = try Self.item(id, in: tables)
            var supplied = fields.embedding
            if let vector = supplied, vector.count != embedder.dimensions {
                if live {
                    throw ProjectionRejection(
                        field: "metadata.embedding",
                        "has \(vector.count) dimensions; this store's embedder (\(embedder.identifier)) makes "
                            + "\(embedder.dimensions)")
                }
                supplied = nil
            }
            if live {
                if existing != nil, case .knowledgeAdded = parsed {
                    throw ProjectionRejection(field: "targetId", "knowledge item '\(id)' already exists")
                }
                try EntityIDs.requireUnused(id, creatingIn: name, context: context)
                if let things = context.tables(of: "things"),
                    try ThingsProjection.thing(fields.thingId, in: things) == nil
                {
                    throw ProjectionRejection(field: "metadata.thingId", "thing '\(fields.thingId)' does not exist")
                }
            }
            let stamp = existing.map { $0.stamp.touched(by: event) } ?? EntityStamp(createdBy: event)
            // A restore states the group the item had; an addition replayed over an existing item keeps its group.
            var group = event.groupId
            if case .knowledgeAdded = parsed { group = existing?.groupId ?? event.groupId }
            let item = KnowledgeItem(
                id: id, thingId: fields.thingId, groupId: group, text: fields.text, labels: fields.labels,
                suppliedEmbedding: supplied.map(VectorMath.unitLength), stamp: stamp)
            let searchable = context.mode != .timeTravel
            if let existing { try remove(existing, from: tables, searchable: searchable) }
            try store(item, in: tables, searchable: searchable)
        case .knowledgeDeleted(let id):
            guard let item = try Self.item(id, in: tables) else {
                if live { throw ProjectionRejection(field: "targetId", "knowledge item '\(id)' does not exist") }
                return
            }
            try remove(item, from: tables, searchable: context.mode != .timeTravel)
        case .thingDeleted(let thing):
            for id in try tables.keys(Self.byThing, prefix: OntologyKey.prefix(thing)) {
                let itemID = id.withUnsafeBytes { OntologyKey.lastPart($0) }
                if let item = try Self.item(itemID, in: tables) {
                    try remove(item, from: tables, searchable: context.mode != .timeTravel)
                }
            }
        default:
            return
        }
    }

    /// The knowledge item `id` in `tables`, or `nil`.
    static func item(_ id: String, in tables: any ProjectionReader) throws -> KnowledgeItem? {
        try tables.withValue(items, key: Array(id.utf8)) { value in
            try value.map { try KnowledgeItem(id: id, decoding: $0) }
        }
    }

    /// The stemmed terms of `text` with their frequencies, and the document length.
    static func termFrequencies(_ text: String) -> (terms: [String: Int], length: Int) {
        // About one term per six bytes of text: reserved, so the dictionary does not grow as it fills.
        var frequencies: [String: Int] = Dictionary(minimumCapacity: text.utf8.count / 6 + 4)
        var length = 0
        TextTokenizer.forEachTerm(in: text) { term in
            frequencies[TextTokenizer.stem(utf8: term), default: 0] += 1
            length += 1
        }
        return (frequencies, length)
    }

    /// A `terms` value: the term's frequency in the item and the item's length in terms, both u32 big-endian.
    static func termPosting(count: Int, documentLength: Int) -> [UInt8] {
        let frequency = UInt32(min(count, Int(UInt32.max)))
        let length = UInt32(min(documentLength, Int(UInt32.max)))
        return [UInt8](unsafeUninitializedCapacity: 8) { bytes, initialized in
            let raw = UnsafeMutableRawBufferPointer(bytes)
            raw.storeBytes(of: frequency.bigEndian, toByteOffset: 0, as: UInt32.self)
            raw.storeBytes(of: length.bigEndian, toByteOffset: 4, as: UInt32.self)
            initialized = 8
        }
    }

    /// Stores `item` with its `by-thing` and `by-label` entries: what queries (not search) read.
    static func storeForQueries(_ item: KnowledgeItem, in tables: any ProjectionWriter) throws {
        try tables.put(items, key: Array(item.id.utf8), value: item.encoded)
        try tables.put(byThing, key: OntologyKey.make(item.thingId, item.id), value: [])
        for label in item.labels { try tables.put(byLabel, key: OntologyKey.make(label, item.id), value: []) }
    }

    /// Stores `item`; with `searchable`, also its terms, counters and embedding (time travel skips them: it only
    /// queries items).
    private func store(_ item: KnowledgeItem, in tables: any ProjectionWriter, searchable: Bool) throws {
        try Self.storeForQueries(item, in: tables)
        guard searchable else { return }
        let (frequencies, length) = Self.termFrequencies(item.text)
        for (term, count) in frequencies where term.utf8.count <= 64 {
            try tables.put(
                Self.terms, key: OntologyKey.make(term, item.id),
                value: Self.termPosting(count: count, documentLength: length))
            try Self.adjust(Self.termStats, key: Array(term.utf8), by: 1, in: tables)
        }
        try Self.adjust(Self.stats, key: Self.documentsKey, by: 1, in: tables)
        try Self.adjust(Self.stats, key: Self.lengthKey, by: Int64(length), in: tables)
        let vector = item.suppliedEmbedding ?? embedder.embed(item.text)
        guard vector.count == embedder.dimensions else {
            // Only the store's own embedder can get here (a supplied vector is checked first): an embedder that breaks
            // its own `dimensions` would otherwise trap a later search.
            throw ProjectionRejection(
                field: "metadata.text",
                "this store's embedder (\(embedder.identifier)) made \(vector.count) components for it, but declares "
                    + "\(embedder.dimensions) dimensions")
        }
        try tables.put(
            Self.vectors, key: Array(item.id.utf8),
            value: VectorRow.encode(item, vector, encoding, documentLength: length))
    }

    /// Removes `item`; with `searchable`, also its terms, counters and embedding.
    private func remove(_ item: KnowledgeItem, from tables: any ProjectionWriter, searchable: Bool) throws {
        try tables.remove(Self.items, key: Array(item.id.utf8))
        try tables.remove(Self.byThing, key: OntologyKey.make(item.thingId, item.id))
        for label in item.labels { try tables.remove(Self.byLabel, key: OntologyKey.make(label, item.id)) }
        guard searchable else { return }
        let (frequencies, length) = Self.termFrequencies(item.text)
        for term in frequencies.keys where term.utf8.count <= 64 {
            try tables.remove(Self.terms, key: OntologyKey.make(term, item.id))
            try Self.adjust(Self.termStats, key: Array(term.utf8), by: -1, in: tables)
        }
        try Self.adjust(Self.stats, key: Self.documentsKey, by: -1, in: tables)
        try Self.adjust(Self.stats, key: Self.lengthKey, by: -Int64(length), in: tables)
        try tables.remove(Self.vectors, key: Array(item.id.utf8))
    }

    /// Records `offset` as the last change to the view (a rejected event's record is undone with the rest).
    private func noteChange(_ offset: UInt64, _ tables: any ProjectionWriter) throws {
        try tables.put(Self.stats, key: Self.changedKey, value: offset.bigEndianBytes)
    }

    /// Adds `delta` to the u64 counter under `key`, deleting it at zero.
    private static func adjust(_ table: ProjectionTable, key: [UInt8], by delta: Int64, in tables: any ProjectionWriter)
        throws
    {
        let current = try counter(table, key: key, in: tables)
        // `counter` keeps counts within Int64; one this far from zero is damage, not a count.
        let (sum, overflow) = Int64(current).addingReportingOverflow(delta)
        guard !overflow else { throw counterError(table, key: key) }
        let next = max(0, sum)
        if next == 0 {
            try tables.remove(table, key: key)
        } else {
            try tables.put(table, key: key, value: UInt64(next).bigEndianBytes)
        }
    }

    /// The u64 counter under `key` (0 when absent).
    /// - Throws: ``OntologyRecordError`` for a count past `Int64.max`, which no change makes (a damaged record):
    ///   the searches and the writer's adjustments that use counts as `Int` and `Int64` then fail instead of trapping.
    static func counter(_ table: ProjectionTable, key: [UInt8], in tables: any ProjectionReader) throws -> UInt64 {
        let count = try tables.withValue(table, key: key) { value -> UInt64 in
            guard let value, value.count == 8 else { return 0 }
            return UInt64(bigEndianBytes: value)
        }
        guard count <= UInt64(Int64.max) else { throw counterError(table, key: key) }
        return count
    }

    /// The error for a damaged counter under `key`.
    private static func counterError(_ table: ProjectionTable, key: [UInt8]) -> OntologyRecordError {
        OntologyRecordError(
            table: table == termStats ? "term-stats" : "stats", key: String(decoding: key, as: UTF8.self))
    }
}

/// A `vectors` row: what vector search filters on (group, labels), the item's document length (what BM25 needs of
/// every item of a group) and the embedding.
enum VectorRow {
    /// The row of `item` with its embedding `vector` stored as `encoding`, and its length in terms.
    static func encode(
        _ item: KnowledgeItem, _ vector: [Float], _ encoding: VectorEncoding, documentLength: Int
    ) -> [UInt8] {
        var writer = ByteWriter(capacity: 40 + vector.count * 4)
        writer.u8(1)
        writer.optionalString(item.groupId)
        writer.varint(UInt64(item.labels.count))
        for label in item.labels { writer.string(label) }
        writer.string(item.thingId)
        writer.varint(UInt64(documentLength))
        writer.u8(encoding.rawValue)
        writer.varint(UInt64(vector.count))
        writer.raw(VectorMath.encode(vector, as: encoding))
        return writer.bytes
    }

    /// The decoded filter fields and the raw vector bytes (valid as long as `bytes`).
    struct Decoded {
        var groupId: String?
        var labels: [String]
        var thingId: String
        /// The item's length in terms, as its `terms` postings record it.
        var documentLength: Int
        var encoding: VectorEncoding
        var dimensions: Int
        var vector: UnsafeRawBufferPointer
    }

    static func decode(_ bytes: UnsafeRawBufferPointer, id: String) throws -> Decoded {
        try decodeRecord(bytes, table: "vectors", key: id) { reader in
            let group = try reader.optionalString()
            let count = try reader.varint()
            guard count <= 1024 else { throw OntologyRecordError(table: "vectors", key: id) }
            var labels: [String] = []
            for _ in 0..<count { labels.append(try reader.string()) }
            let thing = try reader.string()
            // An item's length in terms is under its text's bytes; bounded so that sums of them cannot overflow.
            let documentLength = try reader.varint()
            guard documentLength <= UInt64(UInt32.max) else { throw OntologyRecordError(table: "vectors", key: id) }
            guard let encoding = VectorEncoding(rawValue: try reader.u8()) else {
                throw OntologyRecordError(table: "vectors", key: id)
            }
            let dimensions = try reader.varint()
            let width = encoding == .float16 ? 2 : 4
            guard dimensions <= 65536, reader.remaining == Int(dimensions) * width else {
                throw OntologyRecordError(table: "vectors", key: id)
            }
            return Decoded(
                groupId: group, labels: labels, thingId: thing, documentLength: Int(documentLength),
                encoding: encoding, dimensions: Int(dimensions),
                vector: try reader.bytes(Int(dimensions) * width))
        }
    }
}
