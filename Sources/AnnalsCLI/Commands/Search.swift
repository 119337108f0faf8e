import Annals
import ArgumentParser
import Foundation

/// `--mode hybrid|vector|lexical`.
extension SearchMode: ExpressibleByArgument {}

/// `annals search TEXT`: knowledge items ranked by how well they match a text.
struct Search: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Search the knowledge items: by meaning (embeddings), by words (BM25), or both fused (the default).",
        discussion: """
            jsonl prints one hit per line, best first: {"item":{…},"score":…,"similarity":…,"vectorRank":…,\
            "lexicalScore":…,"lexicalRank":…,"matchedTerms":[…]}. The score is the fused reciprocal-rank score \
            (hybrid), the cosine similarity (vector) or the BM25 score (lexical); matched terms are stemmed.
            Examples: annals search "pairing the hue bridge"; annals search "firmware" --label manual \
            --mode lexical --format table
            """)

    @OptionGroup var location: StoreLocation

    @Argument(help: "The text to search for.")
    var text: String

    @Option(help: "Only items of this group.")
    var group: String?

    @Option(
        name: .customLong("label"),
        help: ArgumentHelp("Only items with this label (repeatable: items with every one).", valueName: "label"))
    var labels: [String] = []

    @Option(help: "Print at most this many hits, 1…1000.")
    var limit: WholeNumber<Int> = 10

    @Option(help: "hybrid (default), vector or lexical.")
    var mode: SearchMode = .hybrid

    @Option(help: "jsonl (default) or table.")
    var format: OutputFormat = .jsonl

    func validate() throws {
        try OntologyArguments.checkLimit(limit.value, maximum: 1000)
        if text.allSatisfy(\.isWhitespace) { throw ValidationError("the search TEXT must not be empty") }
        try OntologyArguments.checkIdentifiers([group], flags: ["--group"])
        try OntologyArguments.checkNames(labels, flags: labels.map { _ in "--label" })
    }

    func run() throws {
        let store = try location.openForReading()
        defer { store.close() }
        try store.checkViewPages(of: ["knowledge"])
        let hits = try store.search(SearchQuery(text, groupId: group, labels: labels, limit: limit.value, mode: mode))
        guard format == .table else {
            for hit in hits { try Output.standard.line(hit.json.canonicalBytes) }
            return
        }
        var table = TextTable(["RANK", "SCORE", "ITEM", "THING", "TERMS", "TEXT"])
        table.columnMaximumWidths = ["TEXT": 60]
        for (rank, hit) in hits.enumerated() {
            table.add([
                String(rank + 1), String(format: "%.4f", hit.score), hit.item.id, hit.item.thingId,
                hit.matchedTerms.isEmpty ? "-" : hit.matchedTerms.joined(separator: ","), hit.item.text,
            ])
        }
        try table.print()
    }
}
