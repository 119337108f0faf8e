extension NewEvent {
    /// Checks the event as an append checks it before it reaches the writer: the envelope rules (identifiers, type,
    /// expected version) and the metadata (how deep it nests, its numbers). The encoded record's size is checked only
    /// by the append itself, or by ``EventStore/check(_:)``, which knows the store's limit. Lets a caller refuse an
    /// event before doing what cannot be undone, such as starting a process that the event would record.
    /// - Throws: ``AnnalsError/invalidEvent(index:field:reason:)`` (with index 0) naming the first problem.
    public func check() throws(AnnalsError) {
        _ = try PreparedEvent(self, index: 0, now: 0)
    }
}

extension EventStore {
    /// Checks `event` as an append to this store would, short of what the log decides when it commits (a version
    /// conflict, a duplicate id): ``NewEvent/check()``, and the encoded size against
    /// ``StoreOptions/maximumEventSize``, at the stream version the event would get now (its `expectedVersion` + 1, or
    /// the target stream's current version + 1). Lets a caller refuse an event before doing what cannot be undone.
    /// - Throws: ``AnnalsError/invalidEvent(index:field:reason:)`` or ``AnnalsError/eventTooLarge(index:size:limit:)``
    ///   (with index 0); the errors of ``version(of:)``.
    public func check(_ event: NewEvent) throws(AnnalsError) {
        let prepared = try PreparedEvent(event, index: 0, now: currentTimeMilliseconds())
        var version: UInt64 = 0
        if let target = event.targetId {
            if let expected = event.expectedVersion {
                version = expected &+ 1
            } else {
                version = try self.version(of: target) &+ 1
            }
        }
        let size = Envelope.encoded(prepared, version: version).count
        guard size <= options.maximumEventSize else {
            throw .eventTooLarge(index: 0, size: size, limit: options.maximumEventSize)
        }
    }
}
