import Annals
import Foundation

/// Writes generated events as the JSON lines `annals append` reads, so a store holding a benchmark's workload can be
/// built outside the benchmark (for example to count a rebuild's instructions under callgrind).
enum HistoryExport {
    /// Writes `events`, one JSON object per line, to the file at `path` (replacing it).
    /// - Throws: The file system's error when the file cannot be written.
    static func write(_ events: [NewEvent], to path: String) throws {
        var out: [UInt8] = []
        out.reserveCapacity(events.count * 256)
        for event in events {
            var members: [String: JSONValue] = ["type": .string(event.type), "metadata": event.metadata]
            if let id = event.id { members["id"] = .string(id.lowercasedString) }
            if let actor = event.actorId { members["actorId"] = .string(actor) }
            if let target = event.targetId { members["targetId"] = .string(target) }
            if let group = event.groupId { members["groupId"] = .string(group) }
            if let timestamp = event.timestamp { members["timestamp"] = .integer(timestamp) }
            out.append(contentsOf: JSONValue.object(members).canonicalBytes)
            out.append(UInt8(ascii: "\n"))
        }
        try Data(out).write(to: URL(fileURLWithPath: path))
    }
}
