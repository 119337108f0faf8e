import Dispatch

/// Cuts `0..<count` into `slices` contiguous slices, has `produce` fill each slice's results on every core, then
/// hands the results to `consume` in index order.
///
/// `produce(slice, range, output)` must store one result per index of `range` with `output.store(_:at:)`. Slice `s`
/// covers `count * s / slices ..< count * (s + 1) / slices`, and each slice runs once, so `produce` may use state
/// that belongs to its slice (one zstd context per slice, say). Each result is written once into its own slot and
/// moved out once to `consume`: none is copied. With one slice, everything runs on the calling thread.
func inParallelSlices<T>(
    count: Int, slices: Int, _ produce: (_ slice: Int, _ range: Range<Int>, _ output: SliceOutput<T>) -> Void,
    inOrder consume: (consuming T) -> Void
) {
    precondition(slices >= 1, "inParallelSlices needs at least one slice")
    let ranges = (0..<slices).map { slice in (count * slice / slices)..<(count * (slice + 1) / slices) }
    inParallelRanges(ranges, produce, inOrder: consume)
}

/// ``inParallelSlices(count:slices:_:inOrder:)`` with slices the caller cuts: `ranges` must be contiguous, in
/// order, and cover `0..<n` for the `n` results handed to `consume` (a caller that cuts where its work allows, at a
/// checkpoint say). With one range, everything runs on the calling thread.
func inParallelRanges<T>(
    _ ranges: [Range<Int>], _ produce: (_ slice: Int, _ range: Range<Int>, _ output: SliceOutput<T>) -> Void,
    inOrder consume: (consuming T) -> Void
) {
    precondition(!ranges.isEmpty, "inParallelRanges needs at least one range")
    precondition(
        ranges.first!.lowerBound == 0 && zip(ranges, ranges.dropFirst()).allSatisfy { $0.upperBound == $1.lowerBound },
        "inParallelRanges needs contiguous ranges from 0")
    let count = ranges.last!.upperBound
    let results = UnsafeMutableBufferPointer<T>.allocate(capacity: count)
    defer { results.deallocate() }
    withoutActuallyEscaping(produce) { produce in
        let work = SliceWork(produce: produce, output: SliceOutput(results: results))
        if ranges.count == 1 {
            work.produce(0, ranges[0], work.output)
        } else {
            DispatchQueue.concurrentPerform(iterations: ranges.count) { slice in
                work.produce(slice, ranges[slice], work.output)
            }
        }
    }
    for index in 0..<count { consume((results.baseAddress! + index).move()) }
}

/// Where one slice of ``inParallelSlices(count:slices:_:inOrder:)`` stores its results.
struct SliceOutput<T>: @unchecked Sendable {
    fileprivate let results: UnsafeMutableBufferPointer<T>

    /// Stores the result for `index`, which must be in the slice's range and stored only once.
    @inline(__always)
    func store(_ value: consuming T, at index: Int) {
        (results.baseAddress! + index).initialize(to: value)
    }
}

/// What the slices of one ``inParallelSlices(count:slices:_:inOrder:)`` share: each slice writes only its own slots.
private struct SliceWork<T>: @unchecked Sendable {
    let produce: (_ slice: Int, _ range: Range<Int>, _ output: SliceOutput<T>) -> Void
    let output: SliceOutput<T>
}

/// ``inParallelSlices(count:slices:_:inOrder:)`` for work that can fail, and may drop a result by storing `nil`: the
/// successes in index order (without the `nil`s), up to the first failure, and that failure.
func collectInParallelSlices<Success, Failure: Error>(
    count: Int, slices: Int,
    _ produce: (_ slice: Int, _ range: Range<Int>, _ output: SliceOutput<Result<Success?, Failure>>) -> Void
) -> (values: [Success], failure: Failure?) {
    var values: [Success] = []
    values.reserveCapacity(count)
    var failure: Failure?
    // A flag, not `failure == nil`: comparing an optional error copies it, once per result.
    var failed = false
    inParallelSlices(count: count, slices: slices, produce) { result in
        guard !failed else { return }
        switch consume result {
        case .success(let value?): values.append(value)
        case .success(nil): break
        case .failure(let error): (failure, failed) = (error, true)
        }
    }
    return (values, failure)
}
