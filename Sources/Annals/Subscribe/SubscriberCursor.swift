import LMDB

/// A named, durable subscriber cursor: the last offset its consumer acknowledged.
public struct SubscriberCursor: Sendable, Hashable {
    /// The cursor's name.
    public var name: String
    /// The last acknowledged offset (0: nothing yet). Delivery resumes after it.
    public var offset: UInt64
    /// When it was last acknowledged or reset (ms since 1970); 0 if never, as for a cursor only created
    /// (``EventStore/createCursor(_:at:)``, the start of `annals tail --cursor` or of a named subscription).
    public var acknowledgedAt: Int64
    /// When it was created (ms since 1970).
    public var createdAt: Int64
    /// Events after ``offset`` up to the log's head when this was read: how far behind the consumer is.
    public var lag: UInt64
    /// How many times the cursor was reset or deleted (a deleted cursor created again keeps counting). A consumer
    /// that read it passes it to ``EventStore/acknowledge(_:through:expectingResets:)``, which refuses to acknowledge
    /// if it changed: someone moved the cursor meanwhile.
    public var resets: UInt64 = 0

    /// The longest cursor name, in bytes.
    public static let maximumNameLength = 128

    /// Checks a cursor name: 1–128 bytes of `[A-Za-z0-9_.:-]`.
    public static func validate(name: String) throws(AnnalsError) {
        let bytes = name.utf8
        guard !bytes.isEmpty, bytes.count <= maximumNameLength, bytes.allSatisfy(EventValidation.isTypeByte) else {
            throw .invalidArgument(
                "cursor name '\(name)' must be 1–\(maximumNameLength) characters of A-Z a-z 0-9 _ . : -")
        }
    }

    /// Stored value: offset, acknowledged-at and created-at, each 8 bytes big-endian.
    var stored: [UInt8] {
        offset.bigEndianBytes + UInt64(acknowledgedAt).bigEndianBytes + UInt64(createdAt).bigEndianBytes
    }

    init(name: String, offset: UInt64, acknowledgedAt: Int64, createdAt: Int64, lag: UInt64) {
        self.name = name
        self.offset = offset
        self.acknowledgedAt = acknowledgedAt
        self.createdAt = createdAt
        self.lag = lag
    }

    init?(name: String, stored: UnsafeRawBufferPointer, head: UInt64) {
        guard stored.count == 24 else { return nil }
        let offset = UInt64(bigEndianBytes: stored, at: 0)
        self.init(
            name: name, offset: offset, acknowledgedAt: Int64(UInt64(bigEndianBytes: stored, at: 8)),
            createdAt: Int64(UInt64(bigEndianBytes: stored, at: 16)), lag: head > offset ? head - offset : 0)
    }
}

extension SubscriberCursor {
    /// The key of cursor `name`'s resets count in the `cursors` database: `#resets:NAME`, which no cursor name can
    /// be (`#` is not a name character), holding a `u64 BE` that readers of cursors skip (it is not 24 bytes).
    static func resetsKey(_ name: String) -> [UInt8] { Array("#resets:".utf8) + Array(name.utf8) }

    /// How many times cursor `name` was reset or deleted, read in `txn`.
    static func resets(of name: String, _ schema: StoreSchema, _ txn: borrowing Transaction) throws -> UInt64 {
        let key: [UInt8] = resetsKey(name)
        guard let stored: [UInt8] = try txn.get(schema.cursors, key: key), stored.count == 8 else { return 0 }
        return stored.withUnsafeBytes { UInt64(bigEndianBytes: $0, at: 0) }
    }

    /// This cursor with its ``resets`` read from `txn`.
    func withResets(_ schema: StoreSchema, _ txn: borrowing Transaction) throws -> SubscriberCursor {
        var cursor = self
        cursor.resets = try Self.resets(of: name, schema, txn)
        return cursor
    }

    /// Counts a reset or deletion of cursor `name` (``resets``), in the transaction that makes it.
    static func countReset(of name: String, _ schema: StoreSchema, _ txn: borrowing Transaction) throws {
        try txn.put(schema.cursors, key: resetsKey(name), value: (try resets(of: name, schema, txn) + 1).bigEndianBytes)
    }
}

