import Annals
import ArgumentParser

/// `annals reindex`: rebuilds the log's indexes, `ids` and `streams` from the log.
struct Reindex: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Rebuild the log's indexes, client-id map and stream versions from the log.",
        discussion: """
            The repair for what `annals verify --indexes` reports: replaces the five posting indexes (type, actor, \
            target, group, minute), the ids map and the streams versions with what the log's events make. The \
            records, the chain, the views and the cursors are not touched. Reads the log while appends go on, then \
            replaces the structures in one write transaction (appends wait for it). Prints one JSON line: \
            {"head","events","symbols":{"idx.type",…},"clientIDs","streams","duplicateClientIDs"}. A record that \
            fails its checks stops it with exit code 6 and nothing changed (run annals verify first); damaged pages \
            with exit code 5.
            Example: annals verify --indexes || annals reindex
            """)

    @OptionGroup var location: StoreLocation

    func run() throws {
        let store = try location.openWithoutViews()
        defer { store.close() }
        let summary = try store.rebuildIndexes()
        let line: JSONValue = .object([
            "head": .integer(summary.head), "events": .integer(summary.events),
            "symbols": .object(summary.symbols.mapValues { .integer($0) }),
            "clientIDs": .integer(summary.clientIDs), "streams": .integer(summary.streams),
            "duplicateClientIDs": .integer(summary.duplicateClientIDs),
        ])
        try Output.standard.line(line.canonicalBytes)
    }
}
