import Foundation

/// The store's watermark file as this open sees it: the one it mapped, or, for a read-only open that found none, the
/// one a writer creates later.
///
/// A store no writer of this build has opened yet (a fresh backup) has no watermark file, and a read-only open then
/// takes every committed event as durable. Once a writer opens the store it creates the file before its first commit,
/// so a reader that looks for the file again after reading the log head (``current``) never takes that writer's
/// unsynced commits for durable ones.
final class WatermarkSource: @unchecked Sendable {
    private let directory: String
    /// The file this open mapped: read without the lock (every writable open, and most read-only ones, have one).
    private let mappedAtOpen: DurableWatermark?
    private let lock = NSLock()
    private var mapped: DurableWatermark?

    /// A source holding `watermark`, the file this open mapped (`nil` if a read-only open found none).
    init(directory: String, watermark: DurableWatermark?) {
        self.directory = directory
        mappedAtOpen = watermark
        mapped = watermark
    }

    /// The watermark file, mapped now if it has appeared since the open; `nil` while there is none. Read the log
    /// head before this, so that a writer's commits in between are covered by the file it created first.
    var current: DurableWatermark? {
        if let mappedAtOpen { return mappedAtOpen }
        lock.lock()
        defer { lock.unlock() }
        if let mapped { return mapped }
        mapped = try? DurableWatermark(directory: directory, writable: false)
        return mapped
    }
}