/// An acknowledgement to write in the same transaction as an append (exactly-once processing).
struct CursorAcknowledgement: Sendable {
    let name: String
    let offset: UInt64
    /// For a conditional acknowledgement, the cursor's ``SubscriberCursor/resets`` as its consumer read it: a cursor
    /// deleted or reset since fails the acknowledgement with ``AnnalsError/cursorMoved(name:offset:)``.
    var expectedResets: UInt64? = nil

    /// Refuses an acknowledgement past `head`, the log's last offset: a cursor there would skip the events appended
    /// until the log reaches it.
    /// - Throws: ``AnnalsError/invalidArgument(_:)``.
    func check(head: UInt64) throws(AnnalsError) {
        try Self.check(offset, of: name, head: head, action: "acknowledged through")
    }

    /// Refuses storing cursor `name` (`action`: "reset to", "created at") at an `offset` past `durable`, the durable
    /// offset: if a system crash lost the events after it, new events would reuse their offsets, and the cursor would
    /// skip them.
    /// - Throws: ``AnnalsError/invalidArgument(_:)``.
    static func checkDurable(_ offset: UInt64, of name: String, durable: UInt64, action: String) throws(AnnalsError) {
        guard offset > durable else { return }
        throw .invalidArgument(
            "cursor '\(name)' cannot be \(action) offset \(offset): the events after offset \(durable) are committed "
                + "but not yet durable, and a cursor past them would skip the events that reuse their offsets if a "
                + "system crash lost them (try again once the writer has synced)")
    }

    /// Refuses moving cursor `name` (`action`: "acknowledged through", "reset to", …) to `offset` past `head`.
    /// - Throws: ``AnnalsError/invalidArgument(_:)``.
    static func check(_ offset: UInt64, of name: String, head: UInt64, action: String) throws(AnnalsError) {
        guard offset > head else { return }
        throw .invalidArgument(
            "cursor '\(name)' cannot be \(action) offset \(offset): the log ends at offset \(head), and a cursor past "
                + "it would skip the events appended until the log reaches it")
    }

    /// For a conditional acknowledgement (``expectedResets``), refuses a cursor that no longer exists or was reset
    /// since its consumer read it; an unconditional one passes.
    /// - Throws: ``AnnalsError/cursorMoved(name:offset:)``, or the `LMDBError` of a failed read.
    func checkResets(_ schema: StoreSchema, _ txn: borrowing Transaction) throws {
        guard let expectedResets else { return }
        let previous = try stored(schema, txn)
        let resets = try SubscriberCursor.resets(of: name, schema, txn)
        if previous == nil || resets != expectedResets {
            throw AnnalsError.cursorMoved(name: name, offset: previous?.offset)
        }
    }

    /// The cursor as stored, if it exists.
    private func stored(_ schema: StoreSchema, _ txn: borrowing Transaction) throws -> SubscriberCursor? {
        try txn.get(schema.cursors, key: Array(name.utf8)).flatMap { stored in
            stored.withUnsafeBytes { SubscriberCursor(name: name, stored: $0, head: 0) }
        }
    }

    /// Writes the acknowledgement; the cursor only moves forward. A conditional one (``expectedResets``) must have
    /// passed ``checkResets(_:_:)`` in the same transaction first (the group commit checks each batch's before
    /// applying it, so that a reset fails that batch alone).
    func write(_ schema: StoreSchema, _ txn: borrowing Transaction) throws {
        let now = currentTimeMilliseconds()
        var cursor = SubscriberCursor(name: name, offset: offset, acknowledgedAt: now, createdAt: now, lag: 0)
        let previous = try stored(schema, txn)
        if let previous {
            cursor.createdAt = previous.createdAt
            cursor.offset = max(previous.offset, offset)
        }
        try txn.put(schema.cursors, key: Array(name.utf8), value: cursor.stored)
    }
}
