import Annals
import Crypto
import Foundation

/// The content-addressed cache of downloaded plugin modules beside a store: `<store>/artifacts/<sha256>.wasm`.
///
/// At sync, an artifact given as an `http(s)` URL (or as a relative path in a manifest fetched by URL, resolved
/// against the manifest's URL) is downloaded, checked against its SHA-256 and stored here, and the release records
/// the cached file's absolute path: the runtime reads modules from the local file system only. Files are written
/// to a temporary name and renamed into place, so a reader never sees half a module; a module already cached with
/// the right digest is not downloaded again.
struct ArtifactCache {
    /// The cache's directory.
    let directory: String

    /// The cache beside the store at `storePath`.
    init(storePath: String) {
        // Absolute (a store opened by a relative path, such as the default `annals-store`): the registry records the
        // cached path, and plugins run from any directory.
        directory = URL(fileURLWithPath: storePath).standardizedFileURL.path + "/artifacts"
    }

    /// The URL `artifact` is to be downloaded from, or `nil` when it is a local path: an `http(s)` path as given, or
    /// a relative path resolved against the URL of the manifest it came from.
    static func remoteURL(of artifact: PluginArtifact, source: RegistrySource) -> URL? {
        if artifact.path.hasPrefix("http://") || artifact.path.hasPrefix("https://") {
            return URL(string: artifact.path)
        }
        guard source.isURL, !artifact.path.hasPrefix("/"), let base = URL(string: source.location) else { return nil }
        return URL(string: artifact.path, relativeTo: base)?.absoluteURL
    }

    /// Replaces every remote artifact of `listing` by its cached copy, downloading what is not cached yet.
    /// - Throws: ``PlatformError/unreadableSource(source:reason:)`` when a module cannot be downloaded or stored, or
    ///   its SHA-256 is not the one its entry gives (naming the plugin, the version and both digests); nothing is
    ///   synced then.
    func localize(_ listing: inout RegistryListing, source: RegistrySource) throws(PlatformError) {
        for pluginIndex in listing.plugins.indices {
            let name = listing.plugins[pluginIndex].name
            for releaseIndex in listing.plugins[pluginIndex].releases.indices {
                let release = listing.plugins[pluginIndex].releases[releaseIndex]
                guard let artifact = release.artifact, let url = Self.remoteURL(of: artifact, source: source) else {
                    continue
                }
                let path = try cache(
                    url, sha256: artifact.sha256, plugin: name, version: release.version.description,
                    source: source.location)
                listing.plugins[pluginIndex].releases[releaseIndex].artifact?.path = path
            }
        }
    }

    /// The cached path of the module at `url`, downloaded and checked unless a file with its digest is there.
    private func cache(
        _ url: URL, sha256: String, plugin: String, version: String, source: String
    ) throws(PlatformError) -> String {
        let path = "\(directory)/\(sha256).wasm"
        if let cached = FileManager.default.contents(atPath: path), SHA256.hash(data: cached).hexadecimal == sha256 {
            return path
        }
        let bytes = try RegistrySource.download(url, source: url.absoluteString)
        let digest = SHA256.hash(data: bytes).hexadecimal
        guard digest == sha256 else {
            throw .unreadableSource(
                source: source,
                reason: "the artifact of \(plugin) \(version) at \(url.absoluteString) has SHA-256 \(digest), but its "
                    + "entry gives \(sha256): refusing it; nothing was written")
        }
        let temporary = "\(directory)/.\(sha256).\(UUID().uuidString).tmp"
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            try Data(bytes).write(to: URL(fileURLWithPath: temporary))
            guard rename(temporary, path) == 0 else {
                throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path])
            }
        } catch {
            try? FileManager.default.removeItem(atPath: temporary)
            throw .unreadableSource(
                source: source,
                reason: "the artifact of \(plugin) \(version) cannot be stored at \(path): "
                    + error.localizedDescription)
        }
        return path
    }
}
