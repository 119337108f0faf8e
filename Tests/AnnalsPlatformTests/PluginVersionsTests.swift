import Annals
import AnnalsPlatform
import AnnalsResolver
import Foundation
import Testing

@Suite("Plugin versions: outdated, update, rollback, pin, history")
struct PluginVersionsTests {
    static let market: [String: [String: [String: String]]] = [
        "http": ["1.0.0": [:], "1.1.0": [:], "2.0.0": [:]],
        "feed": [
            "1.0.0": ["http": "^1.0.0"], "1.1.0": ["http": "^1.1.0"], "2.0.0": ["http": "^2.0.0"],
        ],
        "board": ["1.0.0": ["feed": ">=1.0.0 <3.0.0"]],
    ]
    static let permissions = [
        "feed": ["1.0.0": ["events.read"], "1.1.0": ["events.read"], "2.0.0": ["events.read", "secrets.read:KEY"]]
    ]
    static let actions = ["feed": ["1.0.0": ["quote", "history"], "1.1.0": ["quote", "history"], "2.0.0": ["quote"]]]

    /// Syncs the market registry and installs feed@~1.1.0 and board (which accepts feed 1 and 2) in acme.
    func prepared(_ platform: PluginPlatform, _ directory: String) async throws {
        let manifest = try writeManifest(
            Self.market, permissions: Self.permissions, actions: Self.actions, to: directory)
        _ = try await platform.sync(RegistrySource(manifest), scope: .global, actorId: "ops")
        _ = try await platform.install("feed", range: "~1.1.0", organization: "acme", actorId: "ana")
        _ = try await platform.install("board", organization: "acme", actorId: "ana")
    }

    /// The installs and their `requires` connections, for exact before/after comparisons.
    func snapshot(_ platform: PluginPlatform) throws -> [String] {
        let installs = try platform.installs(organization: "acme").map {
            "\($0.name)@\($0.version) requested=\($0.requested?.description ?? "-") grants=\($0.grants) pinned=\($0.pinned)"
        }
        let edges = try platform.store.connections(
            ConnectionFilter(connectionType: "requires", groupId: "acme", limit: .max)
        )
        .map { "\($0.fromId) -> \($0.toId) \($0.properties.canonicalString)" }.sorted()
        return installs + edges
    }

    @Test("outdated lists current and latest with breaking reasons")
    func outdated() async throws {
        try await withPlatform { platform, directory in
            try await prepared(platform, directory)
            let entries = Dictionary(
                uniqueKeysWithValues: try platform.outdated(organization: "acme").map { ($0.name, $0) })
            let feed = try #require(entries["feed"])
            #expect(feed.current.description == "1.1.0" && feed.latest.description == "2.0.0")
            #expect(feed.breaking)
            #expect(feed.breakingReasons.contains("removed actions: history"))
            #expect(feed.breakingReasons.contains("asks for more permissions: secrets.read:KEY"))
            #expect(entries["board"] == nil)
        }
    }

