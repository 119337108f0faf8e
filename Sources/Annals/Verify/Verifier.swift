import LMDB

extension EventStore {
    /// The most problems one verification reports; the scan continues past them to count records.
    public static let maximumReportedProblems = 100

    /// Checks every record in `from...to`: gapless offsets, header, decompression, CRC-32C, envelope and the hash
    /// chain. With an `anchor` (from an earlier ``head()``), also detects a truncated tail.
    ///
    /// Each record's stored hash is checked against the previous record's stored hash, so damage is pinned to the
    /// records that carry it. Reads in short transactions; appends may continue meanwhile (the range end is fixed
    /// at the start).
    /// - Parameters:
    ///   - from: The first offset (default 1). When above 1, the chain is checked from the stored hash of
    ///     `from - 1`.
    ///   - to: The last offset (default: the head at the start).
    ///   - anchor: A `HASH@OFFSET` taken earlier, compared with the hash the records give at its offset (at the
    ///     head too: `meta`'s `chain.head` is not consulted, and a damaged one is reported as a
    ///     ``VerificationProblem/Kind/chainBreak`` of its own, not as an ``VerificationProblem/Kind/anchorMismatch``).
    ///   - progress: Called now and then with the last offset checked.
    /// - Throws: ``AnnalsError/storage(_:)`` when the store cannot be read at all. Damage is reported, not thrown.
    public func verify(
        from: UInt64 = 1, to: UInt64? = nil, anchor: VerificationAnchor? = nil,
        progress: ((UInt64) -> Void)? = nil
    ) throws(AnnalsError) -> VerificationReport {
        try verify(from: from, to: to, anchor: anchor, progress: progress, visit: nil)
    }

