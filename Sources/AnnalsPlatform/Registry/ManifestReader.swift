import Annals
import AnnalsResolver
import Crypto
import Foundation

/// Reads Annals' own registry manifest (docs/PLUGINS.md):
///
/// ```json
/// {"format": "annals.plugins/1",
///  "plugins": [{"name": "price-feed", "description": "…", "category": "finance", "topics": ["prices"],
///               "versions": [{"version": "1.2.0", "dependencies": {"http-client": "^2.0.0"},
///                             "permissions": ["events.read", "secrets.read:API_KEY"],
///                             "actions": [{"name": "quote", "description": "…", "parameters": {…}}],
///                             "artifact": {"path": "price-feed-1.2.0.wasm", "sha256": "…"}}]}]}
/// ```
enum ManifestReader {
    /// The value of the manifest's `format` member.
    static let format = "annals.plugins/1"

    /// Reads a manifest; artifact paths are resolved against `baseDirectory` (the manifest's directory) and, when
    /// the file is there, checked against their SHA-256.
    static func read(_ bytes: [UInt8], baseDirectory: String?) throws(TolerantJSONMembers.Failure) -> RegistryListing {
        let top = try TolerantJSONMembers(bytes)
        guard let plugins = top.members.first(where: { $0.key == "plugins" }) else {
            throw TolerantJSONMembers.Failure(reason: "no \"plugins\" array at the top level", line: 1, column: 1)
        }
        let entries = try TolerantJSONMembers(bytes, range: plugins.range)
        var listing = RegistryListing(
            format: .manifest, plugins: [], problems: [], warnings: top.warnings + entries.warnings)
        // Array members have no key: name them by their `name` field when it can be read.
        var named = entries
        // The name is read from its own member, so that an entry malformed elsewhere (a trailing comma, a duplicate
        // key, bad UTF-8 in its description) is still reported, and kept, under its name.
        named.nameMembers { range in
            guard let members = try? TolerantJSONMembers(bytes, range: range),
                let name = members.members.first(where: { $0.key == "name" })
            else { return nil }
            return (try? JSONParser.parse(Array(bytes[name.range])))?.stringValue
        }
        try ElizaRegistryReader.collect(named, bytes: bytes, into: &listing) { (name, value) throws(EntryFault) in
            try entry(name, value, baseDirectory: baseDirectory)
        }
        return listing
    }

    private static func entry(_ name: String, _ value: JSONValue, baseDirectory: String?) throws(EntryFault) -> Plugin {
        let fields = try EntryFields(value)
        let description = try fields.optionalString("description") ?? ""
        let category = try fields.optionalString("category")
        if let category, PluginName.problem(category) != nil || category.contains("/") {
            throw EntryFault("category: '\(category)' must be a simple word (letters, digits, '-', '_', '.')")
        }
        let topics = try fields.strings("topics")
        let versions = try fields.array("versions")
        guard !versions.isEmpty else { throw EntryFault("versions: at least one version is needed") }
        var releases: [PluginRelease] = []
        var seen: Set<SemanticVersion> = []
        for (index, value) in versions.enumerated() {
            let release = try self.release(try EntryFields(value, path: "versions[\(index)]"), baseDirectory)
            guard seen.insert(release.version).inserted else {
                throw EntryFault("versions[\(index)].version: \(release.version) is listed twice")
            }
            releases.append(release)
        }
        let inferred =
            category == nil ? CategoryInference.category(name: name, description: description, topics: topics) : nil
        var plugin = Plugin(
            name: name, description: description, category: category ?? inferred, categoryInferred: inferred != nil,
            topics: topics, repository: try fields.optionalString("repository"),
            homepage: try fields.optionalString("homepage"), releases: releases)
        plugin.distTags["latest"] = plugin.latest?.version
        return plugin
    }

