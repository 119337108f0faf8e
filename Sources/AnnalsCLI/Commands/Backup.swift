import Annals
import ArgumentParser

/// `annals backup DEST`: a consistent, compacted copy.
struct Backup: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write a consistent, compacted copy of the store to DEST while writers keep running.",
        discussion: "DEST must not exist or be an empty directory. Example: annals backup /backups/annals-2026-11-25")

    @OptionGroup var location: StoreLocation

    @Argument(help: "The directory to write the copy to.")
    var destination: String

    @Flag(
        help: """
            Copy record by record instead of page by page: slower, but it also copies a store whose free-page lists \
            are damaged (which writers refuse to open).
            """)
    var rewrite = false

    func validate() throws {
        if destination.isEmpty { throw ValidationError("DEST cannot be empty") }
    }

    func run() throws {
        let store = try location.openForReading()
        defer { store.close() }
        let head = try store.backup(to: destination, rewritingRecords: rewrite)
        try Output.standard.line(
            "{\"destination\":\(JSONValue.string(destination).canonicalString),\"offset\":\(head.offset),"
                + "\"hash\":\"\(head.hash.hex)\"}")
    }
}