    /// ``verify(from:to:anchor:progress:)``, also handing every intact, decoded event to `visit`: one pass for
    /// tools that check and read the same range (the audit).
    func verify(
        from: UInt64, to: UInt64?, anchor: VerificationAnchor?, progress: ((UInt64) -> Void)?,
        visit: ((RecordedEvent) -> Void)?
    ) throws(AnnalsError) -> VerificationReport {
        guard from >= 1 else { throw .invalidArgument("verify range must start at offset 1 or later") }
        let decoder = makeDecoder()
        do {
            // LMDB follows its pages without checking them: a damaged one would crash the reads below. Only the
            // range's pages are read (from the checkpoint the chain starts at), and the anchor's, and the head's.
            let start = RecordHeader.checkpoint(atOrBefore: from - 1)
            var offsets = [start...max(start, to ?? .max)]
            if let anchor { offsets.append(RecordHeader.checkpoint(atOrBefore: anchor.offset)...anchor.offset) }
            // A whole-log verify also checks the free-page lists, which every write takes pages from.
            let damage = try environment.checkStructure(
                of: schema.recordDatabases.map(\.name), limitingTo: logRanges(offsets),
                includingFreeList: from == 1 && to == nil)
            if !damage.isEmpty { return VerificationReport(damagedPages: damage, from: from) }
            let (ends, storedHeadHash, headHashRequired, chainStart) = try environment.read {
                txn -> (LogEnds, [UInt8]?, Bool, ChainHash?) in
                // Keys before offset 1 and after the last offset, which the offset-by-offset walk does not report;
                // the head is the last 8-byte key.
                let ends = try logEnds(txn, fromTheStart: from == 1)
                let head = ends.head
                // Read with the head: appends may move both on while the range is checked.
                let storedHeadHash = try txn.get(schema.meta, key: MetaKey.chainHead)
                // Every commit since store format 3 writes the head's hash: only a head written before it has none.
                let headHashRequired = head > (try txn.wholeHashRecords(schema, head: head))
                // Without a readable chain up to the record before the range, its first link cannot be checked.
                return (
                    ends, storedHeadHash, headHashRequired,
                    try txn.recomputedChainHash(at: from - 1, schema, decoder: decoder)
                )
            }
            let head = ends.head
            if from > head && head > 0 {
                throw AnnalsError.invalidArgument("the range starts at offset \(from), after the last offset \(head)")
            }
            // An empty log's chain is at the genesis hash wherever the (empty) range starts.
            let startHash = head == 0 ? chainStart ?? .genesis : chainStart
            let last = min(to ?? head, head)
            var report = VerificationReport(
                from: from, to: last, recordsChecked: 0, lastHash: startHash, problems: [], anchorMatched: nil)
            for problem in ends.leadingKeys { report.add(problem) }
            var state = ChainState(expected: from, previousHash: startHash)
            while state.expected <= last {
                let done = try environment.read { txn in
                    try verifyChunk(txn, decoder: decoder, upTo: last, state: &state, report: &report, visit: visit)
                }
                progress?(state.expected - 1)
                if done { break }
            }
            if state.expected <= last {
                // The range's last records are missing: the chain reaches no hash at its end.
                report.lastHash = nil
                report.add(
                    VerificationProblem(
                        offset: state.expected, kind: .missing,
                        detail: "offsets \(state.expected)…\(last) are missing from the end of the range"))
            }
            if last == head, head > 0, headHashRequired, storedHeadHash == nil {
                report.add(
                    VerificationProblem(
                        offset: head, kind: .chainBreak,
                        detail: "the head's hash is missing from meta (chain.head), which every append since store "
                            + "format 3 writes: meta is damaged"))
            }
            // A store written before format 3 has no head hash in meta; its head record carries its whole hash.
            // After a broken tag at the head itself, the recomputed hash is the diverged one: already reported.
            if last == head, head > 0, !state.suspect, let computed = report.lastHash, let storedHeadHash {
                checkHeadHash(computed, stored: storedHeadHash, head: head, report: &report)
            }
            if last == head { for problem in ends.trailingKeys { report.add(problem) } }
            // An empty log whose meta still holds a head hash lost every record: nothing else would say so.
            if head == 0, let storedHeadHash, storedHeadHash.count == 32,
                ChainHash(bytes: storedHeadHash) != .genesis
            {
                report.add(
                    VerificationProblem(
                        offset: 0, kind: .missing,
                        detail:
                            "the log is empty, but meta's head hash (chain.head) is \(ChainHash(bytes: storedHeadHash).hex), "
                            + "not the genesis hash: every record was removed"))
            }
            if let anchor { try checkAnchor(anchor, head: head, decoder: decoder, report: &report) }
            return report
        } catch {
            throw AnnalsError(error)
        }
    }

    private struct ChainState {
        var expected: UInt64
        /// The chain hash of the record before, recomputed; `nil` when damage left it unknown, so links are not
        /// checked until the next checkpoint record supplies a whole hash.
        var previousHash: ChainHash?
        /// Whether the record before failed its tagged link: if this one fails too, the chain had already
        /// diverged (a changed payload), so it is not reported again.
        var suspect = false
    }

    /// Checks up to 4,096 records; returns whether the end of the log was reached.
    private func verifyChunk(
        _ txn: borrowing Transaction, decoder: RecordDecoder, upTo last: UInt64, state: inout ChainState,
        report: inout VerificationReport, visit: ((RecordedEvent) -> Void)?
    ) throws -> Bool {
        try txn.withCursor(schema.events) { cursor in
            var entry = try cursor.seek(.setRange, to: state.expected.bigEndianBytes)
            var checked = 0
            while let current = entry, checked < 4096 {
                guard current.key.count == 8 else {
                    // Past the last offset: keys after the head are reported once, from the first transaction.
                    if state.expected > last { return true }
                    report.add(
                        VerificationProblem(
                            offset: state.expected, kind: .malformedKey,
                            detail: "a key of \(current.key.count) bytes follows offset \(state.expected - 1)"))
                    entry = try cursor.get(.next)
                    continue
                }
                let offset = UInt64(bigEndianBytes: current.key)
                if offset > last { return true }
                if offset > state.expected {
                    report.add(
                        VerificationProblem(
                            offset: state.expected, kind: .missing,
                            detail: offset - state.expected == 1
                                ? "offset \(state.expected) is missing"
                                : "offsets \(state.expected)…\(offset - 1) are missing"))
                }
                check(offset, current.value, txn, decoder: decoder, state: &state, report: &report, visit: visit)
                state.expected = offset + 1
                report.recordsChecked += 1
                checked += 1
                entry = try cursor.get(.next)
            }
            return entry == nil
        }
    }

