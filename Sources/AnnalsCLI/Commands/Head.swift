import Annals
import ArgumentParser

/// `annals head`: the last offset, its chain hash and the durable watermark.
struct Head: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the last offset, its chain hash and the durable offset.",
        discussion: """
            Keep the printed anchor (HASH@OFFSET) somewhere safe: 'annals verify --anchor' uses it to detect a \
            truncated log later.
            """)

    @OptionGroup var location: StoreLocation

    func run() throws {
        let store = try location.openForReading()
        defer { store.close() }
        // A damaged page would crash LMDB: check the few that finding the head follows.
        try store.checkLogPages(offsets: [])
        let head = try store.checkedHead()
        try Output.standard.line(
            "{\"offset\":\(head.offset),\"hash\":\"\(head.hash.hex)\",\"durableOffset\":\(head.durableOffset),"
                + "\"anchor\":\"\(head.anchor)\"}")
    }
}
