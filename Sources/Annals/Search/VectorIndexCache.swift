import Foundation
import LMDB

/// The knowledge view's embeddings as one in-memory matrix, for exact vector search, so that searches scan
/// contiguous memory instead of LMDB pages.
///
/// Built from the `vectors` table on first use and kept in step with the view: the knowledge projection records
/// the offset of its last change, and when that has moved the cache reads the knowledge events in between (through
/// the type index), drops the rows they touched and appends their current vectors. Appends that do not touch
/// knowledge leave it as it is. It is rebuilt from scratch for another slot (after a rebuild), when a change
/// touches more than a fifth of the rows, or when a quarter of the rows are dead.
final class VectorIndexCache: @unchecked Sendable {
    /// The matrix and what search filters on, row by row, for one state of the view.
    final class Index: @unchecked Sendable {
        let slot: UInt8
        var changedOffset: UInt64
        var matrix: VectorMatrix
        var ids: [String] = []
        var groups: [String?] = []
        var labels: [[String]] = []
        var thingIds: [String] = []
        /// Each row's document length in terms, as the `terms` postings record it.
        var documentLengths: [Int] = []
        /// The number and total document length of the current rows of each group, for BM25's statistics over
        /// groups.
        var groupTotals: [String: (documents: Int, length: Int)] = [:]
        /// Whether each row is current (a changed or deleted item's old row is dead).
        var alive: [Bool] = []
        var rows: [String: Int] = [:]
        var dead = 0

        init(slot: UInt8, changedOffset: UInt64, dimensions: Int) {
            self.slot = slot
            self.changedOffset = changedOffset
            self.matrix = VectorMatrix(dimensions: dimensions)
        }

        /// Appends the row of item `id` from its `vectors` value, when it has the matrix's dimensions.
        func add(_ id: String, _ value: UnsafeRawBufferPointer) throws {
            let row = try VectorRow.decode(value, id: id)
            guard row.dimensions == matrix.dimensions else { return }
            try matrix.append(encoded: row.vector, encoding: row.encoding)
            rows[id] = ids.count
            ids.append(id)
            groups.append(row.groupId)
            labels.append(row.labels)
            thingIds.append(row.thingId)
            documentLengths.append(row.documentLength)
            alive.append(true)
            if let group = row.groupId {
                groupTotals[group, default: (0, 0)].documents += 1
                groupTotals[group, default: (0, 0)].length += row.documentLength
            }
        }

        /// Marks `row` dead and takes it out of its group's totals.
        func kill(_ row: Int) {
            guard alive[row] else { return }
            alive[row] = false
            dead += 1
            if rows[ids[row]] == row { rows[ids[row]] = nil }
            if let group = groups[row], let totals = groupTotals[group] {
                let remaining = (documents: totals.documents - 1, length: totals.length - documentLengths[row])
                groupTotals[group] = remaining.documents > 0 ? remaining : nil
            }
        }

        /// The current items of `groups` as a BM25 collection: their number and total length from the group
        /// totals, and membership by row.
        func lexicalCollection(of groups: Set<String>) -> BM25Collection {
            var collection = BM25Collection(documents: 0, totalLength: 0) {
                [rows, alive, rowGroups = self.groups, allowed = groups] id in
                guard let row = rows[id], alive[row], let group = rowGroups[row] else { return false }
                return allowed.contains(group)
            }
            for group in groups {
                guard let totals = groupTotals[group] else { continue }
                collection.documents += totals.documents
                collection.totalLength += totals.length
            }
            return collection
        }
    }

    private let lock = NSLock()
    private var current: Index?
    /// How many incremental updates and full builds the cache has done (for tests).
    private(set) var updates = 0
    private(set) var builds = 0

    /// The index built last, if any.
    var currentIndex: Index? { lock.withLock { current } }

    /// Calls `body` with the index for the view at `slot` last changed at `changedOffset`, brought up to date from
    /// `tables` (the view in the caller's transaction) and `store`'s log first. Searches run one at a time.
    func withIndex<R>(
        slot: UInt8, changedOffset: UInt64, dimensions: Int, tables: any ProjectionReader, store: EventStore,
        _ body: (Index) throws -> R
    ) throws -> R {
        lock.lock()
        defer { lock.unlock() }
        if let index = current, index.slot == slot, index.matrix.dimensions == dimensions {
            if index.changedOffset == changedOffset { return try body(index) }
            if index.changedOffset < changedOffset,
                try update(index, to: changedOffset, tables: tables, store: store)
            {
                updates += 1
                return try body(index)
            }
        }
        let index = Index(slot: slot, changedOffset: changedOffset, dimensions: dimensions)
        try tables.scan(KnowledgeProjection.vectors, prefix: []) { key, value in
            try index.add(String(decoding: key, as: UTF8.self), value)
            return true
        }
        current = index
        builds += 1
        return try body(index)
    }

    /// Applies the knowledge changes after `index.changedOffset` through `target`; `false` when rebuilding is cheaper.
    private func update(
        _ index: Index, to target: UInt64, tables: any ProjectionReader, store: EventStore
    ) throws -> Bool {
        let changes = try store.events(
            EventQuery(
                from: index.changedOffset + 1, to: target,
                types: [
                    OntologyEventType.knowledgeAdded, OntologyEventType.knowledgeDeleted,
                    OntologyEventType.knowledgeRestored, OntologyEventType.thingDeleted,
                ])
        ).collect()
        var touched = Set<String>()
        var deletedThings = Set<String>()
        for event in changes {
            guard let target = event.targetId else { continue }
            if event.type == OntologyEventType.thingDeleted {
                deletedThings.insert(target)
            } else {
                touched.insert(target)
            }
        }
        guard touched.count + deletedThings.count <= max(index.ids.count / 5, 64) else { return false }
        if !deletedThings.isEmpty {
            for row in index.alive.indices where index.alive[row] && deletedThings.contains(index.thingIds[row]) {
                index.kill(row)
            }
        }
        for id in touched.sorted() {
            if let row = index.rows[id] { index.kill(row) }
            try tables.withValue(KnowledgeProjection.vectors, key: Array(id.utf8)) { value in
                if let value { try index.add(id, value) }
            }
        }
        index.changedOffset = target
        return index.dead * 4 <= index.ids.count
    }
}
