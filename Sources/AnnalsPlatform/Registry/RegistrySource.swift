import Annals
import AnnalsSandbox
import Foundation

/// Where `annals plugin sync SOURCE` reads a registry from, and how it recognises the format.
///
/// SOURCE is a file, a directory holding the ElizaOS `generated-registry.json` and `index.json`, or an
/// `http(s)` URL of a file. The format of a file is recognised from its content: a top-level `"registry"`
/// object is the ElizaOS generated registry, `"format": "annals.plugins/1"` (or a `"plugins"` array) a manifest,
/// and an object of strings the ElizaOS index.
public struct RegistrySource: Sendable, Hashable {
    /// The source: a URL as given, a path made absolute against the current directory. A registry synced from any
    /// directory thus records the same source, and the artifact paths of its manifest, relative to the manifest's
    /// directory, resolve to the same files wherever plugins run from later.
    public var location: String

    /// A source: an `http(s)` URL, or the path of a file or directory (relative to the current directory).
    public init(_ location: String) {
        self.location = Self.isURL(location) ? location : Self.absolute(location)
    }

    /// Whether the source is an `http(s)` URL.
    public var isURL: Bool { Self.isURL(location) }

    private static func isURL(_ location: String) -> Bool {
        location.hasPrefix("http://") || location.hasPrefix("https://")
    }

    /// `path` made absolute against the current directory, with `.` and `..` components resolved by name.
    private static func absolute(_ path: String) -> String {
        guard !path.isEmpty else { return path }
        return URL(fileURLWithPath: path).standardizedFileURL.path
    }

    /// The registry's default name: the file's or directory's base name without its extension, or the URL's
    /// last path component (what `--name` overrides), with spaces, dots and other punctuation replaced by `-`.
    /// Letters outside ASCII are kept, so that the name check refuses them (asking for `--name`) rather than two
    /// sources (`régistry.json`, `rêgistry.json`) silently becoming one registry.
    public var defaultName: String {
        var path = location
        if isURL, let url = URL(string: location) { path = url.path.isEmpty ? (url.host ?? "registry") : url.path }
        var base = PathComponents.last(of: path)
        if let dot = base.lastIndex(of: "."), dot != base.startIndex { base = String(base[..<dot]) }
        let cleaned = String(base.map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" ? $0 : "-" })
        return cleaned.isEmpty ? "registry" : String(cleaned.prefix(48))
    }

    /// Reads and parses the source.
    /// - Parameter timeouts: How long downloading a source given by URL may take.
    /// - Throws: ``PlatformError/unreadableSource(source:reason:)`` when it cannot be read or is not a registry
    ///   (its line and column are named); entry-level problems are in the listing instead.
    public func read(timeouts: DownloadTimeouts = .standard) throws(PlatformError) -> RegistryListing {
        if !isURL {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: location, isDirectory: &isDirectory) else {
                throw .notFound("cannot sync '\(location)': no such file or directory")
            }
            if isDirectory.boolValue { return try readDirectory() }
        }
        let bytes = try load(location, timeouts: timeouts)
        let base = isURL ? nil : PathComponents.parent(of: location)
        return try parse(bytes, name: location, baseDirectory: base.map { $0.isEmpty ? "." : $0 })
    }

    private func readDirectory() throws(PlatformError) -> RegistryListing {
        let generatedPath = location + "/generated-registry.json"
        let indexPath = location + "/index.json"
        let manager = FileManager.default
        switch (manager.fileExists(atPath: generatedPath), manager.fileExists(atPath: indexPath)) {
        case (true, true):
            // Two files: each problem says which one it is in.
            var generated = try parse(try load(generatedPath), name: generatedPath, baseDirectory: location)
            var index = try parse(try load(indexPath), name: indexPath, baseDirectory: location)
            generated.locateProblems(in: "generated-registry.json")
            index.locateProblems(in: "index.json")
            return ElizaRegistryReader.merge(generated: generated, index: index)
        case (true, false):
            return try parse(try load(generatedPath), name: generatedPath, baseDirectory: location)
        case (false, true):
            return try parse(try load(indexPath), name: indexPath, baseDirectory: location)
        case (false, false):
            for candidate in ["registry.json", "plugins.json", "manifest.json"]
            where manager.fileExists(atPath: location + "/" + candidate) {
                let path = location + "/" + candidate
                return try parse(try load(path), name: path, baseDirectory: location)
            }
            throw .unreadableSource(
                source: location,
                reason: "the directory holds no generated-registry.json, index.json or registry.json")
        }
    }

