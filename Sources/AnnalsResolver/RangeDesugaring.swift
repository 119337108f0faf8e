/// npm's rewriting of range sugar (X-ranges, tilde, caret, hyphen ranges) into primitive comparators, as
/// node-semver does it. With `includePrerelease`, lower bounds of partial versions get a `-0` prerelease so they
/// admit prereleases too, as node-semver's `includePrerelease` option does.
enum RangeDesugaring {
    /// The comparators for one `OPERATOR PARTIAL` token; an empty list matches every version.
    static func comparators(
        operator sign: String, _ partial: PartialVersion, includePrerelease: Bool
    ) -> [VersionComparator] {
        switch sign {
        case "~", "~>": tilde(partial)
        case "^": caret(partial, includePrerelease: includePrerelease)
        case "", "=": exact(partial, includePrerelease: includePrerelease)
        default: inequality(sign, partial, includePrerelease: includePrerelease)
        }
    }

    /// `FROM - TO`: at least `FROM` (its missing numbers zero), at most `TO` (below the next release a partial
    /// `TO` allows). With `includePrerelease`, a `FROM` without a prerelease of its own starts at its `-0`
    /// prerelease, partial or full, as node-semver's `hyphenReplace` does.
    static func hyphen(
        from lower: PartialVersion, to upper: PartialVersion, includePrerelease: Bool
    ) -> [VersionComparator] {
        var result: [VersionComparator] = []
        if let major = lower.major {
            let version = SemanticVersion(
                major, lower.minor ?? 0, lower.patch ?? 0,
                prerelease: lower.patch == nil || lower.prerelease.isEmpty
                    ? lowest(includePrerelease) : lower.prerelease)
            result.append(atLeast(version))
        }
        if let major = upper.major {
            if let minor = upper.minor {
                if let patch = upper.patch, includePrerelease && upper.prerelease.isEmpty {
                    result.append(below(SemanticVersion(major, minor, patch + 1)))
                } else if let patch = upper.patch {
                    result.append(
                        VersionComparator(
                            operation: .lessOrEqual,
                            version: SemanticVersion(major, minor, patch, prerelease: upper.prerelease)))
                } else {
                    result.append(below(SemanticVersion(major, minor + 1, 0)))
                }
            } else {
                result.append(below(SemanticVersion(major + 1, 0, 0)))
            }
        }
        return result
    }

    /// `~1.2.3` := `>=1.2.3 <1.3.0-0`; `~1.2` := `>=1.2.0 <1.3.0-0`; `~1` := `>=1.0.0 <2.0.0-0`.
    private static func tilde(_ partial: PartialVersion) -> [VersionComparator] {
        guard let major = partial.major else { return [] }
        guard let minor = partial.minor else {
            return [atLeast(SemanticVersion(major, 0, 0)), below(SemanticVersion(major + 1, 0, 0))]
        }
        let patch = partial.patch ?? 0
        return [
            atLeast(SemanticVersion(major, minor, patch, prerelease: partial.prerelease)),
            below(SemanticVersion(major, minor + 1, 0)),
        ]
    }

    /// `^1.2.3` := `>=1.2.3 <2.0.0-0`; `^0.2.3` := `>=0.2.3 <0.3.0-0`; `^0.0.3` := `>=0.0.3 <0.0.4-0`;
    /// `^0.0` := `>=0.0.0 <0.1.0-0`; `^0` := `>=0.0.0 <1.0.0-0`.
    private static func caret(_ partial: PartialVersion, includePrerelease: Bool) -> [VersionComparator] {
        guard let major = partial.major else { return [] }
        let floor = lowest(includePrerelease)
        guard let minor = partial.minor else {
            return [atLeast(SemanticVersion(major, 0, 0, prerelease: floor)), below(SemanticVersion(major + 1, 0, 0))]
        }
        guard let patch = partial.patch else {
            let upper = major == 0 ? SemanticVersion(0, minor + 1, 0) : SemanticVersion(major + 1, 0, 0)
            return [atLeast(SemanticVersion(major, minor, 0, prerelease: floor)), below(upper)]
        }
        let lower = SemanticVersion(
            major, minor, patch, prerelease: partial.prerelease.isEmpty && major == 0 ? floor : partial.prerelease)
        let upper =
            major != 0
            ? SemanticVersion(major + 1, 0, 0)
            : minor != 0 ? SemanticVersion(0, minor + 1, 0) : SemanticVersion(0, 0, patch + 1)
        return [atLeast(lower), below(upper)]
    }

    /// A bare or `=` partial: `1.2.3` exactly, `1.2` := `>=1.2.0 <1.3.0-0`, `1` := `>=1.0.0 <2.0.0-0`, `*` any.
    private static func exact(_ partial: PartialVersion, includePrerelease: Bool) -> [VersionComparator] {
        guard let major = partial.major else { return [] }
        let floor = lowest(includePrerelease)
        guard let minor = partial.minor else {
            return [atLeast(SemanticVersion(major, 0, 0, prerelease: floor)), below(SemanticVersion(major + 1, 0, 0))]
        }
        guard let patch = partial.patch else {
            return [
                atLeast(SemanticVersion(major, minor, 0, prerelease: floor)),
                below(SemanticVersion(major, minor + 1, 0)),
            ]
        }
        return [
            VersionComparator(
                operation: .equal, version: SemanticVersion(major, minor, patch, prerelease: partial.prerelease))
        ]
    }

    /// `<`, `<=`, `>`, `>=` with a partial: `>1.2` := `>=1.3.0`, `<=1.2` := `<1.3.0-0`, `<1.2` := `<1.2.0-0`,
    /// `>=1.2` := `>=1.2.0`; with `*`, `<` and `>` match nothing and the others everything.
    private static func inequality(
        _ sign: String, _ partial: PartialVersion, includePrerelease: Bool
    ) -> [VersionComparator] {
        guard let major = partial.major else { return sign == "<" || sign == ">" ? [.nothing] : [] }
        if let version = partial.full {
            let operation = VersionComparator.Operator(rawValue: sign) ?? .equal
            return [VersionComparator(operation: operation, version: version)]
        }
        let floor = lowest(includePrerelease)
        switch (sign, partial.minor) {
        case (">", nil): return [atLeast(SemanticVersion(major + 1, 0, 0, prerelease: floor))]
        case (">", let minor?): return [atLeast(SemanticVersion(major, minor + 1, 0, prerelease: floor))]
        case ("<=", nil): return [below(SemanticVersion(major + 1, 0, 0))]
        case ("<=", let minor?): return [below(SemanticVersion(major, minor + 1, 0))]
        case ("<", let minor): return [below(SemanticVersion(major, minor ?? 0, 0))]
        default: return [atLeast(SemanticVersion(major, partial.minor ?? 0, 0, prerelease: floor))]
        }
    }

    /// `>=version`.
    private static func atLeast(_ version: SemanticVersion) -> VersionComparator {
        VersionComparator(operation: .greaterOrEqual, version: version)
    }

    /// `<version-0`: below every prerelease of `version`.
    private static func below(_ version: SemanticVersion) -> VersionComparator {
        VersionComparator(
            operation: .less,
            version: SemanticVersion(version.major, version.minor, version.patch, prerelease: [.numeric(0)]))
    }

    /// The prerelease tag of a lower bound made from a partial version: `-0` with `includePrerelease`, else none.
    private static func lowest(_ includePrerelease: Bool) -> [PrereleaseIdentifier] {
        includePrerelease ? [.numeric(0)] : []
    }
}
