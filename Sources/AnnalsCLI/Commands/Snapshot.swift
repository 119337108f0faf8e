import Annals
import ArgumentParser

/// `annals snapshot`: the stored snapshots of the projections that make time travel fast.
struct Snapshot: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Create, list and prune snapshots of the projection views.",
        discussion: """
            A snapshot holds every projection's tables at one log offset, compressed and checksummed. 'annals state' \
            and 'annals rollback' start from the newest intact snapshot at or before the offset they need. \
            The store also takes one every 25,000 appended events (StoreOptions.snapshotInterval).
            """,
        subcommands: [Create.self, List.self, Prune.self])

    /// One snapshot as a JSON line: `{"offset","createdAt","storedBytes","bodyBytes","damage"}`.
    static func json(_ info: SnapshotInfo) -> String {
        let members: [String: JSONValue] = [
            "offset": .integer(info.offset), "createdAt": time(info.createdAt),
            "storedBytes": .integer(info.storedBytes), "bodyBytes": .integer(info.bodyBytes),
            "damage": info.damage.map(JSONValue.string) ?? .null,
        ]
        return JSONValue.object(members).canonicalString
    }

    private static func time(_ ms: Int64) -> JSONValue {
        ms == 0 ? .null : .string(ISO8601.string(milliseconds: ms))
    }

    /// `annals snapshot create`.
    struct Create: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Snapshot every projection at the log head and print it.",
            discussion: """
                A snapshot already stored at that offset is kept as it is, unless time travel could not use it (it \
                is damaged, or was taken by other versions of the projections): then it is replaced. Exit code 2 \
                when the log is empty.
                """)

        @OptionGroup var location: StoreLocation

        func run() throws {
            let store = try location.openForWriting()
            defer { store.close() }
            try store.checkSnapshotPages()
            try store.checkViewPages(of: OntologyProjections.names)
            try Output.standard.line(Snapshot.json(try store.createSnapshot()))
        }
    }

    /// `annals snapshot list`.
    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Every snapshot, oldest first.")

        @OptionGroup var location: StoreLocation

        @Option(help: "jsonl (default) or table.")
        var format: OutputFormat = .jsonl

        func run() throws {
            let store = try location.openForReading()
            defer { store.close() }
            try store.checkSnapshotPages()
            let snapshots = try store.snapshots()
            for info in snapshots {
                guard let damage = info.damage else { continue }
                CLIFailure.printError(
                    "warning: the snapshot at offset \(info.offset) is damaged (\(damage)); time travel skips it")
            }
            guard format == .table else {
                for info in snapshots { try Output.standard.line(Snapshot.json(info)) }
                return
            }
            try Output.standard.line("OFFSET      CREATED                   STORED BYTES  BODY BYTES")
            for info in snapshots {
                let created = info.createdAt == 0 ? "-" : ISO8601.string(milliseconds: info.createdAt)
                let body = info.damage.map { "damaged: " + $0 } ?? String(info.bodyBytes)
                try Output.standard.line(
                    String(info.offset).padding(toLength: 12, withPad: " ", startingAt: 0)
                        + created.padding(toLength: 26, withPad: " ", startingAt: 0)
                        + String(info.storedBytes).padding(toLength: 14, withPad: " ", startingAt: 0) + body)
            }
        }
    }

    /// `annals snapshot prune`.
    struct Prune: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Delete old snapshots and print the deleted ones.",
            discussion: """
                Deletes all but the newest --keep N intact snapshots, and every snapshot before offset --before \
                OFFSET; with both, a snapshot goes when either says so. A damaged snapshot, which time travel skips, \
                is never kept in place of an intact one: --keep deletes it with the rest, however new it is. \
                Example: annals snapshot prune --keep 3
                """)

        @OptionGroup var location: StoreLocation

        @Option(help: "Keep only this many of the newest intact snapshots (damaged ones are deleted).")
        var keep: WholeNumber<Int>?

        @Option(help: ArgumentHelp("Delete the snapshots taken before this offset.", valueName: "offset"))
        var before: WholeNumber<UInt64>?

        func validate() throws {
            if keep == nil && before == nil { throw ValidationError("give --keep N, --before OFFSET or both") }
        }

        func run() throws {
            let store = try location.openForWriting()
            defer { store.close() }
            try store.checkSnapshotPages()
            for info in try store.pruneSnapshots(keepLatest: keep?.value, before: before?.value) {
                try Output.standard.line(Snapshot.json(info))
            }
        }
    }
}
