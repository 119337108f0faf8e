import Annals
import ArgumentParser

/// `annals stats`: counts, sizes, compression, dictionaries, map usage, readers.
struct Stats: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print counts, raw and stored bytes, compression, dictionaries, map usage and readers.")

    @OptionGroup var location: StoreLocation

    @Option(help: "jsonl (default: one JSON object) or table.")
    var format: OutputFormat = .jsonl

    func run() throws {
        let store = try location.openForReading()
        defer { store.close() }
        try store.checkStatisticsPages()
        let s = try store.statistics()
        if format == .table {
            for line in table(s) { try Output.standard.line(line) }
            return
        }
        let types = s.types.map { "\(JSONValue.string($0.type).canonicalString):\($0.count)" }.joined(separator: ",")
        let databases = s.databases.map { "\"\($0.name)\":{\"entries\":\($0.entries),\"bytes\":\($0.bytes)}" }
            .joined(separator: ",")
        let dictionaries = s.dictionaries.map { "{\"id\":\($0.id),\"size\":\($0.size)}" }.joined(separator: ",")
        try Output.standard.line(
            "{\"events\":\(s.events),\"durableOffset\":\(s.durableOffset),\"payloadBytes\":\(s.payloadBytes),"
                + "\"recordBytes\":\(s.recordBytes),\"headerBytes\":\(s.headerBytes),\"storedPayloadBytes\":\(s.storedPayloadBytes),\"compressionRatio\":\(rounded(s.compressionRatio)),"
                + "\"usedBytes\":\(s.usedBytes),\"mapSize\":\(s.mapSize),\"pageSize\":\(s.pageSize),"
                + "\"readersInUse\":\(s.readersInUse),\"maxReaders\":\(s.maximumReaders),"
                + "\"actors\":\(s.distinctActors),\"targets\":\(s.distinctTargets),\"groups\":\(s.distinctGroups),"
                + "\"types\":{\(types)},\"dictionaries\":[\(dictionaries)],\"databases\":{\(databases)}}")
    }

    private func rounded(_ value: Double) -> String {
        String(Double((value * 1000).rounded()) / 1000)
    }

    private func table(_ s: StoreStatistics) -> [String] {
        var lines = [
            "events             \(s.events) (durable through \(s.durableOffset))",
            "payload bytes      \(s.payloadBytes) (uncompressed envelopes)",
            "record bytes       \(s.recordBytes) (\(s.headerBytes) header bytes plus \(s.storedPayloadBytes) stored payload bytes)",
            "compression        \(rounded(s.compressionRatio))x on payloads",
            "data file in use   \(s.usedBytes) bytes of a \(s.mapSize)-byte map (page size \(s.pageSize))",
            "readers            \(s.readersInUse) of \(s.maximumReaders) slots in use",
            "distinct           \(s.distinctActors) actors, \(s.distinctTargets) targets, \(s.distinctGroups) groups",
            "dictionaries       "
                + (s.dictionaries.isEmpty
                    ? "none yet" : s.dictionaries.map { "#\($0.id) (\($0.size) B)" }.joined(separator: ", ")),
            "",
        ]
        // Measured, as wide as the longest type up to 40 columns (a longer one is cut with `…`), two spaces before
        // its count: a fixed width would cut a long type and run it into the count.
        var types = TextTable(["TYPE", "EVENTS"])
        for type in s.types { types.add([type.type, String(type.count)]) }
        lines += types.lines
        lines.append("")
        // As wide as the longest name (a view's table, `p.knowledge.0.vectors`), which padding would cut.
        let width = max(16, (s.databases.map(\.name.count).max() ?? 0) + 2)
        lines.append("DATABASE".padding(toLength: width, withPad: " ", startingAt: 0) + "ENTRIES       BYTES")
        for database in s.databases {
            lines.append(
                database.name.padding(toLength: width, withPad: " ", startingAt: 0)
                    + String(database.entries).padding(toLength: 14, withPad: " ", startingAt: 0)
                    + String(database.bytes))
        }
        return lines
    }
}

import Foundation
