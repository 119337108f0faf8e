/// Where a verification stands in the hash chain, record by record: the hash of the record before, recomputed, and
/// whether that record failed its tagged link.
///
/// Both the workers that check a chunk's records ahead and the pass that reports them in order move it with these
/// same steps, so a worker's chain agrees with the reporting pass's wherever they started from the same state.
struct ChainLinkState: Equatable {
    /// The chain hash of the record before; `nil` when damage left it unknown, so links are not checked until the
    /// next checkpoint record supplies a whole hash.
    var previousHash: ChainHash?
    /// Whether the record before failed its tagged link: if this one fails too, the chain had already diverged (a
    /// changed payload), so it is not reported again.
    var suspect = false

    /// How a record's stored hash or tag compares with the hash recomputed from the record before.
    enum Outcome {
        /// They match.
        case holds
        /// They differ right after a failed tag: the chain had diverged already, which the break before reports.
        case alreadyDiverged
        /// The stored whole hash differs; the chain goes on from it, pinning the damage to this record.
        case hashDiffers(ChainHash)
        /// The stored tag differs; the chain goes on from the recomputed hash.
        case tagDiffers(ChainTag)
    }

    /// A record whose header does not read: the chain is unknown after it.
    mutating func skipUnreadable() {
        previousHash = nil
    }

    /// Enters a record whose header reads, and returns the state to link it with. Until its payload is read, the
    /// chain is known only if the header carries the whole hash.
    mutating func enter(_ header: RecordHeader) -> ChainLinkState {
        let before = self
        previousHash = header.link.hash
        suspect = false
        return before
    }

    /// Links the entered record (`before`, from ``enter(_:)``, had a hash) whose payload gives `computed`.
    mutating func link(_ header: RecordHeader, computed: ChainHash, before: ChainLinkState) -> Outcome {
        if header.matches(computed) {
            previousHash = computed
            return .holds
        }
        // A checkpoint's whole hash resynchronizes a diverged chain; a tag cannot.
        if before.suspect { return .alreadyDiverged }
        switch header.link {
        case .hash(let stored):
            previousHash = stored
            return .hashDiffers(stored)
        case .tag(let stored):
            previousHash = computed
            suspect = true
            return .tagDiffers(stored)
        }
    }
}
