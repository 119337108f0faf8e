import Annals
import ArgumentParser
import Foundation

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

    @Flag(
        help: """
            Keep the copy in DEST when its head does not check out (a tail cut off, meta's chain.head damaged), as \
            evidence, instead of removing it; the command still exits 6, naming the offset and where the copy is.
            """)
    var keepDamaged = false

    func validate() throws {
        if destination.isEmpty { throw ValidationError("DEST cannot be empty") }
    }

    func run() throws {
        let store = try location.openForReading()
        defer { store.close() }
        let head: LogHead
        do throws(AnnalsError) {
            head = try store.backup(to: destination, rewritingRecords: rewrite, keepingDamagedCopy: keepDamaged)
        } catch .corruptRecord(let offset, let reason) {
            // The copy's head does not check out: the engine's reason says whether the copy was kept.
            let message = AnnalsError.corruptRecord(offset: offset, reason: reason).description
            if keepDamaged, FileManager.default.fileExists(atPath: destination + "/data.mdb") {
                throw CLIFailure(.corrupt, message + " (run 'annals verify --store \(destination)')")
            }
            let hint = keepDamaged ? "" : " (--keep-damaged keeps it for inspection; run 'annals verify')"
            throw CLIFailure(.corrupt, message + hint)
        }
        try Output.standard.line(
            "{\"destination\":\(JSONValue.string(destination).canonicalString),\"offset\":\(head.offset),"
                + "\"hash\":\"\(head.hash.hex)\"}")
    }
}
