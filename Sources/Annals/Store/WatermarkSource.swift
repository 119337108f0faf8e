import Foundation

/// The store's watermark file as this open sees it: the one it mapped, or, for a read-only open that found none, the
/// one a writer creates later.
///
/// A store no writer of this build has opened yet (a fresh backup) has no watermark file, and a read-only open then
/// takes every committed event as durable. Once a writer opens the store it creates the file before its first commit,
/// so a reader that looks for the file again after reading the log head (``durableOffset(upTo:)``) never takes that
/// writer's unsynced commits for durable ones.
///
/// A file that exists but cannot be opened or mapped (too many open files, say) is no proof that nothing is being
/// written: until it can be mapped, nothing past what was already taken as durable is.
final class WatermarkSource: @unchecked Sendable {
    private let directory: String
    /// The file this open mapped: read without the lock (every writable open, and most read-only ones, have one).
    private let mappedAtOpen: DurableWatermark?
    private let lock = NSLock()
    private var mapped: DurableWatermark?
    /// The highest offset taken as durable while there was no watermark file (guarded by `lock`).
    private var assumedDurable: UInt64 = 0

    /// A source holding `watermark`, the file this open mapped (`nil` if a read-only open found none).
    init(directory: String, watermark: DurableWatermark?) {
        self.directory = directory
        mappedAtOpen = watermark
        mapped = watermark
    }

    /// The watermark file, mapped now if it has appeared since the open; `nil` while there is none, or while it
    /// cannot be mapped. Read the log head before this, so that a writer's commits in between are covered by the file
    /// it created first.
    var current: DurableWatermark? {
        if let mappedAtOpen { return mappedAtOpen }
        return lock.withLock { lockedCurrent().watermark }
    }

    /// How much of the log through `head` (just read) is durable: the watermark, at most `head`; all of it while no
    /// writer has created the file; and while the file exists but cannot be mapped, no more than was taken as durable
    /// before.
    func durableOffset(upTo head: UInt64) -> UInt64 {
        if let mappedAtOpen { return min(mappedAtOpen.durableOffset, head) }
        return lock.withLock {
            switch lockedCurrent() {
            case (let watermark?, _):
                return min(watermark.durableOffset, head)
            case (nil, unreadable: true):
                return min(assumedDurable, head)
            case (nil, unreadable: false):
                assumedDurable = max(assumedDurable, head)
                return head
            }
        }
    }

    /// The mapped file, mapping it if it has appeared, and whether it exists but could not be mapped (lock held).
    private func lockedCurrent() -> (watermark: DurableWatermark?, unreadable: Bool) {
        if let mapped { return (mapped, false) }
        do {
            mapped = try DurableWatermark(directory: directory, writable: false)
            return (mapped, false)
        } catch {
            return (nil, true)
        }
    }
}
