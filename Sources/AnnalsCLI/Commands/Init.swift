import Annals
import ArgumentParser

/// `annals init`: creates a store.
struct Init: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Create a store (a directory holding data.mdb, lock.mdb and watermark).",
        discussion: "Example: annals init --store ./data. Running it on an existing store changes nothing.")

    @OptionGroup var location: StoreLocation

    func run() throws {
        // Like every writable open of the CLI, it leaves a view of another configuration to its application.
        let store = try EventStore(
            path: location.path, options: StoreOptions(outdatedProjections: .rebuildOtherVersions))
        let head = try store.head()
        let created = store.isNewlyCreated
        store.close()
        try Output.standard.line(
            "{\"store\":\(JSONValue.string(location.path).canonicalString),\"created\":\(created),"
                + "\"offset\":\(head.offset)}")
    }
}
