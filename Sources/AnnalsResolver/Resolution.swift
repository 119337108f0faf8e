/// A package at one version, printed `name@version`.
public struct PackageVersion: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The package name.
    public let name: String
    /// The version.
    public let version: SemanticVersion

    /// Creates a package version.
    /// - Parameters:
    ///   - name: The package name.
    ///   - version: The version.
    public init(_ name: String, _ version: SemanticVersion) {
        self.name = name
        self.version = version
    }

    /// `name@version`, such as `a@1.0.0`.
    public var description: String { "\(name)@\(version)" }

    /// Orders by name, then by version.
    /// - Parameters:
    ///   - lhs: One package version.
    ///   - rhs: The package version compared with.
    /// - Returns: `true` when `lhs` sorts first.
    public static func < (lhs: PackageVersion, rhs: PackageVersion) -> Bool {
        lhs.name != rhs.name ? lhs.name < rhs.name : lhs.version < rhs.version
    }
}

/// Why a package is in a resolution: who asked for it, with which range.
public struct Requirement: Sendable, Hashable, CustomStringConvertible {
    /// Who asks for a package.
    public enum Requirer: Sendable, Hashable, CustomStringConvertible {
        /// The install request itself.
        case install
        /// A chosen package version that depends on it.
        case package(PackageVersion)

        /// `the install` or `name@version`.
        public var description: String {
            switch self {
            case .install: "the install"
            case .package(let dependent): dependent.description
            }
        }
    }

    /// Who asks.
    public let requirer: Requirer
    /// The range they accept.
    public let range: VersionRange

    /// Creates a requirement.
    /// - Parameters:
    ///   - requirer: Who asks.
    ///   - range: The range they accept.
    public init(requirer: Requirer, range: VersionRange) {
        self.requirer = requirer
        self.range = range
    }

    /// `requested by the install (^1.0.0)` or `required by a@1.0.0 (^1.0.0)`.
    public var description: String {
        switch requirer {
        case .install: "requested by the install (\(range))"
        case .package(let dependent): "required by \(dependent) (\(range))"
        }
    }
}

/// The outcome of a successful resolution: the chosen version of every package, the order to install them in, and
/// why each one is there.
public struct Resolution: Sendable, Hashable {
    /// The chosen version of every package, by name.
    public let versions: [String: SemanticVersion]
    /// Every chosen package, dependencies before their dependents; packages that do not depend on each other are
    /// ordered by name.
    public let installOrder: [PackageVersion]
    /// For each chosen package, who requires it with which range: the install request and the chosen versions that
    /// depend on it, in install order (the install first).
    public let reasons: [String: [Requirement]]

    /// Creates a resolution.
    /// - Parameters:
    ///   - versions: The chosen version of every package.
    ///   - installOrder: The chosen packages, dependencies first.
    ///   - reasons: Who requires each chosen package.
    public init(
        versions: [String: SemanticVersion], installOrder: [PackageVersion], reasons: [String: [Requirement]]
    ) {
        self.versions = versions
        self.installOrder = installOrder
        self.reasons = reasons
    }

    /// A shortest chain of requirements from the install request to `package`, for "why is X installed".
    ///
    /// ```swift
    /// resolution.whyInstalled("c")   // [a@1.0.0, b@2.0.0, c@1.3.0]: the install asked for a, a needs b, b needs c
    /// ```
    /// - Parameter package: The package name.
    /// - Returns: The chain, starting with a package the install asked for and ending with `package`, or `nil` when
    ///   `package` is not in the resolution.
    public func whyInstalled(_ package: String) -> [PackageVersion]? {
        guard let version = versions[package] else { return nil }
        var previous: [String: String] = [:]
        var queue = [package]
        var visited: Set = [package]
        var head = 0
        while head < queue.count {
            let name = queue[head]
            head += 1
            let requirements = reasons[name] ?? []
            if requirements.contains(where: { $0.requirer == .install }) {
                var chain = [PackageVersion(name, versions[name]!)]
                var current = name
                while let next = previous[current] {
                    chain.append(PackageVersion(next, versions[next]!))
                    current = next
                }
                return chain
            }
            for case .package(let dependent) in requirements.map(\.requirer)
            where visited.insert(dependent.name).inserted {
                previous[dependent.name] = name
                queue.append(dependent.name)
            }
        }
        return [PackageVersion(package, version)]
    }
}
