import Testing

@testable import Annals

/// The stored form of snapshots: tables in separately compressed blocks, read block by block; formats 3 (no CRC-32C
/// over the header) and 2 (one frame per table) still read.
@Suite struct SnapshotFormatTests {
    /// A projection that only names tables, for encoding them.
    struct TwoTables: Projection {
        let name = "two"
        let version = 1
        let tableNames = ["big", "empty"]
        func apply(_ event: ProjectedEvent, to tables: any ProjectionWriter, context: ProjectionContext) throws {}
    }

    /// 6,000 entries of about 100 bytes in table 0 (several blocks), none in table 1.
    static func sampleTables() throws -> (MemoryTables, [([UInt8], [UInt8])]) {
        let tables = MemoryTables(tableCount: 2)
        var entries: [([UInt8], [UInt8])] = []
        for i in 0..<6_000 {
            let key = Array("key-\(String(i * 7919 % 100_000, radix: 16))".utf8)
            let value = Array("value \(i) ".utf8) + Array(repeating: UInt8(i % 251), count: 90)
            try tables.put(ProjectionTable(0), key: key, value: value)
            entries.append((key, value))
        }
        return (tables, entries.sorted { compareBytes($0.0, $1.0) < 0 })
    }

    @Test(arguments: [UInt8(4), UInt8(3), UInt8(2)])
    func everyEntryIsFoundAndScansFollowKeyOrder(format: UInt8) throws {
        let (tables, entries) = try Self.sampleTables()
        let stored = try SnapshotFormat.encode(
            [(TwoTables(), tables)], offset: 42, createdAt: 1, level: 3, format: format)
        #expect(stored[4] == format)
        let projections = try stored.withUnsafeBytes { try SnapshotFormat.projections($0, key: 42) }
        let big = try #require(projections.first?.tables.first)
        #expect(big.entries == entries.count)
        for (key, value) in entries {
            let found = try key.withUnsafeBytes { try big.value(for: $0).map(Array.init) }
            #expect(found == value)
        }
        for absent in ["", "a", "key-", "key-zzz", "zzz"] {
            #expect(try Array(absent.utf8).withUnsafeBytes { try big.value(for: $0) } == nil)
        }
        for start in ["", "key-1", "key-a0", "key-ff", "z"] {
            var seen: [[UInt8]] = []
            try Array(start.utf8).withUnsafeBytes { s in
                try big.forEach(from: s) { key, _ in
                    seen.append(Array(key))
                    return seen.count < 500
                }
            }
            let expected = entries.map(\.0).filter { compareBytes($0, Array(start.utf8)) >= 0 }.prefix(500)
            #expect(seen == Array(expected), "from '\(start)'")
        }
        let empty = try #require(projections.first?.tables.last)
        #expect(try Array("key-1".utf8).withUnsafeBytes { try empty.value(for: $0) } == nil)
        var scanned = 0
        try [UInt8]().withUnsafeBytes {
            try empty.forEach(from: $0) { _, _ in
                scanned += 1
                return true
            }
        }
        #expect(scanned == 0)
    }

    @Test func scansOfTablesOverASnapshotMergeTheChangesInOrder() throws {
        let (tables, entries) = try Self.sampleTables()
        let stored = try SnapshotFormat.encode([(TwoTables(), tables)], offset: 9, createdAt: 1, level: 3)
        let projections = try stored.withUnsafeBytes { try SnapshotFormat.projections($0, key: 9) }
        let replayed = MemoryTables(bases: projections[0].tables)
        let table = ProjectionTable(0)
        var expected = Dictionary(uniqueKeysWithValues: entries)
        for (index, (key, _)) in entries.enumerated() where index % 5 == 0 {
            if index % 10 == 0 {
                try replayed.remove(table, key: key)
                expected[key] = nil
            } else {
                try replayed.put(table, key: key, value: [1, 2, 3])
                expected[key] = [1, 2, 3]
            }
        }
        for extra in ["key-", "key-1x", "key-zz", "a"] {
            try replayed.put(table, key: Array(extra.utf8), value: [9])
            expected[Array(extra.utf8)] = [9]
        }
        for prefix in ["", "key-1", "key-a", "key-z"] {
            var seen: [([UInt8], [UInt8])] = []
            try replayed.scan(table, prefix: Array(prefix.utf8)) { key, value in
                seen.append((Array(key), Array(value)))
                return true
            }
            let wanted = expected.filter { $0.key.starts(with: Array(prefix.utf8)) }
                .sorted { compareBytes($0.key, $1.key) < 0 }
            #expect(seen.map(\.0) == wanted.map(\.key), "under '\(prefix)'")
            #expect(seen.map(\.1) == wanted.map(\.value), "under '\(prefix)'")
        }
        var first: [[UInt8]] = []
        try replayed.scan(table, prefix: []) { key, _ in
            first.append(Array(key))
            return first.count < 3
        }
        #expect(first == expected.keys.sorted { compareBytes($0, $1) < 0 }.prefix(3).map { $0 })
    }

    @Test func aDamagedBlockIsReportedByTheLookupThatReachesIt() throws {
        let (tables, entries) = try Self.sampleTables()
        var stored = try SnapshotFormat.encode([(TwoTables(), tables)], offset: 5, createdAt: 1, level: 3)
        stored[stored.count - 10] ^= 0xFF
        // The CRC-32C catches it first…
        #expect(throws: AnnalsError.self) { try stored.withUnsafeBytes { try SnapshotFormat.projections($0, key: 5) } }
        // …and a block that is damaged anyway fails where it is read, naming the block and the table.
        let rest = Array(stored[SnapshotFormat.headerSize(format: SnapshotFormat.version)...])
        stored.replaceSubrange(30..<34, with: CRC32C.checksum(rest).bigEndianBytes)
        stored.replaceSubrange(34..<38, with: CRC32C.checksum(Array(stored[0..<34])).bigEndianBytes)
        let projections = try stored.withUnsafeBytes { try SnapshotFormat.projections($0, key: 5) }
        do {
            try Array(entries.last!.0).withUnsafeBytes { _ = try projections[0].tables[0].value(for: $0) }
            Issue.record("read a damaged block")
        } catch {
            guard case .corruptSnapshot(let offset, let reason) = error as? AnnalsError else {
                Issue.record("\(error)")
                return
            }
            #expect(offset == 5)
            #expect(reason.contains("two.big"), "\(reason)")
        }
    }
}
