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
        try verify(from: from, to: to, anchor: anchor, progress: progress, tally: NoTally()).report
    }

    /// ``verify(from:to:anchor:progress:)``, also adding every intact, decoded event to a copy of `tally` (one per
    /// worker, combined at the end): one pass for tools that check and read the same range (the audit).
    /// `parallel: false` checks every record on the calling thread (the reference the parallel check is tested
    /// against).
    func verify<Tally: EventTally>(
        from: UInt64, to: UInt64?, anchor: VerificationAnchor?, progress: ((UInt64) -> Void)?, tally empty: Tally,
        parallel: Bool = true
    ) throws(AnnalsError) -> (report: VerificationReport, tally: Tally) {
        guard from >= 1 else { throw .invalidArgument("verify range must start at offset 1 or later") }
        let batchDecoder = BatchDecoder(store: self)
        let decoder = batchDecoder.callingThreadDecoder
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
            if !damage.isEmpty { return (VerificationReport(damagedPages: damage, from: from), empty) }
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
            var state = ChainState(expected: from, chain: ChainLinkState(previousHash: startHash))
            // One tally per worker, each added to only by the worker checking that range of every chunk.
            let tallies = UnsafeMutableBufferPointer<Tally>.allocate(capacity: batchDecoder.workers)
            tallies.initialize(repeating: empty)
            defer {
                tallies.baseAddress!.deinitialize(count: tallies.count)
                tallies.deallocate()
            }
            while state.expected <= last {
                let done = try environment.read { txn in
                    try verifyChunk(
                        txn, decoder: batchDecoder, parallel: parallel, upTo: last, state: &state, report: &report,
                        tallies: tallies)
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
            if last == head, head > 0, !state.chain.suspect, let computed = report.lastHash, let storedHeadHash {
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
            var tally = tallies[0]
            for worker in tallies.indices.dropFirst() { tally.combine(tallies[worker]) }
            return (report, tally)
        } catch {
            throw AnnalsError(error)
        }
    }

    private struct ChainState {
        var expected: UInt64
        var chain: ChainLinkState
    }

    /// Checks up to 4,096 records; returns whether the end of the log was reached.
    ///
    /// The records are checked on every core first (``RecordCheck``), each range of them following the chain on its
    /// own, then reported in order, with the problems and chain state a record-by-record pass gives.
    private func verifyChunk<Tally: EventTally>(
        _ txn: borrowing Transaction, decoder: BatchDecoder, parallel: Bool, upTo last: UInt64,
        state: inout ChainState, report: inout VerificationReport, tallies: UnsafeMutableBufferPointer<Tally>
    ) throws -> Bool {
        let (records, malformedKeys, done) = try collectChunk(txn, from: state.expected, upTo: last)
        let ranges =
            parallel && records.count >= BatchDecoder.parallelThreshold
            ? RecordCheck.ranges(count: records.count, workers: decoder.workers) { records[$0].offset }
            : [0..<records.count]
        let identity = self.identity
        let start = state.chain
        var malformed = malformedKeys.makeIterator()
        var nextMalformed = malformed.next()
        var index = 0
        decoder.forEachRange(records, txn, ranges: ranges) { recordDecoder, dictionary, slice, range, output in
            var chain = slice == 0 ? start : ChainLinkState()
            records.withUnsafeBufferPointer { records in
                for index in range {
                    let (offset, record) = records[index]
                    output.store(
                        RecordCheck(
                            offset: offset, record, decoder: recordDecoder, dictionary: dictionary,
                            identity: identity, chain: &chain,
                            intact: Tally.takesEvents ? { event in tallies[slice].add(event) } : nil), at: index)
                }
            }
        } inOrder: { check in
            // A key that is not an offset is reported where the walk found it, before the record after it.
            while let key = nextMalformed, key.before == index {
                report.add(key.problem)
                nextMalformed = malformed.next()
            }
            let (offset, record) = records[index]
            if offset > state.expected {
                report.add(
                    VerificationProblem(
                        offset: state.expected, kind: .missing,
                        detail: offset - state.expected == 1
                            ? "offset \(state.expected) is missing"
                            : "offsets \(state.expected)…\(offset - 1) are missing"))
            }
            apply(check, offset, record, txn, decoder: decoder.callingThreadDecoder, state: &state, report: &report)
            state.expected = offset + 1
            report.recordsChecked += 1
            index += 1
        }
        while let key = nextMalformed {
            report.add(key.problem)
            nextMalformed = malformed.next()
        }
        return done
    }

    /// A key that is not an 8-byte offset, found by ``collectChunk(_:from:upTo:)`` before the record at index
    /// `before` of the chunk, where offset `expected` was due.
    private struct MalformedKey {
        var before: Int
        var expected: UInt64
        var size: Int

        /// The problem it is, reported before the record at index `before`.
        var problem: VerificationProblem {
            VerificationProblem(
                offset: expected, kind: .malformedKey, detail: "a key of \(size) bytes follows offset \(expected - 1)")
        }
    }

    /// Walks up to 4,096 records from `from`, through `last`: the records, the keys that are not offsets among them,
    /// and whether the walk reached the end of the range or of the log.
    private func collectChunk(
        _ txn: borrowing Transaction, from: UInt64, upTo last: UInt64
    ) throws -> (records: [(offset: UInt64, record: UnsafeRawBufferPointer)], malformed: [MalformedKey], done: Bool) {
        try txn.withCursor(schema.events) { cursor in
            var records: [(offset: UInt64, record: UnsafeRawBufferPointer)] = []
            var malformed: [MalformedKey] = []
            var expected = from
            var entry = try cursor.seek(.setRange, to: from.bigEndianBytes)
            while let current = entry, records.count < 4096 {
                guard current.key.count == 8 else {
                    // Past the last offset: keys after the head are reported once, from the first transaction.
                    if expected > last { return (records, malformed, true) }
                    malformed.append(MalformedKey(before: records.count, expected: expected, size: current.key.count))
                    entry = try cursor.get(.next)
                    continue
                }
                let offset = UInt64(bigEndianBytes: current.key)
                if offset > last { return (records, malformed, true) }
                records.append((offset, current.value))
                expected = offset + 1
                entry = try cursor.get(.next)
            }
            return (records, malformed, entry == nil)
        }
    }

    /// Reports what checking the record at `offset` found, in order, and moves the chain on past it. The link is
    /// the one the worker computed when it linked from the hash the chain has here; otherwise it is computed again.
    private func apply(
        _ check: consuming RecordCheck, _ offset: UInt64, _ record: UnsafeRawBufferPointer,
        _ txn: borrowing Transaction, decoder: RecordDecoder, state: inout ChainState,
        report: inout VerificationReport
    ) {
        // Until this record's hash is recomputed from its payload: a hash it stores is not taken as the last one.
        report.lastHash = nil
        let header: RecordHeader
        switch check.header {
        case .success(let read): header = read
        case .failure(let error):
            report.add(VerificationProblem(offset: offset, kind: .header, detail: error.description))
            state.chain.skipUnreadable()
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
        let before = state.chain.enter(header)
        if let failure = check.payloadFailure {
            report.add(
                VerificationProblem(offset: offset, kind: RecordCheck.kind(of: failure), detail: failure.description))
            return
        }
        if let failure = check.envelopeFailure {
            report.add(VerificationProblem(offset: offset, kind: .envelope, detail: failure.description))
        }
        guard let previous = before.previousHash else { return }
        let computed: ChainHash
        if let linked = check.computed, check.linkedFrom == previous {
            computed = linked
        } else {
            do throws(RecordFormatError) {
                computed = try decoder.withPayload(record, txn) { _, payload in
                    previous.next(offset: offset, payload: payload)
                }
            } catch {
                // The worker read this payload: only a dictionary the calling thread cannot load gets here.
                report.add(
                    VerificationProblem(offset: offset, kind: RecordCheck.kind(of: error), detail: error.description))
                return
            }
        }
        let outcome = state.chain.link(header, computed: computed, before: before)
        switch outcome {
        case .holds:
            report.lastHash = computed
        case .alreadyDiverged:
            // The break before says so: a damaged tag alone would have let this link hold, so the records up to the
            // checkpoint are not proven (this one may have been changed too).
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
        case .hashDiffers(let stored):
            report.add(
                VerificationProblem(
                    offset: offset, kind: .chainBreak, detail: "stored hash \(stored.hex), computed \(computed.hex)"))
            report.lastHash = computed
        case .tagDiffers(let stored):
            report.add(
                VerificationProblem(
                    offset: offset, kind: .chainBreak, detail: "stored tag \(stored), computed \(computed.tag)"))
            report.lastHash = computed
        }
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
    /// The kinds of problem listed past ``EventStore/maximumReportedProblems``: only they prove what a damaged range
    /// cannot (an anchor's mismatch, a truncated tail).
    private static let alwaysListed: [VerificationProblem.Kind] = [.anchorMismatch, .truncated]

    /// Adds `problem` while fewer than ``EventStore/maximumReportedProblems`` are listed; an anchor's mismatch or a
    /// truncated tail is always listed.
    mutating func add(_ problem: VerificationProblem) {
        if problems.count < EventStore.maximumReportedProblems || Self.alwaysListed.contains(problem.kind) {
            problems.append(problem)
        }
    }

    /// Lists `problem`, at an offset before every other (one before the range checked), first and always: to stay
    /// within ``EventStore/maximumReportedProblems``, the last problem that is not always listed makes room.
    mutating func prepend(_ problem: VerificationProblem) {
        problems.insert(problem, at: 0)
        if problems.count > EventStore.maximumReportedProblems,
            let last = problems.lastIndex(where: { !Self.alwaysListed.contains($0.kind) }), last > 0
        {
            problems.remove(at: last)
        }
    }
}
