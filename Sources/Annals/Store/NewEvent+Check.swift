extension NewEvent {
    /// Checks the event as an append checks it before it reaches the writer: the envelope rules (identifiers, type,
    /// expected version) and the metadata (how deep it nests, its numbers). The encoded record's size is checked only
    /// by the append itself. Lets a caller refuse an event before doing what cannot be undone, such as starting a
    /// process that the event would record.
    /// - Throws: ``AnnalsError/invalidEvent(index:field:reason:)`` (with index 0) naming the first problem.
    public func check() throws(AnnalsError) {
        _ = try PreparedEvent(self, index: 0, now: 0)
    }
}