    private func check(
        _ offset: UInt64, _ record: UnsafeRawBufferPointer, _ txn: borrowing Transaction, decoder: RecordDecoder,
        state: inout ChainState, report: inout VerificationReport, visit: ((RecordedEvent) -> Void)?
    ) {
        // Until this record's hash is recomputed from its payload: a hash it stores is not taken as the last one.
        report.lastHash = nil
        let header: RecordHeader
        do {
            header = try RecordHeader.read(record)
        } catch {
            report.add(VerificationProblem(offset: offset, kind: .header, detail: error.description))
            state.previousHash = nil
            return
        }
        if RecordHeader.isCheckpoint(offset), header.link.hash == nil {
            // The writer gives every checkpoint the whole hash, which ranges and anchors after it start from.
            report.add(
                VerificationProblem(
                    offset: offset, kind: .header,
                    detail: "a tagged (version 2) header at a checkpoint, where the writer writes the whole hash "
                        + "(version 1): ranges and anchors after it cannot start from it"))
        }
        let previous = state.previousHash
        let suspect = state.suspect
        // Until the payload is read, the chain is known only if the header carries the whole hash.
        state.previousHash = header.link.hash
        state.suspect = false
        do throws(RecordFormatError) {
            try decoder.withPayload(record, txn) { _, payload in
                do throws(RecordFormatError) {
                    let event = try Envelope.decode(payload, offset: offset, identity: identity)
                    // Reads leave this to verify (``Envelope/checkMetadata(_:)``).
                    try Envelope.checkMetadata(event.metadataJSON)
                    visit?(event)
                } catch {
                    report.add(VerificationProblem(offset: offset, kind: .envelope, detail: error.description))
                }
                guard let previous else { return }
                let computed = previous.next(offset: offset, payload: payload)
                link(offset, header, computed: computed, suspect: suspect, &state, &report)
            }
        } catch {
            let kind: VerificationProblem.Kind
            switch error {
            case .checksumMismatch: kind = .checksum
            case .decompressionFailed: kind = .decompression
            case .unknownDictionary, .unloadableDictionary, .unreadableDictionary, .dictionaryMismatch,
                .truncatedHeader, .unknownCodec,
                .unknownFormatVersion:
                kind = .header
            case .malformedEnvelope: kind = .envelope
            }
            report.add(VerificationProblem(offset: offset, kind: kind, detail: error.description))
        }
    }

