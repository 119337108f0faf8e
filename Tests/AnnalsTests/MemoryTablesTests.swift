import Testing

@testable import Annals

/// The in-memory tables time travel replays into: the overlay of changes and its merge with a snapshot's tables.
@Suite struct MemoryTablesTests {
    @Test func theOverlayAgreesWithAPlainDictionaryThroughRandomChangesAndScans() {
        var overlay = SortedOverlay()
        var reference: [[UInt8]: [UInt8]?] = [:]
        var random = SeededGenerator(state: 11)
        for step in 0..<4_000 {
            let key = Array("k\(random.next() % 600)".utf8)
            let value: [UInt8]? = random.next() % 4 == 0 ? nil : Array("v\(step)".utf8)
            overlay.set(key, value)
            reference[key] = .some(value)
            if step % 97 == 0 {
                let prefix = Array("k\(random.next() % 10)".utf8)
                var seen: [[UInt8]] = []
                overlay.forEach(from: prefix) { entry in
                    guard entry.key.starts(with: prefix) else { return false }
                    #expect(entry.value == reference[entry.key]!)
                    seen.append(entry.key)
                    return true
                }
                let expected = reference.keys.filter { $0.starts(with: prefix) }.sorted { compareBytes($0, $1) < 0 }
                #expect(seen == expected)
            }
        }
        for (key, value) in reference { #expect(overlay.lookup(key) == .some(value)) }
        #expect(overlay.lookup(Array("absent".utf8)) == nil)
    }

    @Test func removeHidesAKeyWithoutLookingItUp() throws {
        let tables = MemoryTables(tableCount: 1)
        let table = ProjectionTable(0)
        for name in ["a", "b", "c"] { try tables.put(table, key: Array(name.utf8), value: Array(name.utf8)) }
        try tables.remove(table, key: Array("b".utf8))
        try tables.remove(table, key: Array("never-there".utf8))
        #expect(try tables.get(table, key: Array("b".utf8)) == nil)
        #expect(try tables.keys(table, prefix: []) == [Array("a".utf8), Array("c".utf8)])
        #expect(try tables.delete(table, key: Array("a".utf8)))
        #expect(try !tables.delete(table, key: Array("never-there".utf8)))
    }

    @Test func tablesLaidOverFrozenTablesSeeThroughThemAndFlushOnlyTheirOwnChanges() throws {
        let table = ProjectionTable(0)
        let lower = MemoryTables(tableCount: 1)
        for name in ["a", "b", "c", "d"] {
            try lower.put(table, key: Array(name.utf8), value: Array("low-\(name)".utf8))
        }
        try lower.remove(table, key: Array("d".utf8))
        lower.freeze()
        let upper = MemoryTables(bases: [lower.base(table)])
        try upper.put(table, key: Array("b".utf8), value: Array("up-b".utf8))
        try upper.put(table, key: Array("e".utf8), value: Array("up-e".utf8))
        #expect(try upper.delete(table, key: Array("c".utf8)))
        #expect(try !upper.delete(table, key: Array("d".utf8)))

        #expect(try upper.get(table, key: Array("a".utf8)) == Array("low-a".utf8))
        #expect(try upper.get(table, key: Array("b".utf8)) == Array("up-b".utf8))
        #expect(try upper.get(table, key: Array("c".utf8)) == nil)
        #expect(try upper.get(table, key: Array("d".utf8)) == nil)
        #expect(try upper.keys(table, prefix: []) == ["a", "b", "e"].map { Array($0.utf8) })

        upper.freeze()
        var changes: [String] = []
        upper.forEachChange(table) { key, value in
            changes.append(
                String(decoding: key, as: UTF8.self) + "=" + (value.map { String(decoding: $0, as: UTF8.self) } ?? "-"))
        }
        #expect(changes == ["b=up-b", "c=-", "e=up-e"])
        // The frozen tables beneath are unchanged by what was laid over them.
        #expect(try lower.keys(table, prefix: []) == ["a", "b", "c"].map { Array($0.utf8) })
    }

    @Test func aPrefixScanReadsTheBaseOnlyWithinThePrefixWhateverTheOverlayDeleted() throws {
        let table = ProjectionTable(0)
        let lower = MemoryTables(tableCount: 1)
        for index in 0..<1_000 {
            try lower.put(table, key: Array("k\(1_000 + index)".utf8), value: [1])
        }
        lower.freeze()
        let base = CountingBase(lower.base(table))
        let upper = MemoryTables(bases: [base])
        // Everything after the prefix deleted: tombstones hide every base entry a scan could walk on to.
        for index in 1..<1_000 { try upper.remove(table, key: Array("k\(1_000 + index)".utf8)) }
        try upper.put(table, key: Array("k1000x".utf8), value: [2])
        #expect(try upper.keys(table, prefix: Array("k1000".utf8)) == [Array("k1000".utf8), Array("k1000x".utf8)])
        #expect(base.visited <= 2, "the base was read \(base.visited) entries into a 1-entry prefix")
    }

    @Test func scansMergeTheLongAndRecentRunsOfALargeOverlay() {
        var overlay = SortedOverlay()
        var reference: [[UInt8]: [UInt8]] = [:]
        var random = SeededGenerator(state: 5)
        for round in 0..<40 {
            // A large first round, then small ones: later scans walk a long run and a short recent one.
            for _ in 0..<(round == 0 ? 20_000 : 300) {
                let key = Array("key-\(random.next() % 50_000)".utf8)
                overlay.set(key, key)
                reference[key] = key
            }
            let prefix = Array("key-\(random.next() % 10)".utf8)
            var seen: [[UInt8]] = []
            overlay.forEach(from: prefix) { entry in
                guard entry.key.starts(with: prefix) else { return false }
                seen.append(entry.key)
                return true
            }
            #expect(seen == reference.keys.filter { $0.starts(with: prefix) }.sorted { compareBytes($0, $1) < 0 })
        }
    }

    @Test func theTablesCountTheirChangesAndTheBytesTheyHold() throws {
        let tables = MemoryTables(tableCount: 2)
        try tables.put(ProjectionTable(0), key: Array("ab".utf8), value: Array("12345".utf8))
        try tables.put(ProjectionTable(1), key: Array("c".utf8), value: [])
        #expect((tables.changeCount, tables.changedBytes) == (2, 8))
        // A new value replaces the old one's bytes; a deletion keeps its key.
        try tables.put(ProjectionTable(0), key: Array("ab".utf8), value: Array("1".utf8))
        #expect((tables.changeCount, tables.changedBytes) == (2, 4))
        try tables.remove(ProjectionTable(0), key: Array("ab".utf8))
        try tables.remove(ProjectionTable(1), key: Array("def".utf8))
        #expect((tables.changeCount, tables.changedBytes) == (3, 6))
    }

    @Test func freezingSeveralTablesAtOnceOrdersEachOfThemFully() throws {
        var random = SeededGenerator(state: 23)
        var references: [[[UInt8]: [UInt8]?]] = Array(repeating: [:], count: 6)
        let sets = (0..<3).map { _ in MemoryTables(tableCount: 2) }
        for step in 0..<6_000 {
            let target = Int(random.next() % 6)
            let key = Array("k\(random.next() % (target == 0 ? 3_000 : 400))".utf8)
            let value: [UInt8]? = random.next() % 5 == 0 ? nil : Array("v\(step)".utf8)
            let (set, table) = (target / 2, ProjectionTable(target % 2))
            if let value {
                try sets[set].put(table, key: key, value: value)
            } else {
                try sets[set].remove(table, key: key)
            }
            references[target][key] = .some(value)
            // Some tables are scanned midway, so they hold both runs and unordered entries when frozen.
            if step == 3_000 { _ = try sets[1].keys(ProjectionTable(0), prefix: []) }
        }
        MemoryTables.freeze(sets)
        for target in 0..<6 {
            var changes: [([UInt8], [UInt8]?)] = []
            sets[target / 2].forEachChange(ProjectionTable(target % 2)) { key, value in changes.append((key, value)) }
            let expected = references[target].sorted { compareBytes($0.key, $1.key) < 0 }
            #expect(changes.map(\.0) == expected.map(\.key))
            #expect(changes.map(\.1) == expected.map(\.value))
        }
    }
}

/// A base that counts the entries a walk reads from it.
private final class CountingBase: OverlayBase {
    private let base: any OverlayBase
    private(set) var visited = 0

    init(_ base: any OverlayBase) { self.base = base }

    func withValue<R>(for key: UnsafeRawBufferPointer, _ body: (UnsafeRawBufferPointer?) throws -> R) throws -> R {
        try base.withValue(for: key, body)
    }

    func forEach(
        from start: UnsafeRawBufferPointer,
        _ body: (_ key: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer) throws -> Bool
    ) throws {
        try base.forEach(from: start) { key, value in
            visited += 1
            return try body(key, value)
        }
    }
}
