import LMDB

/// The last offset of the log and the keys of `events` at either end that are not offsets, which the offset-by-offset
/// walk of ``EventStore/verify(from:to:anchor:progress:)`` never meets.
struct LogEnds {
    /// The last key that is an offset's (0 when none is).
    var head: UInt64
    /// The keys before offset 1 (looked for only in a verification from offset 1), in key order.
    var leadingKeys: [VerificationProblem]
    /// The keys after the head, in key order.
    var trailingKeys: [VerificationProblem]
}

/// The malformed keys met in one place, as problems: the first ones listed, up to one fewer than a report lists, and
/// the rest only counted, in one closing problem. A tampered store with millions of such keys costs no more memory
/// than one with a hundred.
struct MalformedKeyList {
    /// How many keys are listed one by one: with the closing count, a report's worth.
    static let listedKeys = EventStore.maximumReportedProblems - 1

    /// Where the keys lie, as the closing count says it (`before offset 1`).
    let place: String
    /// The keys listed so far.
    private var listed: [VerificationProblem] = []
    /// How many keys were met past those listed.
    private(set) var unlisted = 0

    /// A list of the keys met `place`.
    init(place: String) {
        self.place = place
    }

    /// Lists a key as `detail` says (`a key of 3 bytes (010203) before offset 1`) while fewer than ``listedKeys``
    /// are, and counts it otherwise.
    mutating func add(_ detail: () -> String) {
        guard listed.count < Self.listedKeys else {
            unlisted += 1
            return
        }
        listed.append(VerificationProblem(offset: 0, kind: .malformedKey, detail: detail()))
    }

    /// The keys listed, then, when more were met, one problem counting them.
    var problems: [VerificationProblem] {
        guard unlisted > 0 else { return listed }
        let count = VerificationProblem(
            offset: 0, kind: .malformedKey,
            detail: "\(unlisted) more key\(unlisted == 1 ? "" : "s") that \(unlisted == 1 ? "is" : "are") no "
                + "offset's \(place), not listed")
        return listed + [count]
    }
}

extension EventStore {
    /// The head of `events` and the malformed keys at either end of it: with `fromTheStart`, those sorting before
    /// offset 1 (shorter keys, offset 0); always, those after the last offset (longer keys, 2⁶⁴ − 1). One pass over
    /// them, in key order, keeping at most a report's worth of each.
    func logEnds(_ txn: borrowing Transaction, fromTheStart: Bool) throws -> LogEnds {
        try txn.withCursor(schema.events) { cursor in
            var leading = MalformedKeyList(place: "before offset 1")
            var entry = try cursor.get(.first)
            if fromTheStart {
                while let current = entry, current.key.count != 8 || UInt64(bigEndianBytes: current.key) == 0 {
                    leading.add {
                        current.key.count == 8
                            ? "a record under offset 0, before the first offset"
                            : "a key of \(current.key.count) bytes (\(current.key.hexadecimal)) before offset 1"
                    }
                    entry = try cursor.get(.next)
                }
            }
            // Without any offset, the keys after the head are those past the ones listed above.
            let pastLeading = entry.map { Array($0.key) }
            var last = try cursor.get(.last)
            while let current = last, !StoreSchema.isOffsetKey(current.key) { last = try cursor.get(.previous) }
            let head = last.map { UInt64(bigEndianBytes: $0.key) } ?? 0
            var trailing = MalformedKeyList(place: "after the last offset")
            var next: Cursor.Entry?
            if last != nil {
                next = try cursor.get(.next)
            } else if let pastLeading {
                next = try cursor.seek(.setKey, to: pastLeading)
            }
            while let current = next {
                trailing.add {
                    (current.key.count == 8
                        ? "the key \(current.key.hexadecimal), an offset no log reaches,"
                        : "a key of \(current.key.count) bytes (\(current.key.hexadecimal))") + " after the last offset"
                }
                next = try cursor.get(.next)
            }
            return LogEnds(head: head, leadingKeys: leading.problems, trailingKeys: trailing.problems)
        }
    }
}
