import Dispatch
import Foundation

/// A contiguous, row-major Float32 matrix of unit vectors, searched exactly by dot product (cosine similarity).
///
/// Rows are normalized when appended, so a dot product with a normalized query is their cosine. Exact search
/// reads every row: 100,000 rows of 384 dimensions are 150 MB of memory traffic, a few milliseconds spread over
/// the cores. The matrix is a value type (copy-on-write), safe to share between threads once built.
///
/// ```swift
/// var matrix = VectorMatrix(dimensions: embedder.dimensions)
/// for text in texts { matrix.append(embedder.embed(text)) }
/// let hits = matrix.topK(query: embedder.embed("crypto exchange"), k: 10) { row in !deleted.contains(row) }
/// ```
public struct VectorMatrix: Sendable {
    /// Matrices with at least this many rows are searched on all active cores.
    public static let parallelThreshold = 8192

    /// The number of components of each row.
    public let dimensions: Int

    /// The number of rows.
    public private(set) var count = 0

    /// `count * dimensions` components, row after row.
    private var storage: [Float] = []

    /// An empty matrix.
    /// - Parameters:
    ///   - dimensions: The length of every row; must be positive.
    ///   - rows: How many rows to reserve memory for.
    public init(dimensions: Int, reservingCapacity rows: Int = 0) {
        precondition(dimensions > 0, "a vector needs at least one dimension")
        self.dimensions = dimensions
        storage.reserveCapacity(rows * dimensions)
    }

    /// Reserves memory for `rows` rows in total, so appending that many does not reallocate.
    /// - Parameter rows: The total number of rows expected.
    public mutating func reserveCapacity(_ rows: Int) {
        storage.reserveCapacity(rows * dimensions)
    }

    /// Appends `vector`, normalized, as row ``count``; a zero (or non-finite) vector becomes a row of zeros,
    /// which scores 0 against every query.
    /// - Parameter vector: Exactly ``dimensions`` components (a different count is a programming error and traps).
    public mutating func append(_ vector: [Float]) {
        precondition(vector.count == dimensions, "appending a vector of \(vector.count) to \(dimensions) dimensions")
        let start = storage.count
        storage.append(contentsOf: vector)
        storage.withUnsafeMutableBufferPointer { all in
            VectorMath.normalize(UnsafeMutableBufferPointer(rebasing: all[start...]))
        }
        count += 1
    }

    /// Decodes an encoded vector (as written by ``VectorMath/encode(_:as:)``) and appends it, normalized.
    /// - Parameters:
    ///   - bytes: Exactly `dimensions * encoding.bytesPerComponent` bytes.
    ///   - encoding: The component format.
    /// - Throws: ``VectorFormatError`` when the byte count does not match; the matrix is then unchanged.
    public mutating func append(encoded bytes: UnsafeRawBufferPointer, encoding: VectorEncoding)
        throws(VectorFormatError)
    {
        guard bytes.count == dimensions * encoding.bytesPerComponent else {
            throw VectorFormatError(encoding: encoding, dimensions: dimensions, byteCount: bytes.count)
        }
        let start = storage.count
        storage.append(contentsOf: repeatElement(0, count: dimensions))
        storage.withUnsafeMutableBufferPointer { all in
            let row = UnsafeMutableBufferPointer(rebasing: all[start...])
            VectorMath.decodeComponents(bytes, encoding: encoding, into: row)
            VectorMath.normalize(row)
        }
        count += 1
    }

    /// The normalized components of row `index`.
    /// - Parameter index: A row in `0..<count`.
    public func row(_ index: Int) -> [Float] {
        precondition((0..<count).contains(index), "row \(index) out of 0..<\(count)")
        return Array(storage[(index * dimensions)..<((index + 1) * dimensions)])
    }

