import Annals
import Crypto
import Foundation

/// The content-addressed cache of downloaded plugin modules beside a store: `<store>/artifacts/<sha256>.wasm`.
///
/// At sync, an artifact given as an `http(s)` URL (or as a relative path in a manifest fetched by URL, resolved
/// against the manifest's URL) is downloaded, checked against its SHA-256 and stored here, and the release records
/// the cached file's absolute path: the runtime reads modules from the local file system only. Files are written
/// to a temporary name (`.<sha256>.<UUID>.tmp`) and renamed into place, so a reader never sees half a module; a
/// module already cached with the right digest is not downloaded again. Nothing removes a module but
/// ``PluginPlatform/pruneArtifacts(dryRun:)``, which the ``ArtifactCacheLock`` keeps apart from syncs.
struct ArtifactCache {
    /// The cache's directory.
    let directory: String

    /// The cache beside the store at `storePath`.
    init(storePath: String) {
        // Absolute (a store opened by a relative path, such as the default `annals-store`): the registry records the
        // cached path, and plugins run from any directory.
        directory = URL(fileURLWithPath: storePath).standardizedFileURL.path + "/artifacts"
    }

    /// What a file of the cache's directory is, by its name.
    enum FileKind: Equatable {
        /// A module, `<sha256>.wasm`.
        case module(sha256: String)
        /// What a download writes before renaming it into place, `.<sha256>.<UUID>.tmp`: left behind only when the
        /// process stopped in between.
        case temporary
        /// The ``ArtifactCacheLock`` file.
        case lock
        /// Anything else: not written by the cache.
        case other
    }

    /// How old a temporary file must be before a prune takes it for the leftover of an interrupted download: a
    /// download writes it as the body arrives, then renames it, and a download that stalls is abandoned long before.
    static let staleTemporaryAge: TimeInterval = 3600

