import Annals
import Foundation
import Testing

@testable import AnnalsPlatform

/// Plugin operations planned from one state: a plan whose basis changed before it was appended is refused
/// (`conflictingAppend`, exit 3), so two plans never mix and a kept dependency is never moved from under a new
/// install.
@Suite("Concurrent plugin plans")
struct ConcurrentPlanTests {
    /// Whether `error` is the conflict of a plan whose basis changed.
    private func isConflict(_ error: any Error) -> Bool {
        guard case .store(.conflictingAppend) = error as? PlatformError else { return false }
        return true
    }

    @Test("an install that keeps a dependency is refused if an update moved it after the plan was read")
    func installAndUpdateOfItsDependency() async throws {
        try await withPlatform { platform, directory in
            let manifest = try writeManifest(
                ["b": ["1.2.0": [:], "2.0.0": [:]], "d": ["1.0.0": ["b": "^1.0.0"]]], to: directory)
            _ = try await platform.sync(RegistrySource(manifest), scope: .global, actorId: "ops")
            _ = try await platform.install("b", range: "^1.0.0", organization: "acme", actorId: "ana")
            // Installing d is planned from this state: it keeps b 1.2.0 (no event on b's stream).
            let state = try OrganizationState.read("acme", store: platform.store)
            var planner = InstallPlanner(state: state, operation: "install", request: "install d@^1.0.0")
            planner.requested["d"] = try platform.range(nil, of: "d", in: state)
            let plan = try planner.plan(actorId: "ana")
            #expect(plan.steps.first { $0.name == "b" }?.action == .keep)
            // Meanwhile b moves to 2.0.0, out of d's range.
            _ = try await platform.update("b", range: ">=2.0.0", organization: "acme", actorId: "bob")
            do {
                _ = try await platform.apply(plan, from: state, dryRun: false)
                Issue.record("the install was appended over the update")
            } catch {
                #expect(isConflict(error), "\(error)")
            }
            #expect(try platform.installs(organization: "acme").map(\.name) == ["b"], "d was not installed")
            // Planned again from the new state, the install sees b 2.0.0 and cannot keep it.
            await #expect(throws: PlatformError.self) {
                _ = try await platform.install("d", organization: "acme", actorId: "ana")
            }
        }
    }

    @Test("two syncs of one registry at once: one listing wins whole, the other is refused or applied after it")
    func concurrentSyncsNeverMix() async throws {
        try await withPlatform { platform, directory in
            let names = (0..<40).map { "p\($0)" }
            func listing(_ version: String, extra: String) -> [String: [String: [String: String]]] {
                var plugins = Dictionary(uniqueKeysWithValues: names.map { ($0, [version: [String: String]()]) })
                plugins[extra] = [version: [:]]
                return plugins
            }
            let first = try writeManifest(listing("1.0.0", extra: "only-one"), to: directory, name: "one")
            _ = try await platform.sync(RegistrySource(first), scope: .global, name: "reg", actorId: "ops")
            for round in 0..<6 {
                let two = try writeManifest(listing("2.0.\(round)", extra: "only-two"), to: directory, name: "two")
                let three = try writeManifest(
                    listing("3.0.\(round)", extra: "only-three"), to: directory, name: "three")
                let results = await withTaskGroup(of: (String, (any Error)?).self) { group in
                    for (label, path) in [("two", two), ("three", three)] {
                        group.addTask {
                            do {
                                _ = try await platform.sync(
                                    RegistrySource(path), scope: .global, name: "reg", actorId: "ops")
                                return (label, nil)
                            } catch {
                                return (label, error)
                            }
                        }
                    }
                    return await group.reduce(into: [(String, (any Error)?)]()) { $0.append($1) }
                }
                for case (_, let error?) in results {
                    #expect(isConflict(error), "\(error)")
                }
                // Whatever happened, the registry lists exactly one source's plugins and versions.
                let active = try platform.plugins(organization: nil)
                let extras = Set(active.map(\.name)).intersection(["only-one", "only-two", "only-three"])
                #expect(extras.count == 1, "round \(round): \(extras.sorted())")
                // (Versions a later listing dropped stay, yanked.)
                let versions = Set(active.flatMap { $0.releases.filter { !$0.yanked }.map(\.version.description) })
                #expect(versions.count == 1, "round \(round): \(versions.sorted())")
            }
        }
    }

    @Test("the application's own things in the organization's group, and plugins' kv state, never conflict")
    func applicationEventsDoNotConflict() async throws {
        try await withPlatform { platform, directory in
            let manifest = try writeManifest(["b": ["1.0.0": [:]]], to: directory)
            _ = try await platform.sync(RegistrySource(manifest), scope: .global, actorId: "ops")
            let state = try OrganizationState.read("acme", store: platform.store)
            var planner = InstallPlanner(state: state, operation: "install", request: "install b@^1.0.0")
            planner.requested["b"] = try platform.range(nil, of: "b", in: state)
            let plan = try planner.plan(actorId: "ana")
            // Meanwhile the application records things of its own in the same group, and a plugin its kv state.
            _ = try await platform.store.append(
                NewEvent(
                    type: "thing.created", targetId: "dev-1", groupId: "acme",
                    metadata: ["thingType": "device", "name": "Lamp"]))
            _ = try await platform.store.append(
                NewEvent(
                    type: "thing.created", targetId: "kv:acme:b", groupId: "acme",
                    metadata: ["thingType": "plugin.kv", "name": "b"]))
            let applied = try await platform.apply(plan, from: state, dryRun: false)
            #expect(applied.offset != nil)
            #expect(try platform.installs(organization: "acme").map(\.name) == ["b"])
        }
    }

    @Test("a sync conflicts with an install in any organization: which dropped versions stay depends on installs")
    func syncsConflictWithInstallsAnywhere() async throws {
        try await withPlatform { platform, directory in
            let manifest = try writeManifest(["b": ["1.0.0": [:]]], to: directory)
            _ = try await platform.sync(RegistrySource(manifest), scope: .global, actorId: "ops")
            let planned = try platform.store.head().offset
            _ = try await platform.install("b", organization: "o7", actorId: "ana")
            let event = NewEvent(
                type: "thing.updated", targetId: PlatformIDs.registry("reg", in: .global), groupId: "global",
                metadata: ["properties": ["note": "x"]])
            do {
                _ = try await platform.appendBatch(
                    [event], plannedAt: planned, groups: ["global"], installsAnywhere: true)
                Issue.record("a sync planned before an install was appended after it")
            } catch {
                #expect(isConflict(error), "\(error)")
            }
            // Other plugin operations look at their own groups only.
            let unrelated = NewEvent(type: "note.saved", groupId: "global", metadata: [:])
            _ = try await platform.appendBatch([unrelated], plannedAt: planned, groups: ["global"])
        }
    }

    @Test("a state that keeps changing while it is read is a conflict (exit 3), after every attempt, not bad input")
    func stateThatKeepsChangingIsAConflict() async throws {
        try await withPlatform { platform, directory in
            let manifest = try writeManifest(["b": ["1.0.0": [:]]], to: directory)
            _ = try await platform.sync(RegistrySource(manifest), scope: .global, actorId: "ops")
            var attempts = 0
            do {
                _ = try OrganizationState.read("acme", store: platform.store) {
                    attempts += 1
                    _ = try platform.store.appendAndWait([NewEvent(type: "note.saved", groupId: "acme", metadata: [:])])
                }
                Issue.record("a state read while the store kept changing was returned")
            } catch {
                #expect(isConflict(error), "\(error)")
            }
            #expect(attempts == OrganizationState.readAttempts)
            // Once the store stops changing, the next read succeeds.
            #expect(try OrganizationState.read("acme", store: platform.store).offset == platform.store.head().offset)
        }
    }
}
