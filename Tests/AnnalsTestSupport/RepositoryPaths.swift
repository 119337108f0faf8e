import Foundation

/// Files of the repository and beside it that several test targets read.
public enum RepositoryPaths {
    /// The repository's root directory (this file is `<root>/Tests/AnnalsTestSupport/RepositoryPaths.swift`).
    public static let root: URL = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    /// The real ElizaOS registry: `$ANNALS_ELIZAOS_REGISTRY`, else `../shared/data/elizaos-registry` beside the
    /// repository, else the copy in `Tests/Fixtures/elizaos-registry`.
    public static let elizaRegistry: String = {
        if let path = ProcessInfo.processInfo.environment["ANNALS_ELIZAOS_REGISTRY"], !path.isEmpty { return path }
        let shared = root.deletingLastPathComponent().appendingPathComponent("shared/data/elizaos-registry").path
        if FileManager.default.fileExists(atPath: shared + "/generated-registry.json") { return shared }
        return root.appendingPathComponent("Tests/Fixtures/elizaos-registry").path
    }()

    /// The example plugins built by `make plugins`: `$ANNALS_PLUGINS_DIR`, else `<root>/.build/plugins`.
    public static let examplePlugins: String = {
        if let path = ProcessInfo.processInfo.environment["ANNALS_PLUGINS_DIR"], !path.isEmpty { return path }
        return root.appendingPathComponent(".build/plugins").path
    }()
}
