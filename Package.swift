// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "Annals",
    platforms: [.macOS(.v14)],
    products: [
        .library(name: "Annals", targets: ["Annals"]),
        .library(name: "LMDB", targets: ["LMDB"]),
        .library(name: "AnnalsResolver", targets: ["AnnalsResolver"]),
        .library(name: "AnnalsSandbox", targets: ["AnnalsSandbox"]),
        .library(name: "AnnalsPlatform", targets: ["AnnalsPlatform"]),
        .executable(name: "annals", targets: ["AnnalsCLI"]),
        .executable(name: "annals-bench", targets: ["AnnalsBench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/swiftwasm/WasmKit", from: "0.4.2"),
    ],
    targets: [
        // C libraries behind system module maps, found through pkg-config.
        .systemLibrary(
            name: "CLMDB", path: "Sources/CLMDB", pkgConfig: "lmdb",
            providers: [.apt(["liblmdb-dev"])]),
        .systemLibrary(
            name: "CZstd", path: "Sources/CZstd", pkgConfig: "libzstd",
            providers: [.apt(["libzstd-dev"])]),
        .systemLibrary(
            name: "CCurl", path: "Sources/CCurl", pkgConfig: "libcurl",
            providers: [.apt(["libcurl4-openssl-dev"])]),
        .systemLibrary(
            name: "CSQLite", path: "Sources/CSQLite", pkgConfig: "sqlite3",
            providers: [.apt(["libsqlite3-dev"])]),
        // Small C helpers: hardware CRC-32C and atomics on process-shared memory.
        .target(name: "CAnnalsSupport", path: "Sources/CAnnalsSupport"),

        // The thin Swift layer over LMDB.
        .target(name: "LMDB", dependencies: ["CLMDB", "CAnnalsSupport"]),

        // The engine.
        .target(
            name: "Annals",
            dependencies: [
                "LMDB", "CZstd", "CAnnalsSupport",
                .product(name: "Crypto", package: "swift-crypto"),
            ]),

        // The plugin platform: semantic versions and dependency resolution (no storage), the WebAssembly
        // sandbox (no storage), and the platform itself (registries, installs, executions) over the engine.
        .target(name: "AnnalsResolver"),
        .target(
            name: "AnnalsSandbox",
            dependencies: ["CAnnalsSupport", .product(name: "WasmKit", package: "WasmKit")]),
        .target(
            name: "AnnalsPlatform",
            dependencies: [
                "Annals", "AnnalsResolver", "AnnalsSandbox", "CCurl",
                .product(name: "Crypto", package: "swift-crypto"),
            ]),

        // The command-line tool.
        .executableTarget(
            name: "AnnalsCLI",
            dependencies: [
                "Annals", "AnnalsPlatform", "AnnalsResolver", "AnnalsSandbox",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),

        // Benchmarks and their baselines (raw LMDB, SQLite), run by `make bench`.
        .executableTarget(
            name: "AnnalsBench",
            dependencies: ["Annals", "AnnalsPlatform", "AnnalsResolver", "AnnalsSandbox", "LMDB", "CLMDB", "CSQLite"],
            path: "tools/bench"),

        .testTarget(name: "LMDBTests", dependencies: ["LMDB", "AnnalsTestSupport"]),
        .testTarget(name: "AnnalsTests", dependencies: ["Annals"]),
        .target(name: "AnnalsTestSupport", dependencies: ["CAnnalsSupport"], path: "Tests/AnnalsTestSupport"),
        .testTarget(name: "AnnalsCLITests", dependencies: ["Annals", "AnnalsTestSupport", "LMDB"]),
        // Fixtures/ holds cases made by tools/faults/semver-diff.py, read by path.
        .testTarget(name: "AnnalsResolverTests", dependencies: ["AnnalsResolver"], exclude: ["Fixtures"]),
        .testTarget(name: "AnnalsSandboxTests", dependencies: ["AnnalsSandbox", "AnnalsTestSupport"]),
        .testTarget(
            name: "AnnalsPlatformTests",
            dependencies: [
                "AnnalsPlatform", "Annals", "AnnalsResolver", "AnnalsSandbox", "AnnalsTestSupport",
                .product(name: "Crypto", package: "swift-crypto"),
            ]),
    ]
)
