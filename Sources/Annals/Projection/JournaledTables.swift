/// A projection's live tables that remember the previous value of every key they change, so that a batch's
/// projection writes can be undone inside the same write transaction when a later event of the batch is rejected.
///
/// Undoing by journal costs one read per write; a nested LMDB transaction instead would copy every page the batch
/// touches and merge the copies back, which costs far more for batches that update many scattered entities.
final class UndoJournal {
    private var entries: [(tables: LMDBTables, table: ProjectionTable, key: [UInt8], previous: [UInt8]?)] = []

    func record(_ tables: LMDBTables, _ table: ProjectionTable, _ key: [UInt8]) throws {
        entries.append((tables, table, key, try tables.get(table, key: key)))
    }

    /// Restores every recorded key to its value before the batch, newest change first.
    func undo() throws {
        for entry in entries.reversed() {
            if let previous = entry.previous {
                try entry.tables.put(entry.table, key: entry.key, value: previous)
            } else {
                try entry.tables.delete(entry.table, key: entry.key)
            }
        }
        entries.removeAll()
    }

    func clear() { entries.removeAll(keepingCapacity: true) }
}

/// ``LMDBTables`` that record each change in an ``UndoJournal`` first.
struct JournaledTables: ProjectionWriter, ReadingThrough {
    let tables: LMDBTables
    let journal: UndoJournal

    var readBase: LMDBTables { tables }

    func put(_ table: ProjectionTable, key: [UInt8], value: [UInt8]) throws {
        try journal.record(tables, table, key)
        try tables.put(table, key: key, value: value)
    }

    @discardableResult
    func delete(_ table: ProjectionTable, key: [UInt8]) throws -> Bool {
        try journal.record(tables, table, key)
        return try tables.delete(table, key: key)
    }
}
