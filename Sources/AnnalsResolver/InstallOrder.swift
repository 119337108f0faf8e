/// Orders chosen package versions so each comes after everything it depends on, or finds a dependency cycle.
enum InstallOrder {
    /// Kahn's algorithm, taking the smallest name among the ready packages each time, so the order is
    /// deterministic.
    /// - Parameters:
    ///   - chosen: The chosen version of every package.
    ///   - dependencies: The names each chosen package depends on.
    /// - Returns: The packages, dependencies first, or the path of a cycle (first and last element equal).
    static func order(
        _ chosen: [String: SemanticVersion], dependencies: [String: [String]]
    ) -> Result<[PackageVersion], CycleFound> {
        var remaining: [String: Int] = [:]
        var dependents: [String: [String]] = [:]
        for name in chosen.keys {
            let needs = Set(dependencies[name] ?? []).filter { chosen[$0] != nil }
            remaining[name] = needs.count
            for dependency in needs { dependents[dependency, default: []].append(name) }
        }
        var ready = MinimumHeap(remaining.filter { $0.value == 0 }.map(\.key))
        var order: [PackageVersion] = []
        while let name = ready.popMinimum() {
            order.append(PackageVersion(name, chosen[name]!))
            for dependent in dependents[name] ?? [] {
                remaining[dependent]! -= 1
                if remaining[dependent] == 0 { ready.insert(dependent) }
            }
        }
        guard order.count < chosen.count else { return .success(order) }
        let stuck = remaining.filter { $0.value > 0 }.map(\.key).sorted()
        return .failure(CycleFound(path: cycle(from: stuck[0], among: Set(stuck), chosen, dependencies: dependencies)))
    }

    /// A cycle that made ordering impossible.
    struct CycleFound: Error {
        /// The cycle, starting and ending with the same package version.
        let path: [PackageVersion]
    }

    /// Walks from `start` through packages that could not be ordered (each has an unordered dependency) until one
    /// repeats; returns the loop.
    private static func cycle(
        from start: String, among stuck: Set<String>, _ chosen: [String: SemanticVersion],
        dependencies: [String: [String]]
    ) -> [PackageVersion] {
        var path: [String] = []
        var seen: [String: Int] = [:]
        var current = start
        while seen[current] == nil {
            seen[current] = path.count
            path.append(current)
            current = (dependencies[current] ?? []).filter { stuck.contains($0) }.min()!
        }
        let loop = path[seen[current]!...] + [current]
        return loop.map { PackageVersion($0, chosen[$0]!) }
    }
}

/// A binary heap of strings that pops the smallest first.
struct MinimumHeap {
    /// The heap array.
    private var items: [String] = []

    /// A heap holding `items`.
    init(_ items: [String]) { for item in items { insert(item) } }

    /// Adds `item`.
    mutating func insert(_ item: String) {
        items.append(item)
        var child = items.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard items[child] < items[parent] else { break }
            items.swapAt(child, parent)
            child = parent
        }
    }

    /// Removes and returns the smallest item, or `nil` when empty.
    mutating func popMinimum() -> String? {
        guard !items.isEmpty else { return nil }
        items.swapAt(0, items.count - 1)
        let minimum = items.removeLast()
        var parent = 0
        while true {
            let left = 2 * parent + 1
            let right = left + 1
            var smallest = parent
            if left < items.count && items[left] < items[smallest] { smallest = left }
            if right < items.count && items[right] < items[smallest] { smallest = right }
            if smallest == parent { break }
            items.swapAt(parent, smallest)
            parent = smallest
        }
        return minimum
    }
}