    @Test("an update needs expanded permissions granted, records where it came from, and rollback restores exactly")
    func updateThenRollback() async throws {
        try await withPlatform { platform, directory in
            try await prepared(platform, directory)
            let before = try snapshot(platform)
            let headBefore = try platform.store.head().offset
            await #expect(throws: PlatformError.self) {
                try await platform.update("feed", organization: "acme", actorId: "ana")
            }
            let plan = try await platform.update(
                "feed", organization: "acme", grants: ["secrets.read:KEY"], actorId: "ana")
            #expect(plan.steps.first { $0.name == "http" }?.action == .upgrade)
            let feed = try #require(try platform.installs(organization: "acme").first { $0.name == "feed" })
            #expect(feed.version.description == "2.0.0")
            #expect(feed.lastUpdate?.fromOffset == headBefore)
            #expect(feed.lastUpdate?.fromVersion.description == "1.1.0")
            #expect(feed.requested?.description == "^2.0.0")
            #expect(try snapshot(platform) != before)

            let rollback = try await platform.rollback("feed", organization: "acme", actorId: "ana")
            #expect(rollback.targetOffset == headBefore)
            #expect(rollback.offset != nil)
            #expect(try snapshot(platform) == before)
            let history = try platform.history("feed", organization: "acme")
            #expect(history.map(\.operation) == ["install", "update", "rollback"])
            #expect(history.map(\.pluginVersion) == ["1.1.0", "2.0.0", "1.1.0"])
            // The log only grew: the update's events are still there.
            #expect(try platform.store.head().offset > rollback.targetOffset)
        }
    }

    @Test("rollback to a version returns there; nothing to roll back is reported")
    func rollbackToVersion() async throws {
        try await withPlatform { platform, directory in
            try await prepared(platform, directory)
            await #expect(throws: PlatformError.self) {
                try await platform.rollback("feed", organization: "acme", actorId: "ana")
            }
            _ = try await platform.update("feed", organization: "acme", grants: ["secrets.read:KEY"], actorId: "ana")
            let result = try await platform.rollback(
                "feed", organization: "acme", to: .version(SemanticVersion(1, 1, 0)), actorId: "ana")
            #expect(result.instances.contains("install:acme:http"))
            let versions = Dictionary(
                uniqueKeysWithValues: try platform.installs(organization: "acme").map {
                    ($0.name, $0.version.description)
                })
            #expect(versions == ["board": "1.0.0", "feed": "1.1.0", "http": "1.1.0"])
            await #expect(throws: PlatformError.self) {
                try await platform.rollback(
                    "feed", organization: "acme", to: .version(SemanticVersion(9, 0, 0)), actorId: "ana")
            }
        }
    }

    @Test("a pinned install is locked: updates are refused until it is unpinned")
    func pinning() async throws {
        try await withPlatform { platform, directory in
            try await prepared(platform, directory)
            #expect(try await platform.pin("feed", organization: "acme", actorId: "ana") != nil)
            #expect(try await platform.pin("feed", organization: "acme", actorId: "ana") == nil)
            do {
                _ = try await platform.update(
                    "feed", organization: "acme", grants: ["secrets.read:KEY"], actorId: "ana")
                Issue.record("a pinned plugin must not update")
            } catch let error as PlatformError {
                guard case .pinned = error else { throw error }
            }
            #expect(try await platform.unpin("feed", organization: "acme", actorId: "ana") != nil)
            _ = try await platform.update("feed", organization: "acme", grants: ["secrets.read:KEY"], actorId: "ana")
            #expect(
                try platform.installs(organization: "acme").first { $0.name == "feed" }?.version.description == "2.0.0")
        }
    }

    @Test("an update of a prerelease install moves to the newest release outdated offers, never back to a stable one")
    func updateOfPrereleaseNeverDowngrades() async throws {
        try await withPlatform { platform, directory in
            let manifest = try writeManifest(
                ["app": ["1.5.0": [:], "2.0.0-beta.1": [:], "2.0.0-beta.2": [:]]], to: directory)
            _ = try await platform.sync(RegistrySource(manifest), scope: .global, actorId: "ops")
            _ = try await platform.install("app", range: "2.0.0-beta.1", organization: "acme", actorId: "ana")
            let offered = try #require(try platform.outdated(organization: "acme").first { $0.name == "app" })
            #expect(offered.latest.description == "2.0.0-beta.2")
            let plan = try await platform.update("app", organization: "acme", actorId: "ana")
            #expect(
                plan.steps.map { "\($0.name) \($0.action) \($0.to?.description ?? "-")" } == [
                    "app upgrade 2.0.0-beta.2"
                ])
            #expect(
                try platform.installs(organization: "acme").first { $0.name == "app" }?.version.description
                    == "2.0.0-beta.2")
            // Already at the newest: nothing moves (no downgrade to 1.5.0, the newest stable release).
            let again = try await platform.update("app", organization: "acme", actorId: "ana")
            #expect(again.steps.map(\.action) == [.keep])
            #expect(
                try platform.installs(organization: "acme").first { $0.name == "app" }?.version.description
                    == "2.0.0-beta.2")
        }
    }

    @Test("a rollback that would move an install the organization asked for since out of its range is refused")
    func rollbackKeepsLaterExplicitInstalls() async throws {
        try await withPlatform { platform, directory in
            let manifest = try writeManifest(
                ["app": ["1.0.0": ["dep": "^1.0.0"], "2.0.0": [:]], "dep": ["1.0.0": [:], "2.0.0": [:]]], to: directory)
            _ = try await platform.sync(RegistrySource(manifest), scope: .global, actorId: "ops")
            _ = try await platform.install("app", range: "^1.0.0", organization: "acme", actorId: "ana")
            // The update drops dep; the organization then asks for dep 2 itself.
            _ = try await platform.update("app", organization: "acme", actorId: "ana")
            _ = try await platform.install("dep", range: "^2.0.0", organization: "acme", actorId: "ana")
            let before = try snapshot(platform)
            for target: PluginRollbackTarget? in [nil, .version(SemanticVersion("1.0.0")!)] {
                do {
                    _ = try await platform.rollback("app", organization: "acme", to: target, actorId: "ana")
                    Issue.record("the rollback undid acme's own install of dep ^2.0.0")
                } catch {
                    guard case .resolutionFailed(let explanation) = error as? PlatformError else { throw error }
                    #expect(explanation.contains("acme asked for dep ^2.0.0, but the rollback returns it to 1.0.0"))
                }
            }
            #expect(try snapshot(platform) == before)
        }
    }

    @Test("a rollback to an offset inside an operation's batch, or removing another install's requirement, is refused")
    func rollbackKeepsBatchesAndOtherRequirementsWhole() async throws {
        try await withPlatform { platform, directory in
            let manifest = try writeManifest(
                ["a": ["1.0.0": ["b": "^1.0.0"]], "b": ["1.0.0": [:], "1.2.0": [:]]], to: directory)
            let synced = try await platform.sync(RegistrySource(manifest), scope: .global, actorId: "ops")
            let head = try #require(synced.offset)
            // b's install is two events (the install and its instance_of connection).
            let installB = try await platform.install("b", range: "^1.0.0", organization: "acme", actorId: "ana")
            #expect(installB.offset == head + 2)
            _ = try await platform.install("a", organization: "acme", actorId: "ana")
            let inside = head + 1
            do {
                _ = try await platform.rollback("b", organization: "acme", to: .offset(inside), actorId: "ana")
                Issue.record("a rollback into the middle of b's install was accepted")
            } catch {
                guard case .invalidArgument(let message) = error as? PlatformError else { throw error }
                #expect(message.contains("offsets \(head + 1)–\(head + 2)") && message.contains("roll back to \(head)"))
            }
            // After b's install but before a's, a's requirement of b did not exist yet: the rollback would delete it.
            do {
                _ = try await platform.rollback("b", organization: "acme", to: .offset(head + 2), actorId: "ana")
                Issue.record("a rollback removing a's requirement of b was accepted")
            } catch {
                guard case .resolutionFailed(let explanation) = error as? PlatformError else { throw error }
                #expect(explanation.contains("a@1.0.0's requires b would be removed"), "\(explanation)")
            }
            let explain = try platform.explain("b", organization: "acme")
            #expect(explain.chains.contains { $0.contains { $0.hasPrefix("a@1.0.0 requires b") } }, "\(explain.chains)")
            do {
                _ = try await platform.rollback("b", organization: "acme", to: .offset(9999), actorId: "ana")
                Issue.record("a rollback past the head was accepted")
            } catch {
                guard case .invalidArgument(let message) = error as? PlatformError else { throw error }
                #expect(message.hasPrefix("--to 9999 is not before the log head"), "\(message)")
            }
        }
    }

    @Test("a version its registry stops listing is yanked: installs of it keep working, new resolutions skip it")
    func yankedVersions() async throws {
        try await withPlatform { platform, directory in
            let all = try writeManifest(
                ["e": ["1.0.0": [:], "1.1.0": [:]], "other": ["1.0.0": [:]], "f": ["1.0.0": [:], "2.0.0": [:]]],
                to: directory, name: "all")
            _ = try await platform.sync(RegistrySource(all), scope: .global, name: "reg", actorId: "ops")
            _ = try await platform.install("e", range: "^1.1.0", organization: "acme", actorId: "ana")
            // 1.1.0 disappears from the registry.
            let fewer = try writeManifest(
                ["e": ["1.0.0": [:]], "other": ["1.0.0": [:]], "f": ["2.0.0": [:]]], to: directory, name: "fewer")
            let report = try await platform.sync(RegistrySource(fewer), scope: .global, name: "reg", actorId: "ops")
            #expect(report.warnings.contains { $0.contains("e: version 1.1.0 no longer listed, kept as yanked") })
            // A version nobody installed is simply gone (a registry that lists only its current versions, as the
            // ElizaOS one does, does not pile up yanked ones).
            #expect(try platform.plugin("f")?.releases.map(\.version.description) == ["2.0.0"])
            #expect(!report.warnings.contains { $0.hasPrefix("f:") }, "\(report.warnings)")
            let e = try #require(try platform.plugin("e"))
            #expect(e.releases.map(\.yanked) == [false, true])
            #expect(e.latest?.version.description == "1.0.0")
            // An unrelated install still resolves: e stays at its installed, yanked version.
            _ = try await platform.install("other", organization: "acme", actorId: "ana")
            #expect(
                try platform.installs(organization: "acme").first { $0.name == "e" }?.version.description == "1.1.0")
            let outdated = try platform.outdated(organization: "acme")
            #expect(outdated.first { $0.name == "e" }?.yanked == true, "\(outdated)")
            // Another organization cannot choose it, and is told why.
            do {
                _ = try await platform.install("e", range: "^1.1.0", organization: "beta", actorId: "ana")
                Issue.record("a yanked version was installed anew")
            } catch {
                guard case .resolutionFailed(let explanation) = error as? PlatformError else { throw error }
                #expect(explanation.contains("e 1.1.0 is yanked (no longer listed by its registry)"), "\(explanation)")
            }
            // Listed again, it is offered again.
            _ = try await platform.sync(RegistrySource(all), scope: .global, name: "reg", actorId: "ops")
            #expect(try platform.plugin("e")?.releases.map(\.yanked) == [false, false])
        }
    }

    @Test("an entry is measured with the yanked versions it keeps: too large, it is skipped, not the whole sync")
    func yankedVersionsCountTowardsTheEntrySize() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("annals-big-\(UUID())").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        do {
            // Events of at most 20,000 bytes: an entry may take 3,616.
            let store = try EventStore(
                path: directory + "/store", options: StoreOptions(durability: .noSync, maximumEventSize: 20_000))
            defer { store.close() }
            let platform = PluginPlatform(store: store)
            let padding = String(repeating: "x", count: 1_000)
            func manifest(_ name: String, _ versions: [String]) throws -> String {
                let releases = versions.map {
                    #"{"version": "\#($0)", "actions": [{"name": "run", "description": "\#(padding)"}]}"#
                }
                let text =
                    #"{"format": "annals.plugins/1", "plugins": [{"name": "big", "versions": ["#
                    + releases.joined(separator: ",") + #"]}, {"name": "small", "versions": [{"version": "1.0.0"}]}]}"#
                let path = directory + "/\(name).json"
                try text.write(toFile: path, atomically: true, encoding: .utf8)
                return path
            }
            _ = try await platform.sync(
                RegistrySource(try manifest("one", ["1.0.0", "1.1.0"])), scope: .global, name: "reg", actorId: "ops")
            _ = try await platform.install("big", range: "1.0.0", organization: "acme", actorId: "ana")
            // Two listed versions fit; with the installed 1.0.0 kept as yanked, three do not.
            let report = try await platform.sync(
                RegistrySource(try manifest("two", ["1.1.0", "1.2.0"])), scope: .global, name: "reg", actorId: "ops")
            #expect(report.problems.first { $0.entry == "big" }?.reason.contains("bytes once stored") == true)
            #expect(!report.warnings.contains { $0.hasPrefix("big:") }, "a skipped entry yanks nothing")
            #expect(try platform.plugin("big")?.releases.map(\.version.description) == ["1.0.0", "1.1.0"])
        }
    }

    @Test("a rollback's restores are measured with the operation's metadata: at the size limit the dry run fails too")
    func rollbackMeasuredWithItsMetadata() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("annals-edge-\(UUID())").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        func opened(limit: Int = StoreOptions().maximumEventSize) throws -> EventStore {
            try EventStore(
                path: directory + "/store", options: StoreOptions(durability: .noSync, maximumEventSize: limit))
        }
        let manifest = try writeManifest(["solo": ["1.0.0": [:], "1.1.0": [:]]], to: directory)
        let dryRun: PluginRollback
        do {
            let store = try opened()
            defer { store.close() }
            let platform = PluginPlatform(store: store)
            _ = try await platform.sync(RegistrySource(manifest), scope: .global, name: "reg", actorId: "ops")
            _ = try await platform.install("solo", range: "1.0.0", organization: "acme", actorId: "ana")
            _ = try await platform.update("solo", range: "^1.1.0", organization: "acme", actorId: "ana")
            dryRun = try await platform.rollback("solo", organization: "acme", actorId: "ana", dryRun: true)
        }
        #expect(!dryRun.changes.isEmpty)
        // The smallest limit the plan alone fits in: its largest event, exactly.
        func planFits(_ limit: Int) throws -> Bool {
            let store = try opened(limit: limit)
            defer { store.close() }
            return
                (try? store.planRollback(
                    to: dryRun.targetOffset, scope: .things(Set(dryRun.instances)), actorId: "ana")) != nil
        }
        var (tooSmall, fits) = (16, 1_000_000)
        while fits - tooSmall > 1 {
            let middle = (tooSmall + fits) / 2
            if try planFits(middle) { fits = middle } else { tooSmall = middle }
        }
        let store = try opened(limit: fits)
        defer { store.close() }
        let platform = PluginPlatform(store: store)
        let head = try store.head().offset
        for attempt in [true, false] {
            do {
                _ = try await platform.rollback("solo", organization: "acme", actorId: "ana", dryRun: attempt)
                Issue.record("a rollback over the size limit went through (dry run: \(attempt))")
            } catch {
                guard case .store(.invalidArgument(let reason)) = error else { throw error }
                #expect(reason.hasPrefix("restoring thing 'install:acme:solo' as of offset "), "\(reason)")
                #expect(reason.contains("over this store's limit of \(fits)"), "\(reason)")
            }
        }
        #expect(try store.head().offset == head)
    }

    @Test("a rollback to a version a sync has dropped is refused, naming it")
    func rollbackToADroppedVersion() async throws {
        try await withPlatform { platform, directory in
            let first = try writeManifest(["big": ["1.0.0": [:], "1.1.0": [:]]], to: directory, name: "first")
            let second = try writeManifest(["big": ["2.0.0": [:]]], to: directory, name: "second")
            _ = try await platform.sync(RegistrySource(first), scope: .global, name: "reg", actorId: "ops")
            _ = try await platform.install("big", range: "1.0.0", organization: "o0", actorId: "ana")
            _ = try await platform.sync(RegistrySource(second), scope: .global, name: "reg", actorId: "ops")
            _ = try await platform.update("big", range: "^2.0.0", organization: "o0", actorId: "ana")
            // Nobody has 1.0.0 installed any more: the next sync drops it.
            _ = try await platform.sync(RegistrySource(second), scope: .global, name: "reg", actorId: "ops")
            #expect(try platform.plugin("big")?.releases.map(\.version.description) == ["2.0.0"])
            do {
                _ = try await platform.rollback("big", organization: "o0", actorId: "ana", dryRun: true)
                Issue.record("a rollback to a dropped version was planned")
            } catch {
                guard case .noRollbackTarget(let message) = error as? PlatformError else { throw error }
                #expect(message.contains("big@1.0.0, which its registry no longer has"), "\(message)")
            }
            #expect(try platform.installs(organization: "o0").map(\.version.description) == ["2.0.0"])
        }
    }
}
