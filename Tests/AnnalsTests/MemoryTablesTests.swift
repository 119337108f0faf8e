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
}
