import Annals
import AnnalsResolver

/// Reads the ElizaOS registry files: `generated-registry.json` (details and npm versions) and `index.json`
/// (name → repository). Each entry is parsed and validated on its own; a bad one becomes an ``EntryProblem``.
enum ElizaRegistryReader {
    /// The npm version fields of a generated-registry entry, with the dist-tag each becomes.
    private static let versionFields = [("v0", "v0CoreRange"), ("v1", "v1CoreRange"), ("alpha", "alphaCoreRange")]

    /// Reads `generated-registry.json`: `{"lastUpdatedAt": …, "registry": {NAME: {…}}}`.
    static func readGenerated(_ bytes: [UInt8]) throws(TolerantJSONMembers.Failure) -> RegistryListing {
        let top = try TolerantJSONMembers(bytes)
        guard let registry = top.members.first(where: { $0.key == "registry" }) else {
            throw TolerantJSONMembers.Failure(reason: "no \"registry\" object at the top level", line: 1, column: 1)
        }
        let entries = try TolerantJSONMembers(bytes, range: registry.range)
        var listing = RegistryListing(
            format: .elizaRegistry, plugins: [], problems: [], warnings: top.warnings + entries.warnings)
        try collect(entries, bytes: bytes, into: &listing) { (name, value) throws(EntryFault) in
            try generatedEntry(name, value)
        }
        return listing
    }

    /// Reads `index.json`: `{NAME: "github:owner/repo", …}`.
    static func readIndex(_ bytes: [UInt8]) throws(TolerantJSONMembers.Failure) -> RegistryListing {
        let entries = try TolerantJSONMembers(bytes, allowingDuplicateKeys: true)
        var listing = RegistryListing(format: .elizaIndex, plugins: [], problems: [], warnings: entries.warnings)
        try collect(entries, bytes: bytes, into: &listing) { (name, value) throws(EntryFault) in
            guard case .string(let repository) = value, !repository.isEmpty else {
                throw EntryFault.wrongType("the repository", expected: "a non-empty string", found: value)
            }
            guard RepositoryReference.isValid(repository) else {
                throw EntryFault(
                    "the repository '\(repository)' is not a repository reference (\(RepositoryReference.forms))")
            }
            return Plugin(name: name, repository: repository)
        }
        return listing
    }

    /// Merges a directory's two files: the generated registry's entries, each given the index's repository when
    /// it has none, plus the index's entries that the generated registry lacks.
    static func merge(generated: RegistryListing, index: RegistryListing) -> RegistryListing {
        var merged = generated
        merged.format = .elizaDirectory
        var byName = Dictionary(uniqueKeysWithValues: merged.plugins.enumerated().map { ($1.name, $0) })
        // An entry the generated registry lists but had to skip is not taken from the index instead: that would
        // replace the plugin's versions with none.
        let skipped = Set(generated.problems.map(\.entry))
        for plugin in index.plugins where !skipped.contains(plugin.name) {
            if let position = byName[plugin.name] {
                if merged.plugins[position].repository == nil {
                    merged.plugins[position].repository = plugin.repository
                }
            } else {
                byName[plugin.name] = merged.plugins.count
                merged.plugins.append(plugin)
            }
        }
        merged.problems += index.problems.filter { !skipped.contains($0.entry) }
        merged.warnings += index.warnings
        return merged
    }

    /// Parses each member with `parse`, adding the plugin or the problem.
    /// - Throws: ``TolerantJSONMembers/Failure`` when two entries have the same name: which one the registry means
    ///   cannot be told (JSON readers keep the last of two keys, this one read the first), so the source is refused
    ///   rather than one of them skipped, like a top-level key given twice.
    static func collect(
        _ entries: TolerantJSONMembers, bytes: [UInt8], into listing: inout RegistryListing,
        parse: (String, JSONValue) throws(EntryFault) -> Plugin
    ) throws(TolerantJSONMembers.Failure) {
        try entries.checkUniqueKeys { key, first in
            "the entry '\(key)' is listed again (which one the registry means cannot be told; the first is at line "
                + "\(first.line), column \(first.column))"
        }
        for (reason, line, column) in entries.damaged {
            listing.problems.append(
                EntryProblem(entry: "?", location: "line \(line), column \(column)", reason: reason))
        }
        for (position, member) in entries.members.enumerated() {
            let name = member.key ?? "#\(position + 1)"
            let location = "line \(member.line), column \(member.column)"
            do throws(EntryFault) {
                guard member.key != nil else { throw EntryFault("name: missing, or not a string") }
                if let problem = PluginName.problem(name) { throw EntryFault("invalid plugin name: \(problem)") }
                let value: JSONValue
                do {
                    value = try JSONParser.parse(Array(bytes[member.range]))
                } catch {
                    let at = member.range.lowerBound + error.byteOffset
                    throw EntryFault("malformed JSON: \(error.reason) at \(entries.position(at))")
                }
                listing.plugins.append(try parse(name, value))
            } catch {
                listing.problems.append(EntryProblem(entry: name, location: location, reason: error.reason))
            }
        }
    }

    /// One generated-registry entry.
    private static func generatedEntry(_ name: String, _ value: JSONValue) throws(EntryFault) -> Plugin {
        let fields = try EntryFields(value)
        let description = try fields.optionalString("description") ?? ""
        let topics = try fields.strings("topics")
        let homepage = try fields.optionalString("homepage")
        let repository = try fields.optionalObject("git")?.optionalString("repo").map { "github:\($0)" }
        var releases: [PluginRelease] = []
        var tags: [String: SemanticVersion] = [:]
        if let npm = try fields.optionalObject("npm") {
            for (tag, coreField) in versionFields {
                guard let text = try npm.optionalString(tag) else { continue }
                let version: SemanticVersion
                do {
                    version = try SemanticVersion(parsing: text)
                } catch {
                    throw EntryFault("\(npm.field(tag)): \(error)")
                }
                tags[tag] = version
                if !releases.contains(where: { $0.version == version }) {
                    releases.append(PluginRelease(version: version, coreRange: try npm.optionalString(coreField)))
                }
            }
        }
        let category = CategoryInference.category(name: name, description: description, topics: topics)
        var plugin = Plugin(
            name: name, description: description, category: category, categoryInferred: category != nil,
            topics: topics, repository: repository, homepage: homepage, releases: releases, distTags: tags)
        plugin.distTags["latest"] = plugin.latest?.version
        return plugin
    }
}
