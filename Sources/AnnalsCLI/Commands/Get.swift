import Annals
import ArgumentParser
import Foundation

/// `annals get OFFSET` / `annals get --id ID`: one event as a JSON line.
struct Get: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print one event, by offset or by id.",
        discussion: "Examples: annals get 42; annals get --id 6f1c…. Exit code 4 when there is no such event.")

    @OptionGroup var location: StoreLocation

    @Argument(help: "The event's offset (from 1).")
    var offset: WholeNumber<UInt64>?

    @Option(help: ArgumentHelp("The event's id (a UUID).", valueName: "uuid"))
    var id: String?

    func validate() throws {
        // ArgumentParser takes `-1` for an unknown option and reports it only after this check, which would say that
        // no offset was given.
        if offset == nil, id == nil,
            let negative = CommandLine.arguments.dropFirst().first(where: NegativeOptionValues.isNegativeNumber)
        {
            throw ValidationError("OFFSET must be a whole number from 1, got '\(negative)'")
        }
        switch (offset, id) {
        case (nil, nil): throw ValidationError("give an OFFSET or --id")
        case (.some, .some): throw ValidationError("give an OFFSET or --id, not both")
        case (.some(let offset), nil) where offset.value == 0: throw ValidationError("offsets start at 1")
        case (nil, .some(let id)) where UUID(uuidString: id) == nil:
            throw ValidationError("--id must be a UUID, got '\(id)'")
        default: break
        }
    }

    func run() throws {
        let store = try location.openForReading()
        defer { store.close() }
        // A damaged page would crash LMDB: check the few that this lookup follows first.
        let event: RecordedEvent?
        if let offset = offset?.value {
            try store.checkLogPages(offsets: [offset...offset])
            event = try store.event(at: offset)
        } else {
            let id = UUID(uuidString: id!)!
            try store.checkLogPages(forEventWithID: id)
            event = try store.event(id: id)
        }
        guard let event else {
            throw CLIFailure(.notFound, offset.map { "no event at offset \($0.value)" } ?? "no event with id \(id!)")
        }
        try Output.standard.line { event.appendJSON(to: &$0) }
    }
}