    /// The kind of the file named `name` in the cache's directory.
    static func kind(ofFileNamed name: String) -> FileKind {
        func isDigest(_ text: Substring) -> Bool {
            text.utf8.count == 64 && text.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }
        }
        if name == ArtifactCacheLock.fileName { return .lock }
        if name.hasSuffix(".wasm"), isDigest(name.dropLast(5)) { return .module(sha256: String(name.dropLast(5))) }
        let parts = name.split(separator: ".", omittingEmptySubsequences: false)
        if parts.count == 4, parts[0].isEmpty, isDigest(parts[1]), !parts[2].isEmpty, parts[3] == "tmp" {
            return .temporary
        }
        return .other
    }

    /// Whether some release of `listing` has a module to take from a URL (so a sync needs the cache).
    static func hasRemoteArtifacts(_ listing: RegistryListing, source: RegistrySource) -> Bool {
        listing.plugins.contains { plugin in
            plugin.releases.contains { release in
                release.artifact.map { remoteURL(of: $0, source: source) != nil } ?? false
            }
        }
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
    ///
    /// A release whose module cannot be had (the download fails, is larger than
    /// ``RegistrySource/maximumDownloadBytes``, or its SHA-256 is not the one its entry gives) is left out of the
    /// listing and reported in its problems, naming the plugin, the version, the URL and what went wrong; its
    /// version is recorded in ``RegistryListing/unavailableReleases``, so that the sync keeps a version synced before
    /// as it was. A plugin left with no release is left out too (the planner then keeps its record as it was, like
    /// any skipped entry's). A URL that failed is not tried again in the same sync for the same digest, and once a
    /// host cannot be connected to (``DownloadFailure/unreachableHost(host:reason:)``) or sends no response to a
    /// request (``DownloadFailure/unresponsiveHost(host:reason:)``), no other module is downloaded from it in the
    /// same sync: each is left out at once, its problem naming the host and its first failure, so a dead or hung
    /// host costs one timeout per sync, not one per release.
    /// - Parameter timeouts: How long each download may take.
    /// - Throws: ``PlatformError/unreadableSource(source:reason:)`` when a module that was downloaded cannot be
    ///   stored in the cache (a local failure, such as a full disk, is not one release's problem); nothing is synced
    ///   then.
    func localize(
        _ listing: inout RegistryListing, source: RegistrySource, timeouts: DownloadTimeouts
    ) throws(PlatformError) {
        // By URL and digest: a module that has another digest than one entry gives can be the one another expects.
        var failures: [String: String] = [:]
        // By host (`NAME:PORT`): what it failed to do, and the URL and reason of that first failure.
        var unreachableHosts: [String: String] = [:]
        var plugins: [Plugin] = []
        for var plugin in listing.plugins {
            var available: [PluginRelease] = []
            for var release in plugin.releases {
                guard let artifact = release.artifact, let url = Self.remoteURL(of: artifact, source: source) else {
                    available.append(release)
                    continue
                }
                let key = artifact.sha256 + " " + url.absoluteString
                let failure: String
                if let known = failures[key] {
                    failure = known
                } else {
                    let what = "\(plugin.name) \(release.version)"
                    let outcome = try cache(
                        url, sha256: artifact.sha256, of: what, source: source.location, timeouts: timeouts,
                        unreachableHosts: unreachableHosts)
                    switch outcome {
                    case .cached(let path):
                        release.artifact?.path = path
                        available.append(release)
                        continue
                    case .unavailable(let reason):
                        failure = reason
                    case .unreachable(let host, let failed, let reason):
                        failure = "cannot be downloaded: " + reason
                        unreachableHosts[host] =
                            "\(failed) earlier in this sync (first failure: \(url.absoluteString): \(reason))"
                    }
                    failures[key] = failure
                }
                listing.unavailableReleases[plugin.name, default: []].insert(release.version)
                listing.problems.append(
                    EntryProblem(
                        entry: plugin.name, location: "-",
                        reason: "version \(release.version) is left out: its artifact at \(url.absoluteString) "
                            + failure + " (a version synced before keeps its record; syncing again retries it)"))
            }
            guard !available.isEmpty || plugin.releases.isEmpty else {
                let last = listing.problems.count - 1
                listing.problems[last].reason += "; no version of \(plugin.name) is left, so its entry is skipped"
                continue
            }
            plugin.releases = available
            plugins.append(plugin)
        }
        listing.plugins = plugins
    }

    /// What became of one remote module.
    private enum Outcome {
        /// It is in the cache at this path.
        case cached(path: String)
        /// It cannot be had, for this reason (`cannot be downloaded: HTTP status 404`, `has SHA-256 A, but …`).
        case unavailable(reason: String)
        /// It cannot be had because its host (`NAME:PORT`) cannot be connected to or sends no response (`failed`
        /// says which: `could not be connected to`, `sent no response`), for this reason.
        case unreachable(host: String, failed: String, reason: String)
    }

    /// The module at `url` in the cache, downloaded and checked unless a file with its digest is there.
    ///
    /// The body is written to a temporary file as it arrives and hashed on the way (memory stays bounded whatever
    /// its size), then renamed into place if its digest is the entry's; a refused or failed download leaves nothing.
    /// A module not cached yet whose host is one of `unreachableHosts` is not downloaded at all.
    /// - Parameters:
    ///   - release: The plugin and version it is for, for messages.
    ///   - timeouts: How long the download may take.
    ///   - unreachableHosts: The hosts that could not be connected to or sent no response earlier in the sync, each
    ///     with what it failed to do and the URL and reason of that first failure.
    /// - Throws: ``PlatformError/unreadableSource(source:reason:)`` when the module cannot be stored (the cache's
    ///   directory or the temporary file cannot be made or written).
    private func cache(
        _ url: URL, sha256: String, of release: String, source: String, timeouts: DownloadTimeouts,
        unreachableHosts: [String: String]
    ) throws(PlatformError) -> Outcome {
        let path = "\(directory)/\(sha256).wasm"
        if case .success(sha256) = FileDigest.sha256(atPath: path) {
            return .cached(path: path)
        }
        let host = HTTPDownload.host(of: url)
        if let failed = unreachableHosts[host] {
            return .unavailable(reason: "was not downloaded: its host \(host) \(failed)")
        }
        func unstorable(_ reason: String) -> PlatformError {
            .unreadableSource(
                source: source, reason: "the artifact of \(release) cannot be stored at \(path): \(reason)")
        }
        let file: TemporaryArtifactFile
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            file = try TemporaryArtifactFile(path: "\(directory)/.\(sha256).\(UUID().uuidString).tmp")
        } catch {
            throw unstorable("\(error)")
        }
        var hasher = SHA256()
        do {
            try HTTPDownload.get(url, maximumBytes: RegistrySource.maximumDownloadBytes, timeouts: timeouts) { chunk in
                hasher.update(bufferPointer: chunk)
                try file.write(chunk)
            }
        } catch {
            file.discard()
            switch error {
            case .receiver(let failure): throw unstorable("\(failure)")
            case .unreachableHost(let host, _):
                return .unreachable(host: host, failed: "could not be connected to", reason: "\(error)")
            case .unresponsiveHost(let host, _):
                return .unreachable(host: host, failed: "sent no response", reason: "\(error)")
            default: return .unavailable(reason: "cannot be downloaded: \(error)")
            }
        }
        let digest = hasher.finalize().hexadecimal
        guard digest == sha256 else {
            file.discard()
            return .unavailable(reason: "has SHA-256 \(digest), but its entry gives \(sha256): refusing it")
        }
        do {
            try file.move(to: path)
        } catch {
            throw unstorable("\(error)")
        }
        return .cached(path: path)
    }
}
