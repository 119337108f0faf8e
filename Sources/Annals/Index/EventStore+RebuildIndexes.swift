import LMDB

extension EventStore {
    /// Rebuilds the log's secondary structures from the log: the five posting indexes (with the delta log emptied
    /// into them), the `ids` map of client ids and the `streams` versions. The repair for what
    /// ``verifyIndexes(progress:)`` reports; the records, the chain, the views and the subscribers' cursors are not
    /// touched.
    ///
    /// It reads the log in short read transactions while appends go on, then, in one write transaction (appends wait
    /// for it), reads the events appended meanwhile and replaces the structures. Run
    /// ``verify(from:to:anchor:progress:)`` first: a record that fails its checks stops the rebuild, and nothing is
    /// changed.
    /// - Parameter progress: Called now and then with the last offset read.
    /// - Returns: What was written.
    /// - Throws: ``AnnalsError/corruptRecord(offset:reason:)`` for a damaged record; ``AnnalsError/storage(_:)``
    ///   (`corrupted`) for damaged pages of the log, or of the structures where clearing them would follow them
    ///   (restore the store from a backup then); ``AnnalsError/invalidArgument(_:)`` on a store opened read-only.
    public func rebuildIndexes(progress: ((UInt64) -> Void)? = nil) throws(AnnalsError) -> IndexRebuildSummary {
        guard !options.readOnly else { throw .invalidArgument("the store was opened read-only") }
        let structures = schema.indexDatabases
        try requireSoundPages(
            of: schema.recordDatabases.map(\.name), operation: "rebuildIndexes", "the log's pages are damaged")
        try requireSoundPages(
            of: structures.map(\.name), includingLeaves: false, operation: "rebuildIndexes",
            "an index's pages are damaged where clearing it would follow them",
            advice: Self.logDamageAdvice)
        do {
            let scanned = try environment.read { txn in try txn.lastOffset(schema) }
            var collected = LogIndexes()
            try scanLog(through: scanned, progress: progress) { event, isClientID in
                collected.add(event, clientID: isClientID)
            }
            try environment.reserve(collected.estimatedBytes)
            let decoder = BatchDecoder(store: self)
            let summary = try writeReturning { txn in
                // A copy: a write that fills the map runs again from the start.
                var contents = collected
                let head = try txn.lastOffset(self.schema)
                var position = scanned
                while position < head {
                    let events = try self.recordedEvents(
                        after: position, through: head, limit: 4_096, decoder: decoder, txn)
                    guard let last = events.last else { break }
                    for event in events { contents.add(event, clientID: self.hasClientID(event)) }
                    position = last.offset
                }
                return try contents.write(self.schema, txn)
            }
            progress?(summary.head)
            return summary
        } catch {
            throw AnnalsError(error)
        }
    }
}
