/// Every package the solver has come across, by index: its name, its known versions (ascending), and the version
/// sets of the ranges asked of it, with the range texts kept for explanations.
struct PackageTable {
    /// One package.
    struct Entry {
        /// The name; empty for the root.
        let name: String
        /// The known versions, ascending, without duplicates.
        let versions: [SemanticVersion]
        /// Whether the provider knows the package (an unknown one has no versions).
        let isKnown: Bool
        /// Why a package the provider does not offer cannot be chosen although it exists (``PackageProvider/
        /// unavailability(of:)``); `nil` for one that is known, or simply unknown.
        var unavailability: String? = nil
        /// The version sets of ranges already computed, by range text.
        var rangeSets: [String: VersionBitSet] = [:]
        /// A range text for each version set computed, for explanations.
        var labels: [VersionBitSet: String] = [:]

        /// The number of states of a term: the versions and "not selected".
        var stateCount: Int { versions.count + 1 }
    }

    /// The root package's index.
    static let root = 0

    /// The packages, by index; index 0 is the root.
    private(set) var entries: [Entry]
    /// Package indices by name.
    private var indices: [String: Int] = [:]
    /// Where versions come from.
    let provider: any PackageProvider

    /// A table holding only the root, at version 0.0.0.
    init(provider: any PackageProvider) {
        self.provider = provider
        entries = [Entry(name: "", versions: [SemanticVersion(0, 0, 0)], isKnown: true)]
    }

    /// The index of `name`, asking the provider for its versions the first time.
    mutating func index(of name: String) -> Int {
        if let index = indices[name] { return index }
        let known = provider.versions(of: name)
        var versions = (known ?? []).sorted()
        versions = versions.enumerated().compactMap { offset, version in
            offset > 0 && versions[offset - 1] == version ? nil : version
        }
        entries.append(
            Entry(
                name: name, versions: versions, isKnown: known != nil,
                unavailability: known == nil ? provider.unavailability(of: name) : nil))
        indices[name] = entries.count - 1
        return entries.count - 1
    }

    /// The index of `name` if the table has it.
    func existingIndex(of name: String) -> Int? { indices[name] }

    /// The versions of `package` that `range` contains, as a positive term's states.
    mutating func states(of package: Int, in range: VersionRange) -> VersionBitSet {
        if let cached = entries[package].rangeSets[range.description] { return cached }
        let versions = entries[package].versions
        let states = VersionBitSet(capacity: versions.count + 1) { $0 < versions.count && range.contains(versions[$0]) }
        entries[package].rangeSets[range.description] = states
        if entries[package].labels[states] == nil { entries[package].labels[states] = range.description }
        return states
    }

    /// The positive states of exactly one version.
    func states(of package: Int, version: Int) -> VersionBitSet {
        var states = VersionBitSet(empty: entries[package].stateCount)
        states.insert(version)
        return states
    }

    /// `name@version` for a version index.
    func packageVersion(_ package: Int, _ version: Int) -> PackageVersion {
        PackageVersion(entries[package].name, entries[package].versions[version])
    }
}
