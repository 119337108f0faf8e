@testable import AnnalsResolver

/// A catalog from a compact table: `["a": ["1.0.0": ["b": "^1.0.0"]]]`.
func catalog(_ table: [String: [String: [String: String]]]) throws -> PackageCatalog {
    var catalog = PackageCatalog()
    for (name, versions) in table {
        for (version, dependencies) in versions { try catalog.add(name, version, dependencies: dependencies) }
    }
    return catalog
}

/// Resolves `requirements` (range texts by name) against `catalog`.
func resolve(
    _ catalog: PackageCatalog, _ requirements: [String: String], locked: [String: String] = [:],
    preferred: [String: String] = [:]
) throws -> Resolution {
    try DependencyResolver(provider: catalog).resolve(request(requirements, locked: locked, preferred: preferred))
}

/// A request from texts.
func request(
    _ requirements: [String: String], locked: [String: String] = [:], preferred: [String: String] = [:]
) throws -> ResolutionRequest {
    ResolutionRequest(
        requirements: try requirements.mapValues { try VersionRange(parsing: $0) },
        locked: try locked.mapValues { try SemanticVersion(parsing: $0) },
        preferred: try preferred.mapValues { try SemanticVersion(parsing: $0) })
}

/// The resolution's versions as texts, for comparisons.
func versionTexts(_ resolution: Resolution) -> [String: String] {
    resolution.versions.mapValues(\.description)
}

/// The error resolving `requirements` throws, or `nil` when it succeeds.
func resolutionError(
    _ catalog: PackageCatalog, _ requirements: [String: String], locked: [String: String] = [:]
) throws -> ResolutionError? {
    do {
        _ = try DependencyResolver(provider: catalog).resolve(request(requirements, locked: locked))
        return nil
    } catch let error as ResolutionError {
        return error
    }
}

/// The error resolving `request` throws, or `nil` when it succeeds.
func resolutionError(_ catalog: PackageCatalog, _ request: ResolutionRequest) -> ResolutionError? {
    do {
        _ = try DependencyResolver(provider: catalog).resolve(request)
        return nil
    } catch {
        return error
    }
}

/// The pigeonhole catalog: pigeons `p1`…`p(holes + 1)` and holes `h1`…`h(holes)`, where `pI@H.0.0` (pigeon I in hole H)
/// depends on `hH` at exactly `I.0.0` (the hole holds pigeon I). Requiring every pigeon has no solution, and PubGrub
/// learns exponentially many incompatibilities proving it, many of them used more than once.
func pigeonholeCatalog(holes: Int) -> PackageCatalog {
    var catalog = PackageCatalog()
    for pigeon in 1...(holes + 1) {
        for hole in 1...holes {
            catalog.add(
                "p\(pigeon)", SemanticVersion(UInt64(hole), 0, 0),
                dependencies: ["h\(hole)": .exactly(SemanticVersion(UInt64(pigeon), 0, 0))])
            catalog.add("h\(hole)", SemanticVersion(UInt64(pigeon), 0, 0))
        }
    }
    return catalog
}

/// The request for every pigeon of ``pigeonholeCatalog(holes:)``, at any version.
func pigeonholeRequest(holes: Int) -> ResolutionRequest {
    ResolutionRequest(
        requirements: Dictionary(uniqueKeysWithValues: (1...(holes + 1)).map { ("p\($0)", VersionRange.any) }))
}
