import Foundation
import LMDB

/// The knowledge view's embeddings as one in-memory matrix, for exact vector search. Built from the `vectors` table
/// on first use and rebuilt when the view has changed (a different slot or checkpoint), so searches between changes
/// scan contiguous memory instead of LMDB pages.
final class VectorIndexCache: @unchecked Sendable {
    /// One build of the matrix, for one state of the view.
    final class Index: @unchecked Sendable {
        let slot: UInt8
        let checkpoint: UInt64
        let matrix: VectorMatrix
        let ids: [String]
        let groups: [String?]
        let labels: [[String]]
        let rows: [String: Int]

        init(
            slot: UInt8, checkpoint: UInt64, matrix: VectorMatrix, ids: [String], groups: [String?], labels: [[String]]
        ) {
            self.slot = slot
            self.checkpoint = checkpoint
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

    /// The index for the view at `slot`/`checkpoint`, built from `tables` when the cached one is for another state.
    func index(slot: UInt8, checkpoint: UInt64, dimensions: Int, tables: any ProjectionReader) throws -> Index {
        if let cached = lock.withLock({ current }), cached.slot == slot, cached.checkpoint == checkpoint {
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
            slot: slot, checkpoint: checkpoint, matrix: matrix, ids: ids, groups: groups, labels: labels)
        lock.withLock { current = built }
        return built
    }
}
