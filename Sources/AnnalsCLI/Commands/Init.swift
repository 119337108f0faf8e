import Annals
import ArgumentParser

/// `annals init`: creates a store.
struct Init: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Create a store (a directory holding data.mdb, lock.mdb and watermark).",
        discussion: "Example: annals init --store ./data. Running it on an existing store changes nothing.")

    @OptionGroup var location: StoreLocation

    func run() throws {
        let store = try location.openWritable(StoreOptions())
        let head = try store.head()
        let created = store.isNewlyCreated
        store.close()
        try Output.standard.line(
            "{\"store\":\(JSONValue.string(location.path).canonicalString),\"created\":\(created),"
                + "\"offset\":\(head.offset)}")
    }
}
