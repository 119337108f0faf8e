import LMDB

extension EventStore {
    /// Checks the pages that reading the subscriber cursors follows (``cursors()``, ``cursor(named:)``, and their lag
    /// behind the head): the `cursors` database and the path to the log's head.
    /// - Throws: ``AnnalsError/storage(_:)`` with `LMDBError.Code.corrupted`, naming the first damaged page.
    public func checkCursorPages() throws(AnnalsError) {
        try checkLogPages(offsets: [])
        try requireSoundPages(
            of: [schema.cursors.name], operation: "checkCursorPages", "the cursors' pages are damaged",
            advice: Self.logDamageAdvice)
    }

    /// Checks the pages that listing, loading and pruning snapshots follow: the `snapshots` database and the path to
    /// the log's head. Taking a snapshot also copies the live views: check those with
    /// ``checkViewPages(of:tables:)``.
    /// - Throws: ``AnnalsError/storage(_:)`` with `LMDBError.Code.corrupted`, naming the first damaged page.
    public func checkSnapshotPages() throws(AnnalsError) {
        try checkLogPages(offsets: [])
        guard let snapshots = projections.snapshots else { return }
        try requireSoundPages(
            of: [snapshots.name], operation: "checkSnapshotPages", "the snapshots' pages are damaged",
            advice: Self.logDamageAdvice)
    }
}
