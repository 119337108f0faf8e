/// Where the resolver learns which versions of a package exist and what each version depends on.
///
/// The resolver asks for a package's versions when the package first comes up, and for a version's dependencies
/// when it considers that version. It may ask again: to order the chosen versions, to rule out a dependency cycle
/// (the dependencies of every version of the packages on it), and, after a failure, to try each suggestion with a
/// solve of its own. So answers should be cheap and always the same; put a cache in front of a registry client.
/// Conform a registry client to it, or use ``PackageCatalog``.
public protocol PackageProvider {
    /// The versions of `package` that exist, in any order, or `nil` when no package has that name.
    /// - Parameter package: The package name.
    /// - Returns: The versions, or `nil` for an unknown package.
    func versions(of package: String) -> [SemanticVersion]?

    /// What `package` at `version` depends on: each dependency's name and the range of versions it accepts.
    /// - Parameters:
    ///   - package: The package name.
    ///   - version: One of the versions ``versions(of:)`` returned.
    /// - Returns: The dependencies by name, empty when there are none.
    func dependencies(of package: String, at version: SemanticVersion) -> [String: VersionRange]

    /// Why a package ``versions(of:)`` does not offer exists but cannot be chosen (it is hidden or withdrawn, say),
    /// for explanations to give instead of calling it unknown; `nil` for a package that is simply not known.
    /// - Parameter package: The package name, one ``versions(of:)`` returned `nil` for.
    /// - Returns: The reason, a clause such as `withdrawn from its registry`; `nil` by default.
    func unavailability(of package: String) -> String?
}

extension PackageProvider {
    /// No package is unavailable: every one ``versions(of:)`` does not offer is unknown.
    public func unavailability(of package: String) -> String? { nil }
}

/// A package provider that holds every package, version and dependency in memory.
///
/// ```swift
/// var catalog = PackageCatalog()
/// catalog.add("a", "1.0.0", dependencies: ["b": "^2.0.0"])
/// catalog.add("b", "2.1.0")
/// ```
public struct PackageCatalog: PackageProvider, Sendable, Hashable {
    /// The dependencies of every version of every package, by package name.
    public private(set) var packages: [String: [SemanticVersion: [String: VersionRange]]]

    /// Creates a catalog.
    /// - Parameter packages: The dependencies of every version of every package, by name; empty by default.
    public init(packages: [String: [SemanticVersion: [String: VersionRange]]] = [:]) {
        self.packages = packages
    }

    /// Adds (or replaces) one version of a package.
    /// - Parameters:
    ///   - package: The package name.
    ///   - version: The version.
    ///   - dependencies: What that version depends on; none by default.
    public mutating func add(_ package: String, _ version: SemanticVersion, dependencies: [String: VersionRange] = [:])
    {
        packages[package, default: [:]][version] = dependencies
    }

    /// Adds (or replaces) one version of a package, parsing the version and ranges; for tests and examples.
    /// - Parameters:
    ///   - package: The package name.
    ///   - version: The version text.
    ///   - dependencies: Range texts by dependency name; none by default.
    /// - Throws: ``SemanticVersionParseError`` or ``VersionRangeParseError`` for a text that does not parse.
    public mutating func add(_ package: String, _ version: String, dependencies: [String: String] = [:]) throws {
        var ranges: [String: VersionRange] = [:]
        for (name, text) in dependencies { ranges[name] = try VersionRange(parsing: text) }
        add(package, try SemanticVersion(parsing: version), dependencies: ranges)
    }

    /// The versions of `package`, or `nil` when the catalog has no such package.
    /// - Parameter package: The package name.
    /// - Returns: The versions, ascending.
    public func versions(of package: String) -> [SemanticVersion]? {
        packages[package].map { $0.keys.sorted() }
    }

    /// The dependencies of `package` at `version`, empty when the catalog has no such version.
    /// - Parameters:
    ///   - package: The package name.
    ///   - version: The version.
    /// - Returns: The dependencies by name.
    public func dependencies(of package: String, at version: SemanticVersion) -> [String: VersionRange] {
        packages[package]?[version] ?? [:]
    }
}
