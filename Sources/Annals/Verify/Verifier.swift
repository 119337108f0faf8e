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
    ///   - anchor: A `HASH@OFFSET` taken earlier.
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
            let (head, startHash) = try environment.read { txn -> (UInt64, ChainHash?) in
                let head = try txn.logHead(schema).offset
                guard from > 1 else { return (head, .genesis) }
                // Without a readable record before the range, the first record's link cannot be checked.
                let previous = try (from - 1).bigEndianBytes.withUnsafeBytes { key in
                    try txn.get(schema.events, key: key).flatMap { try? RecordHeader.read($0).chainHash }
                }
                return (head, previous)
            }
            if from > head && head > 0 {
                throw AnnalsError.invalidArgument("the range starts at offset \(from), after the last offset \(head)")
            }
            let last = min(to ?? head, head)
            var report = VerificationReport(
                from: from, to: last, recordsChecked: 0, lastHash: startHash ?? .genesis, problems: [],
                anchorMatched: nil)
            var state = ChainState(expected: from, previousHash: startHash)
            while state.expected <= last {
                let done = try environment.read { txn in
                    try verifyChunk(txn, decoder: decoder, upTo: last, state: &state, report: &report, visit: visit)
                }
                progress?(state.expected - 1)
                if done { break }
            }
            if state.expected <= last {
                report.add(
                    VerificationProblem(
                        offset: state.expected, kind: .missing,
                        detail: "offsets \(state.expected)…\(last) are missing from the end of the range"))
            }
            if let anchor { try checkAnchor(anchor, head: head, report: &report) }
            return report
        } catch {
            throw AnnalsError(error)
        }
    }

    private struct ChainState {
        var expected: UInt64
        /// The stored hash of the record before; `nil` when it was unreadable, so the next link is not checked.
        var previousHash: ChainHash?
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
        let header: RecordHeader
        do {
            header = try RecordHeader.read(record)
        } catch {
            report.add(VerificationProblem(offset: offset, kind: .header, detail: error.description))
            state.previousHash = nil
            return
        }
        let previous = state.previousHash
        state.previousHash = header.chainHash
        report.lastHash = header.chainHash
        do throws(RecordFormatError) {
            try decoder.withPayload(record, txn) { _, payload in
                do throws(RecordFormatError) {
                    let event = try Envelope.decode(payload, offset: offset, identity: identity)
                    visit?(event)
                } catch {
                    report.add(VerificationProblem(offset: offset, kind: .envelope, detail: error.description))
                }
                guard let previous else { return }
                let computed = previous.next(offset: offset, payload: payload)
                if computed != header.chainHash {
                    report.add(
                        VerificationProblem(
                            offset: offset, kind: .chainBreak,
                            detail: "stored hash \(header.chainHash.hex), computed \(computed.hex)"))
                }
            }
        } catch {
            let kind: VerificationProblem.Kind
            switch error {
            case .checksumMismatch: kind = .checksum
            case .decompressionFailed: kind = .decompression
            case .unknownDictionary, .dictionaryMismatch, .truncatedHeader, .unknownCodec, .unknownFormatVersion:
                kind = .header
            case .malformedEnvelope: kind = .envelope
            }
            report.add(VerificationProblem(offset: offset, kind: kind, detail: error.description))
        }
    }

    private func checkAnchor(_ anchor: VerificationAnchor, head: UInt64, report: inout VerificationReport) throws {
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
        let stored = try environment.read { txn in
            try anchor.offset.bigEndianBytes.withUnsafeBytes { key in
                try txn.get(schema.events, key: key).flatMap { try? RecordHeader.read($0).chainHash }
            }
        }
        report.anchorMatched = stored == anchor.hash
        if stored != anchor.hash {
            report.add(
                VerificationProblem(
                    offset: anchor.offset, kind: .anchorMismatch,
                    detail: "anchor hash \(anchor.hash.hex), stored \(stored?.hex ?? "none")"))
        }
    }
}

extension VerificationReport {
    mutating func add(_ problem: VerificationProblem) {
        if problems.count < EventStore.maximumReportedProblems { problems.append(problem) }
    }
}
