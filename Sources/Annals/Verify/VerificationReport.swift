import LMDB

/// What ``EventStore/verify(from:to:anchor:progress:)`` found.
public struct VerificationReport: Sendable, Hashable {
    /// The first offset checked.
    public var from: UInt64
    /// The last offset checked (0 when the range was empty).
    public var to: UInt64
    /// How many records were read and checked.
    public var recordsChecked: UInt64
    /// The chain hash of the last record checked, recomputed from its payload along the chain (the genesis hash when
    /// the range was empty), or `nil` when it could not be: that record's header or payload cannot be read, the
    /// range's last offsets are missing, or damage before it, since the checkpoint before it, left the chain unknown.
    /// Never a hash a record stores: for a checkpoint whose stored hash differs, the recomputed one.
    public var lastHash: ChainHash?
    /// The problems, in log order (at most ``EventStore/maximumReportedProblems``).
    public var problems: [VerificationProblem]
    /// Whether the anchor given was checked and matched (`nil` when none was given).
    public var anchorMatched: Bool?

    /// Whether nothing was wrong.
    public var isIntact: Bool { problems.isEmpty }

    /// The first bad offset, if any: the smallest any problem names (0 when none names one). Problems are listed in
    /// log order as the records are read, and the anchor's comparison comes last, so it is not always the first.
    public var firstBadOffset: UInt64? { Self.firstBadOffset(of: problems) }

    /// The problem at ``firstBadOffset`` (the first listed when none names an offset), as a command reports it.
    public var firstProblem: VerificationProblem? { Self.firstProblem(of: problems) }

    /// The problem of `problems` at ``firstBadOffset(of:)``, or the first listed when none names that offset.
    public static func firstProblem(of problems: [VerificationProblem]) -> VerificationProblem? {
        let first = firstBadOffset(of: problems)
        return problems.first { $0.offset == first } ?? problems.first
    }

    /// The smallest offset `problems` name, ignoring 0 (a problem no single offset stands for) unless every one is 0.
    public static func firstBadOffset(of problems: [VerificationProblem]) -> UInt64? {
        guard !problems.isEmpty else { return nil }
        return problems.lazy.map(\.offset).filter { $0 > 0 }.min() ?? 0
    }
}

extension VerificationReport {
    /// The report for a store whose pages are damaged: those problems (up to
    /// ``EventStore/maximumReportedProblems``), and no record read.
    init(damagedPages damage: [StructureProblem], from: UInt64) {
        self.init(from: from, to: 0, recordsChecked: 0, lastHash: nil, problems: [], anchorMatched: nil)
        for problem in damage { add(VerificationProblem(damagedPage: problem)) }
    }
}

/// One thing wrong with the log, at one offset.
public struct VerificationProblem: Sendable, Hashable, CustomStringConvertible {
    /// What kind of damage.
    public enum Kind: String, Sendable, Hashable {
        /// Offsets are missing: a record was deleted (``VerificationProblem/offset`` is the first missing one).
        case missing
        /// A key that is not an 8-byte offset.
        case malformedKey
        /// The record header is damaged (short, unknown version, codec or dictionary), or the dictionary it names
        /// cannot be read from the store.
        case header
        /// The payload does not decompress.
        case decompression
        /// The payload's CRC-32C does not match the header: the record was edited.
        case checksum
        /// The payload is not a well-formed envelope.
        case envelope
        /// The stored chain hash is not SHA-256(previous hash ‖ offset ‖ payload): the record was edited, moved,
        /// or a record before it was removed.
        case chainBreak
        /// The log ends before the anchor's offset: its tail was truncated.
        case truncated
        /// The record at the anchor's offset does not carry the anchor's hash.
        case anchorMismatch
        /// A page of the data file is damaged below the records: a B-tree page, the catalog of databases or a meta
        /// page (``VerificationProblem/offset`` is 0, since no event offset names it; the detail names the page). The
        /// records are not read then, since LMDB follows its pages without checking them.
        case structure
        /// A secondary structure disagrees with the log (``EventStore/verifyIndexes(progress:)``): a posting index
        /// (by type, actor, target, group or minute) misses an event or lists one that does not match, the `ids` map
        /// of client ids names another offset or version, or a target's version in `streams` is not its last
        /// event's. ``VerificationProblem/offset`` is the first offset that differs, 0 when none could be named.
        case index
    }

    /// The offset concerned (0 for ``Kind/structure``, and for an ``Kind/index`` problem no offset pins).
    public var offset: UInt64
    /// What kind of damage.
    public var kind: Kind
    /// Details, such as the hashes that differ.
    public var detail: String

    /// `offset N: kind: detail`.
    public var description: String { "offset \(offset): \(kind.rawValue): \(detail)" }
}

extension VerificationProblem {
    /// A damaged page of the data file as a problem: ``Kind/structure`` at offset 0, the page named in the detail.
    init(damagedPage damage: StructureProblem) {
        self.init(offset: 0, kind: .structure, detail: damage.description)
    }
}

/// A chain head printed earlier by `annals head`, to detect truncation: `HASH@OFFSET`.
public struct VerificationAnchor: Sendable, Hashable {
    /// The hash the record at ``offset`` must carry.
    public var hash: ChainHash
    /// The anchored offset.
    public var offset: UInt64

    /// Creates an anchor.
    public init(hash: ChainHash, offset: UInt64) {
        self.hash = hash
        self.offset = offset
    }

    /// Parses `HASH@OFFSET` (64 hex digits, `@`, an offset; offset 0 is the head of an empty log), or returns `nil`.
    public init?(_ text: String) {
        guard case .success(let anchor) = Self.parse(text) else { return nil }
        self = anchor
    }

    /// Parses `HASH@OFFSET`, or says which part is wrong: the form, the hash (64 hex digits) or the offset (a whole
    /// number from 0 to 2^64 − 1).
    public static func parse(_ text: String) -> Result<VerificationAnchor, AnchorSyntaxError> {
        let parts = text.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2 else {
            return .failure(AnchorSyntaxError(message: "'\(text)' has no single '@' between the hash and the offset"))
        }
        guard let hash = ChainHash(hex: String(parts[0])) else {
            return .failure(
                AnchorSyntaxError(
                    message: "the hash '\(parts[0])' is not 64 hexadecimal digits (\(parts[0].count) characters)"))
        }
        // Digits only: `UInt64(_:)` alone would take a sign (`@+5`).
        guard parts[1].utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }),
            let offset = UInt64(parts[1])
        else {
            return .failure(
                AnchorSyntaxError(message: "the offset '\(parts[1])' is not a whole number from 0 to 2^64 − 1"))
        }
        return .success(VerificationAnchor(hash: hash, offset: offset))
    }
}

/// Why a text is not an anchor (``VerificationAnchor/parse(_:)``).
public struct AnchorSyntaxError: Error, Sendable, Hashable {
    /// Which part is wrong, and how.
    public var message: String
}