    private static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09
    }

    /// Refuses a top-level member `key` whose value does not start with `opening` (`{` or `[`).
    private static func require(
        _ key: String, in top: TolerantJSONMembers, _ bytes: [UInt8], toStartWith opening: Character,
        _ kind: String, source: String
    ) throws(PlatformError) {
        guard let member = top.members.first(where: { $0.key == key }) else { return }
        let first = bytes[member.range].first { !isWhitespace($0) }
        guard first != opening.asciiValue else { return }
        throw .unreadableSource(
            source: source, reason: "'\(key)' at line \(member.line), column \(member.column) is not \(kind)")
    }

    private func parse(_ bytes: [UInt8], name: String, baseDirectory: String?) throws(PlatformError) -> RegistryListing
    {
        // A UTF-8 byte order mark is not part of the JSON: dropped once for every reader (its lines and columns are
        // those an editor shows either way).
        let bytes = JSONParser.withoutByteOrderMark(bytes).text
        do {
            // Anything but an object is no registry: read as an empty one, it would withdraw every plugin.
            let start = bytes.firstIndex { !Self.isWhitespace($0) } ?? bytes.count
            guard start < bytes.count, bytes[start] == UInt8(ascii: "{") else {
                let line = bytes[..<start].count { $0 == 0x0A } + 1
                let column = start - (bytes[..<start].lastIndex(of: 0x0A).map { $0 + 1 } ?? 0) + 1
                throw PlatformError.unreadableSource(
                    source: name,
                    reason: "the top level, at line \(line), column \(column), is not a JSON object (a registry "
                        + "index, a generated registry or an annals.plugins/1 manifest)")
            }
            // Duplicate keys are left to the format's reader (an index's keys are its entries).
            let top = try TolerantJSONMembers(bytes, allowingDuplicateKeys: true)
            let keys = Set(top.members.compactMap(\.key))
            try Self.require("registry", in: top, bytes, toStartWith: "{", "an object", source: name)
            try Self.require("plugins", in: top, bytes, toStartWith: "[", "an array", source: name)
            if keys.contains("registry") { return try ElizaRegistryReader.readGenerated(bytes) }
            if keys.contains("plugins") || keys.contains("format") {
                if let format = top.members.first(where: { $0.key == "format" }),
                    String(decoding: bytes[format.range], as: UTF8.self) != "\"\(ManifestReader.format)\""
                {
                    throw PlatformError.unreadableSource(
                        source: name,
                        reason: "unsupported manifest format \(String(decoding: bytes[format.range], as: UTF8.self)) "
                            + "at line \(format.line) (expected \"\(ManifestReader.format)\")")
                }
                return try ManifestReader.read(bytes, baseDirectory: baseDirectory)
            }
            return try ElizaRegistryReader.readIndex(bytes)
        } catch let failure as TolerantJSONMembers.Failure {
            throw .unreadableSource(
                source: name, reason: "\(failure.reason) at line \(failure.line), column \(failure.column)")
        } catch {
            throw PlatformError(error)
        }
    }

    private func load(_ location: String, timeouts: DownloadTimeouts = .standard) throws(PlatformError) -> [UInt8] {
        guard location.hasPrefix("http://") || location.hasPrefix("https://") else {
            // No larger than a download may bring; a device without end (`/dev/zero`) is not read forever.
            switch FileChunks.contents(of: location, atMost: Self.maximumDownloadBytes) {
            case .success(let bytes): return bytes
            case .failure(let error):
                throw .unreadableSource(source: location, reason: "the file cannot be read: \(error)")
            }
        }
        guard let url = URL(string: location) else { throw .unreadableSource(source: location, reason: "not a URL") }
        return try Self.download(url, source: location, timeouts: timeouts)
    }

    /// The most bytes a download may bring (a registry file or a plugin module): the transfer stops as soon as a body
    /// passes it.
    static let maximumDownloadBytes = 64 << 20

    /// Fetches a URL into memory (the CLI is synchronous; a sync is rare), failing on a non-2xx status and on a body
    /// over `maximumBytes` (the transfer stops as soon as it passes it: no more is read).
    /// - Throws: ``PlatformError/unreadableSource(source:reason:)`` naming `source` and why (the status, the limit,
    ///   the host that cannot be reached, the network error).
    static func download(
        _ url: URL, source: String, maximumBytes: Int = maximumDownloadBytes,
        timeouts: DownloadTimeouts = .standard
    ) throws(PlatformError) -> [UInt8] {
        var body: [UInt8] = []
        do {
            try HTTPDownload.get(url, maximumBytes: maximumBytes, timeouts: timeouts) { body += $0 }
        } catch {
            throw .unreadableSource(source: source, reason: error.description)
        }
        return body
    }
}
