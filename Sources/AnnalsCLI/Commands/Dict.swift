import Annals
import ArgumentParser

/// `annals dict`: zstd dictionaries.
struct Dict: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Manage the zstd dictionaries payloads are compressed with.",
        subcommands: [Train.self])

    /// `annals dict train`.
    struct Train: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Train a new dictionary from the most recent events and use it for new records.",
            discussion:
                "Old dictionaries are kept, so every record stays readable. Example: annals dict train --samples 20000")

        @OptionGroup var location: StoreLocation

        @Option(help: "How many recent events to train from.")
        var samples: WholeNumber<Int> = 10_000

        func validate() throws {
            guard samples.value >= 16 else { throw ValidationError("--samples must be at least 16") }
        }

        func run() throws {
            let store = try location.openWithoutViews()
            defer { store.close() }
            try store.checkLogPages(for: EventQuery(limit: samples.value, reverse: true))
            let info = try store.trainDictionary(sampleLimit: samples.value)
            try Output.standard.line(
                "{\"id\":\(info.id),\"size\":\(info.size),\"samples\":\(info.samples),"
                    + "\"trainedAtOffset\":\(info.trainedAtOffset)}")
        }
    }
}
