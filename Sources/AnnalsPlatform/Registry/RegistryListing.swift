import Annals
import AnnalsResolver

/// What one registry source lists: the valid plugins, and a problem for every entry that was skipped.
public struct RegistryListing: Sendable {
    /// Which format the source was read as.
    public var format: RegistryFormat
    /// The valid entries, by name.
    public var plugins: [Plugin]
    /// The entries skipped, each with its name, where it is and what is wrong.
    public var problems: [EntryProblem]
    /// Problems that skipped nothing (such as a trailing comma), with where they are.
    public var warnings: [String]
    /// The versions left out of ``plugins`` because their module could not be downloaded or had another SHA-256
    /// (each also in ``problems``), by plugin name: a sync keeps such a version as an earlier sync recorded it.
    var unavailableReleases: [String: Set<SemanticVersion>] = [:]
}

/// The formats `annals plugin sync` reads.
public enum RegistryFormat: String, Sendable, Hashable {
    /// The ElizaOS `index.json`: a map from package name to repository (`github:owner/repo`).
    case elizaIndex = "elizaos-index"
    /// The ElizaOS `generated-registry.json`: descriptions, topics, npm versions and core ranges.
    case elizaRegistry = "elizaos-registry"
    /// A directory holding the ElizaOS `generated-registry.json` and `index.json`: both, merged.
    case elizaDirectory = "elizaos-directory"
    /// Annals' own manifest format (`"format": "annals.plugins/1"`, docs/PLUGINS.md).
    case manifest = "annals-manifest"
}

/// One registry entry that was skipped, and why.
public struct EntryProblem: Sendable, Hashable, CustomStringConvertible {
    /// The entry's name, or `#N` (its position) when it has none.
    public var entry: String
    /// Where it is in the source: `line L, column C`.
    public var location: String
    /// What is wrong, naming the field: `npm.v1: expected a string or null, found a number`.
    public var reason: String

    /// A problem.
    public init(entry: String, location: String, reason: String) {
        self.entry = entry
        self.location = location
        self.reason = reason
    }

    /// `ENTRY (line L, column C): REASON`.
    public var description: String { "\(entry) (\(location)): \(reason)" }
}

/// A reason an entry is skipped; thrown inside a reader and turned into an ``EntryProblem``.
struct EntryFault: Error {
    var reason: String
    init(_ reason: String) { self.reason = reason }

    /// `field: expected EXPECTED, found KIND` for a value of the wrong type.
    static func wrongType(_ field: String, expected: String, found value: JSONValue) -> EntryFault {
        EntryFault("\(field): expected \(expected), found \(value.kindName)")
    }
}

extension JSONValue {
    /// `null`, `a Boolean`, `a number`, `a string`, `an array` or `an object`, for messages.
    var kindName: String {
        switch self {
        case .null: "null"
        case .bool: "a Boolean"
        case .number: "a number"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }
}

extension RegistryListing {
    /// Prefixes every problem's location with `file` (`index.json, line 3, column 5`), for a source of several files.
    mutating func locateProblems(in file: String) {
        for index in problems.indices { problems[index].location = "\(file), \(problems[index].location)" }
    }
}
