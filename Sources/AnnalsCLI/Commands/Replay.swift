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
        let head = try store.head()
        var reader = store.events(filters.query(through: head.offset)).makeReader()
        while let event = try reader.next() {
            try Output.standard.line { event.appendJSON(to: &$0) }
        }
        try Output.standard.flush()
        CLIFailure.printError("replayed the log prefix \(head.anchor)")
    }
}
