/// Text about a thing, with labels and an embedding, as the knowledge projection holds it.
public struct KnowledgeItem: Sendable, Hashable {
    /// The item's id (the `targetId` of its events).
    public var id: String
    /// The thing it is about.
    public var thingId: String
    /// The tenant or organization (the `groupId` of the event that added it).
    public var groupId: String?
    /// The text.
    public var text: String
    /// Labels, sorted and unique.
    public var labels: [String]
    /// The embedding the event supplied, scaled to unit length (``VectorMath/normalized(_:)``), or `nil` when the
    /// store's embedder computed it from the text.
    public var suppliedEmbedding: [Float]?
    /// When it was added and last changed.
    public var stamp: EntityStamp

    /// The item as a JSON object; a supplied embedding is listed in full, a computed one is not.
    public var json: JSONValue {
        var members = stamp.jsonMembers
        members["id"] = .string(id)
        members["thingId"] = .string(thingId)
        members["groupId"] = groupId.map(JSONValue.string) ?? .null
        members["text"] = .string(text)
        members["labels"] = .array(labels.map(JSONValue.string))
        members["embedding"] = suppliedEmbedding.map { .array($0.map { .double(Double($0)) }) } ?? .null
        return .object(members)
    }

    var encoded: [UInt8] {
        var writer = ByteWriter(capacity: 64 + text.utf8.count)
        writer.u8(1)
        writer.string(thingId)
        writer.optionalString(groupId)
        writer.string(text)
        writer.varint(UInt64(labels.count))
        for label in labels { writer.string(label) }
        if let suppliedEmbedding {
            writer.u8(1)
            writer.lengthPrefixed(VectorMath.encode(suppliedEmbedding, as: .float32))
        } else {
            writer.u8(0)
        }
        writer.stamp(stamp)
        return writer.bytes
    }

    init(
        id: String, thingId: String, groupId: String?, text: String, labels: [String], suppliedEmbedding: [Float]?,
        stamp: EntityStamp
    ) {
        self.id = id
        self.thingId = thingId
        self.groupId = groupId
        self.text = text
        self.labels = labels
        self.suppliedEmbedding = suppliedEmbedding
        self.stamp = stamp
    }

    init(id: String, decoding bytes: UnsafeRawBufferPointer) throws {
        self = try decodeRecord(bytes, table: "knowledge", key: id) { reader in
            let thing = try reader.string()
            let group = try reader.optionalString()
            let text = try reader.string()
            let count = try reader.varint()
            guard count <= 1024 else { throw OntologyRecordError(table: "knowledge", key: id) }
            var labels: [String] = []
            for _ in 0..<count { labels.append(try reader.string()) }
            var supplied: [Float]?
            if try reader.u8() == 1 {
                let bytes = try reader.lengthPrefixed()
                supplied = try VectorMath.decode(bytes, encoding: .float32, dimensions: bytes.count / 4)
            }
            let stamp = try reader.stamp()
            return KnowledgeItem(
                id: id, thingId: thing, groupId: group, text: text, labels: labels, suppliedEmbedding: supplied,
                stamp: stamp)
        }
    }
}
