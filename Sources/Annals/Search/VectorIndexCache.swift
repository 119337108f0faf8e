import Foundation
import LMDB

/// The knowledge view's embeddings as one in-memory matrix, for exact vector search. Built from the `vectors` table
/// on first use and rebuilt when the view has changed (a different slot, or a later `changed` offset in the
/// knowledge `stats` table), so searches between changes scan contiguous memory instead of LMDB pages, and appends
/// that do not touch knowledge keep the index.
final class VectorIndexCache: @unchecked Sendable {
    /// One build of the matrix, for one state of the view.
    final class Index: @unchecked Sendable {
        let slot: UInt8
        let changedOffset: UInt64
        let matrix: VectorMatrix
        let ids: [String]
        let groups: [String?]
        let labels: [[String]]
        let rows: [String: Int]

        init(
            slot: UInt8, changedOffset: UInt64, matrix: VectorMatrix, ids: [String], groups: [String?],
            labels: [[String]]
        ) {
            self.slot = slot
            self.changedOffset = changedOffset
            self.matrix = matrix
            self.ids = ids
            self.groups = groups
            self.labels = labels
            var rows: [String: Int] = [:]
            rows.reserveCapacity(ids.count)
            for (row, id) in ids.enumerated() { rows[id] = row }
            self.rows = rows
        }
    }

    private let lock = NSLock()
    private var current: Index?

    /// The index built last, if any.
    var currentIndex: Index? { lock.withLock { current } }

    /// The index for the view at `slot` last changed at `changedOffset`, built from `tables` when the cached one is for another state.
    func index(slot: UInt8, changedOffset: UInt64, dimensions: Int, tables: any ProjectionReader) throws -> Index {
        if let cached = lock.withLock({ current }), cached.slot == slot, cached.changedOffset == changedOffset {
            return cached
        }
        var matrix = VectorMatrix(dimensions: dimensions)
        var ids: [String] = []
        var groups: [String?] = []
        var labels: [[String]] = []
        try tables.scan(KnowledgeProjection.vectors, prefix: []) { key, value in
            let id = String(decoding: key, as: UTF8.self)
            let row = try VectorRow.decode(value, id: id)
            guard row.dimensions == dimensions else { return true }
            try matrix.append(encoded: row.vector, encoding: row.encoding)
            ids.append(id)
            groups.append(row.groupId)
            labels.append(row.labels)
            return true
        }
        let built = Index(
            slot: slot, changedOffset: changedOffset, matrix: matrix, ids: ids, groups: groups, labels: labels)
        lock.withLock { current = built }
        return built
    }
}
