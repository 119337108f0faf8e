import Annals
import ArgumentParser

/// `--max-event-size BYTES`: the largest encoded event a command appends (``StoreOptions/maximumEventSize``), for
/// the commands that append events given or computed whole (`append`, `rollback`).
struct MaximumEventSizeOption: ParsableArguments {
    /// The smallest limit accepted: every event's envelope needs room for its type and ids.
    static let smallest = 256
    /// The largest limit accepted (256 MiB), which every reader can decompress (docs/FORMAT.md).
    static let largest = StoreOptions.largestEventSize

    @Option(help: "The largest encoded event accepted, in bytes (256 to 268435456).")
    var maxEventSize = WholeNumber(StoreOptions().maximumEventSize)

    /// Throws a validation error (exit 64) for a limit out of range.
    func check() throws {
        guard maxEventSize.value >= Self.smallest else {
            throw ValidationError("--max-event-size must be at least \(Self.smallest) bytes")
        }
        guard maxEventSize.value <= Self.largest else {
            throw ValidationError("--max-event-size must be at most \(Self.largest) bytes (256 MiB)")
        }
    }
}