    /// The `k` rows most similar to `query`, best first.
    /// - Parameters:
    ///   - query: Exactly ``dimensions`` components; it is normalized first, so scores are cosine similarities.
    ///   - k: The number of results wanted; fewer come back when fewer rows pass `include`.
    /// - Returns: Rows and scores, by score descending, ties by row ascending (the same for any thread count).
    public func topK(query: [Float], k: Int) -> [(row: Int, score: Float)] {
        topK(query: query, k: k, where: { _ in true })
    }

    /// The `k` rows most similar to `query` among those `include` accepts, best first.
    ///
    /// From ``parallelThreshold`` rows up, the rows are split into one contiguous chunk per active core, scanned
    /// with `DispatchQueue.concurrentPerform`; each chunk keeps its own top `k` in a heap and the chunks are merged.
    /// - Parameters:
    ///   - query: Exactly ``dimensions`` components; it is normalized first, so scores are cosine similarities.
    ///   - k: The number of results wanted; fewer come back when fewer rows pass `include`.
    ///   - include: Whether a row may be returned. It is called exactly once per row, in blocks of 64 rows before
    ///     they are scored (a block with no row included is not read at all), and **concurrently from several
    ///     threads** for large matrices: it must be cheap and thread-safe (read-only captures such as a `Set` or a
    ///     `[Bool]` mask are).
    ///   - ranksFirst: Which of two rows with equal scores comes first (kept when only one fits in `k`); by default
    ///     the lower row. Called only for exact ties, from the same threads as `include`. A caller whose rows are in
    ///     no lasting order (appended as items change) passes an order of the items' ids, so that a matrix built
    ///     afresh ranks ties as a long-lived one does.
    /// - Returns: Rows and scores, by score descending, ties by `ranksFirst` (the same for any thread count).
    public func topK(
        query: [Float], k: Int, where include: @Sendable (Int) -> Bool,
        ranksFirst: @escaping @Sendable (Int, Int) -> Bool = { $0 < $1 }
    ) -> [(row: Int, score: Float)] {
        precondition(query.count == dimensions, "a query of \(query.count) components for \(dimensions) dimensions")
        guard k > 0, count > 0 else { return [] }
        let k = min(k, count)
        let rows = count
        let processors = ProcessInfo.processInfo.activeProcessorCount
        let workers = rows < Self.parallelThreshold ? 1 : max(1, min(processors, rows / (Self.parallelThreshold / 2)))
        let query = VectorMath.normalized(query)
        let hits = storage.withUnsafeBufferPointer { matrix in
            query.withUnsafeBufferPointer { query in
                let scan = Scan(matrix: matrix, query: query, ranksFirst: ranksFirst)
                if workers == 1 { return scan.run(rows: 0..<rows, k: k, include: include) }
                let partials = UnsafeMutableBufferPointer<[Hit]>.allocate(capacity: workers)
                partials.initialize(repeating: [])
                defer { partials.deinitialize().deallocate() }
                let shared = SharedResults(partials: partials)
                DispatchQueue.concurrentPerform(iterations: workers) { worker in
                    let range = (rows * worker / workers)..<(rows * (worker + 1) / workers)
                    shared.partials[worker] = scan.run(rows: range, k: k, include: include)
                }
                return Array(partials.joined())
            }
        }
        return hits.sorted { Hit.ranksAbove($0, $1, ranksFirst) }.prefix(k).map { (row: $0.row, score: $0.score) }
    }
}

/// A scored row.
private struct Hit {
    var row: Int
    var score: Float

    /// Whether `a` ranks before `b`: a higher score, or an equal score and a row `ranksFirst` puts first.
    @inline(__always)
    static func ranksAbove(_ a: Hit, _ b: Hit, _ ranksFirst: (Int, Int) -> Bool) -> Bool {
        a.score > b.score || (a.score == b.score && a.row != b.row && ranksFirst(a.row, b.row))
    }
}