    /// Checks the record's stored hash or tag against the hash recomputed from the record before, and carries the
    /// chain on.
    ///
    /// A whole hash that differs is reported and the chain goes on from it, pinning the damage to this record. A
    /// tag that differs is reported and the chain goes on from the recomputed hash: if only the tag was damaged,
    /// the next record's tag matches again; if it does not, the chain had diverged (this record's payload was
    /// changed), and links go unchecked, unreported, until the next checkpoint.
    ///
    /// The report's last hash is the recomputed one, also when a stored whole hash differs from it; none while links
    /// go unchecked.
    private func link(
        _ offset: UInt64, _ header: RecordHeader, computed: ChainHash, suspect: Bool, _ state: inout ChainState,
        _ report: inout VerificationReport
    ) {
        if header.matches(computed) {
            state.previousHash = computed
            report.lastHash = computed
            return
        }
        // The chain had diverged already; a checkpoint's whole hash resynchronizes it, a tag cannot. The break before
        // says so: a damaged tag alone would have let this link hold, so the records up to the checkpoint are not
        // proven (this one may have been changed too).
        if suspect {
            if let index = report.problems.lastIndex(where: { $0.offset == offset - 1 && $0.kind == .chainBreak }) {
                // A checkpoint restarts the chain from its own hash: only its link goes unchecked.
                let next = RecordHeader.checkpoint(atOrBefore: offset) + RecordHeader.checkpointInterval
                let unchecked =
                    header.link.hash != nil
                    ? "offset \(offset) is unchecked"
                    : "offsets \(offset)…\(next - 1) are unchecked, up to the next checkpoint"
                report.problems[index].detail +=
                    "; offset \(offset)'s link fails too (more than this tag is wrong), so \(unchecked)"
            }
            return
        }
        switch header.link {
        case .hash(let stored):
            report.add(
                VerificationProblem(
                    offset: offset, kind: .chainBreak, detail: "stored hash \(stored.hex), computed \(computed.hex)"))
            state.previousHash = stored
        case .tag(let stored):
            report.add(
                VerificationProblem(
                    offset: offset, kind: .chainBreak, detail: "stored tag \(stored), computed \(computed.tag)"))
            state.previousHash = computed
            state.suspect = true
        }
        report.lastHash = computed
    }

    /// Checks the head's whole hash in `meta` (`chain.head`) against the hash recomputed along the chain.
    private func checkHeadHash(
        _ computed: ChainHash, stored: [UInt8], head: UInt64, report: inout VerificationReport
    ) {
        guard stored.count != 32 || ChainHash(bytes: stored) != computed else { return }
        let found = stored.count == 32 ? ChainHash(bytes: stored).hex : "\(stored.count) bytes"
        report.add(
            VerificationProblem(
                offset: head, kind: .chainBreak,
                detail: "the head's hash in meta (chain.head) is \(found), computed \(computed.hex)"))
    }

    private func checkAnchor(
        _ anchor: VerificationAnchor, head: UInt64, decoder: RecordDecoder, report: inout VerificationReport
    ) throws {
        if anchor.offset == 0 {
            // The head of an empty log: only the genesis hash matches.
            report.anchorMatched = anchor.hash == .genesis
            if anchor.hash != .genesis {
                report.add(
                    VerificationProblem(
                        offset: 0, kind: .anchorMismatch, detail: "an anchor at offset 0 must carry the genesis hash"))
            }
            return
        }
        guard anchor.offset <= head else {
            report.anchorMatched = false
            report.add(
                VerificationProblem(
                    offset: head + 1, kind: .truncated,
                    detail: "the log ends at offset \(head) but the anchor is at offset \(anchor.offset): "
                        + "\(anchor.offset - head) record(s) were removed from the tail"))
            return
        }
        let found = try environment.read { txn in
            // From the records, at the head too: a damaged `chain.head` is reported by itself (`checkHeadHash`).
            try txn.recomputedChainHash(at: anchor.offset, schema, decoder: decoder)
        }
        report.anchorMatched = found == anchor.hash
        if found != anchor.hash {
            report.add(
                VerificationProblem(
                    offset: anchor.offset, kind: .anchorMismatch,
                    detail: "anchor hash \(anchor.hash.hex), the log's \(found?.hex ?? "unknown (a damaged record)")"))
        }
    }
}

extension VerificationReport {
    /// Adds `problem` while fewer than ``EventStore/maximumReportedProblems`` are listed; an anchor's mismatch or a
    /// truncated tail is always listed, since only it proves what a damaged range cannot.
    mutating func add(_ problem: VerificationProblem) {
        if problems.count < EventStore.maximumReportedProblems || [.anchorMismatch, .truncated].contains(problem.kind) {
            problems.append(problem)
        }
    }
}
