import Annals
import ArgumentParser

/// `annals replay`: a range of the log through filters, for auditors.
struct Replay: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Replay a range of the log through filters, as JSON lines, up to the head at the start.",
        discussion: """
            Like 'read', but fixed to the log prefix that existed when it started (printed to stderr as \
            HASH@OFFSET), so two replays of the same store give the same output.
            Example: annals replay --group org-acme --since 2026-11-01 --until 2026-12-01 > november.jsonl
            """)

    @OptionGroup var location: StoreLocation
    @OptionGroup var filters: EventFilterOptions

    func run() throws {
        let store = try location.openForReading()
        defer { store.close() }
        // An audit tool reads stores that may be damaged: check the pages before LMDB follows them. A replay by
        // offset follows those of its range and the head's (checked together); a filtered one the index databases
        // and the records its index lists.
        try store.checkLogPages(for: filters.query())
        // A head whose hash does not check out (a tail cut off) does not stop the replay of what is left: the events
        // are printed through the last offset, then the damage is reported (exit 6) instead of the anchor.
        let head: LogHead?
        let headDamage: AnnalsError?
        do {
            (head, headDamage) = (try store.checkedHead(), nil)
        } catch .corruptRecord(let offset, let reason) {
            (head, headDamage) = (nil, .corruptRecord(offset: offset, reason: reason))
        }
        let last = try head?.offset ?? store.lastOffset()
        var reader = store.events(filters.query(through: last)).makeReader()
        while let event = try reader.next() {
            try Output.standard.line { event.appendJSON(to: &$0) }
        }
        try Output.standard.flush()
        if let head {
            CLIFailure.printError("replayed the log prefix \(head.anchor)")
        } else if let headDamage {
            throw CLIFailure(
                .corrupt,
                "replayed the log through offset \(last), but its head does not check out, so the replay has no "
                    + "anchor: \(headDamage); run 'annals verify'")
        }
    }
}