/// One search over a matrix's memory, shared read-only by the workers.
private struct Scan: @unchecked Sendable {
    let matrix: UnsafeBufferPointer<Float>
    let query: UnsafeBufferPointer<Float>
    let ranksFirst: (Int, Int) -> Bool

    /// The best `k` hits among `rows` that pass `include`, in no particular order.
    ///
    /// Rows are taken in blocks of 64: `include` is asked about each row of a block, a block with no row included
    /// is skipped, and otherwise every row from the first to the last included one is scored. Exact search is
    /// limited by memory bandwidth, and reading rows in order keeps the hardware prefetcher streaming, which
    /// costs less than skipping scattered rows (measured: skipping every third row made a scan twice as slow).
    func run(rows: Range<Int>, k: Int, include: (Int) -> Bool) -> [Hit] {
        var heap = TopKHeap(k: k, ranksFirst: ranksFirst)
        var blockStart = rows.lowerBound
        while blockStart < rows.upperBound {
            let blockEnd = min(blockStart + 64, rows.upperBound)
            var included: UInt64 = 0
            for row in blockStart..<blockEnd where include(row) { included |= 1 << UInt64(row - blockStart) }
            if included != 0 {
                let first = blockStart + included.trailingZeroBitCount
                let last = blockStart + 63 - included.leadingZeroBitCount
                for row in first...last {
                    let score = score(row: row)
                    if included >> UInt64(row - blockStart) & 1 != 0 && heap.accepts(score) {
                        heap.offer(Hit(row: row, score: score))
                    }
                }
            }
            blockStart = blockEnd
        }
        return heap.hits
    }

    /// The dot product of row `row` with the query.
    @inline(__always)
    private func score(row: Int) -> Float {
        let dimensions = query.count
        let vector = UnsafeBufferPointer(rebasing: matrix[(row * dimensions)..<((row + 1) * dimensions)])
        return VectorMath.dot(vector, query)
    }
}

/// Where the workers of one search leave their hits; safe because each writes only its own slot.
private struct SharedResults: @unchecked Sendable {
    let partials: UnsafeMutableBufferPointer<[Hit]>
}

/// The best `k` hits offered so far: a binary min-heap whose root is the worst hit kept.
private struct TopKHeap {
    let k: Int
    /// Which of two tied rows ranks first.
    let ranksFirst: (Int, Int) -> Bool
    private(set) var hits: [Hit] = []

    init(k: Int, ranksFirst: @escaping (Int, Int) -> Bool) {
        self.k = k
        self.ranksFirst = ranksFirst
        hits.reserveCapacity(k)
    }

    /// Whether a hit with `score` could be kept: a cheap test before building the hit.
    @inline(__always)
    func accepts(_ score: Float) -> Bool {
        hits.count < k || score >= hits[0].score
    }

    /// Keeps `hit` if it ranks above the worst hit kept, or if fewer than `k` are kept.
    mutating func offer(_ hit: Hit) {
        if hits.count < k {
            hits.append(hit)
            siftUp(hits.count - 1)
        } else if Hit.ranksAbove(hit, hits[0], ranksFirst) {
            hits[0] = hit
            siftDown(0)
        }
    }

    private mutating func siftUp(_ start: Int) {
        var child = start
        while child > 0 {
            let parent = (child - 1) / 2
            guard Hit.ranksAbove(hits[parent], hits[child], ranksFirst) else { return }
            hits.swapAt(parent, child)
            child = parent
        }
    }

    private mutating func siftDown(_ start: Int) {
        var parent = start
        while true {
            var worst = parent
            let left = 2 * parent + 1
            let right = left + 1
            if left < hits.count && Hit.ranksAbove(hits[worst], hits[left], ranksFirst) { worst = left }
            if right < hits.count && Hit.ranksAbove(hits[worst], hits[right], ranksFirst) { worst = right }
            if worst == parent { return }
            hits.swapAt(parent, worst)
            parent = worst
        }
    }
}