    private static func release(_ fields: EntryFields, _ baseDirectory: String?) throws(EntryFault) -> PluginRelease {
        let versionText = try fields.requiredString("version")
        let version: SemanticVersion
        do {
            version = try SemanticVersion(parsing: versionText)
        } catch {
            throw EntryFault("\(fields.field("version")): \(error)")
        }
        var dependencies: [String: VersionRange] = [:]
        if let object = try fields.optionalObject("dependencies") {
            for (dependency, value) in object.members.sorted(by: { $0.key < $1.key }) {
                let field = object.field(dependency)
                if let problem = PluginName.problem(dependency) { throw EntryFault("\(field): \(problem)") }
                guard let text = value.stringValue else {
                    throw .wrongType(field, expected: "a version range string", found: value)
                }
                do {
                    dependencies[dependency] = try VersionRange(parsing: text)
                } catch {
                    throw EntryFault("\(field): \(error)")
                }
            }
        }
        let permissions = try fields.strings("permissions")
        for (index, permission) in permissions.enumerated() {
            if let problem = PluginPermission.problem(permission) {
                throw EntryFault("\(fields.field("permissions"))[\(index)]: \(problem)")
            }
        }
        var actions: [PluginAction] = []
        for (index, value) in try fields.array("actions").enumerated() {
            let action = try EntryFields(value, path: fields.field("actions[\(index)]"))
            let parameters = action.members["parameters"] ?? .object([:])
            guard parameters.objectValue != nil else {
                throw .wrongType(action.field("parameters"), expected: "a JSON Schema object", found: parameters)
            }
            actions.append(
                PluginAction(
                    name: try action.requiredString("name"),
                    description: try action.optionalString("description") ?? "",
                    parameters: parameters))
        }
        let artifact = try fields.optionalObject("artifact").map { object throws(EntryFault) in
            try self.artifact(object, baseDirectory)
        }
        let subscribes = try fields.strings("subscribes")
        for (index, pattern) in subscribes.enumerated() where !EventFilter.isValidPattern(pattern) {
            throw EntryFault(
                "\(fields.field("subscribes"))[\(index)]: '\(pattern)' must be 1–128 characters of A-Z a-z 0-9 _ . : - * ?"
            )
        }
        if !subscribes.isEmpty, !actions.contains(where: { $0.name == "on_event" }) {
            throw EntryFault(
                "\(fields.field("subscribes")): a plugin that subscribes to events needs an 'on_event' action")
        }
        return PluginRelease(
            version: version, dependencies: dependencies, permissions: permissions, actions: actions,
            artifact: artifact, subscribes: subscribes)
    }

    private static func artifact(_ fields: EntryFields, _ baseDirectory: String?) throws(EntryFault) -> PluginArtifact {
        var path = try fields.requiredString("path")
        let sha256 = try fields.requiredString("sha256").lowercased()
        guard sha256.count == 64, sha256.allSatisfy(\.isHexDigit) else {
            throw EntryFault("\(fields.field("sha256")): expected 64 hex digits")
        }
        let isURL = path.hasPrefix("http://") || path.hasPrefix("https://")
        // A manifest read from a URL (no base directory) may not name a file of this machine: whoever serves it could
        // otherwise learn whether any file exists, and its SHA-256, from the refusal of a run.
        if !isURL, baseDirectory == nil, path.hasPrefix("/") {
            throw EntryFault(
                "\(fields.field("path")): a registry read from a URL may not name a local file (\(path)): give the "
                    + "module by URL, or by a path relative to the registry's URL")
        }
        if !isURL, !path.hasPrefix("/"), let baseDirectory { path = baseDirectory + "/" + path }
        if !isURL, baseDirectory != nil {
            let digest: String
            // No larger than a download may bring: a module bigger than that could not be run anyway.
            switch FileDigest.sha256(atPath: path, atMost: RegistrySource.maximumDownloadBytes) {
            case .success(let value): digest = value
            case .failure(let error) where error.code == ENOENT:
                throw EntryFault("\(fields.field("path")): no file at \(path)")
            case .failure(let error) where error.isNotRegularFile:
                throw EntryFault("\(fields.field("path")): \(path) is not a regular file")
            case .failure(let error): throw EntryFault("\(fields.field("path")): cannot read \(path): \(error)")
            }
            guard digest == sha256 else {
                throw EntryFault("\(fields.field("sha256")): the file at \(path) has SHA-256 \(digest)")
            }
        }
        return PluginArtifact(path: path, sha256: sha256)
    }
}
