import Foundation
import Testing

@testable import Annals

/// Rebuilding an embedder's own projection: a name given twice, and the advice an outdated view's error gives (the
/// `annals` CLI registers only the built-in projections, so it cannot be `annals rebuild`).
@Suite struct CustomProjectionMaintenanceTests {
    @Test func aNameGivenTwiceIsRebuiltOnce() async throws {
        try await withStore(StoreOptions(projections: [TypeCounter(version: 1)])) { store, _ in
            _ = try await store.append(contentsOf: (0..<10).map { sampleEvent($0) })
            // It failed with "another process is rebuilding or catching up this projection".
            let results = try store.rebuild(["type-counts", "type-counts"])
            #expect(results.map(\.name) == ["type-counts"])
            #expect(results.first?.checkpoint == 10)
            let count = try store.read(projection: "type-counts") { tables in
                try tables.get(ProjectionTable(0), key: Array("item.created".utf8))
            }
            #expect(count == [3])
        }
    }

    @Test func anOutdatedCustomViewAdvisesAnOpenThatRebuildsIt() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory + "/store"
            do {
                let store = try EventStore(path: path, options: StoreOptions(projections: [TypeCounter(version: 1)]))
                _ = try await store.append(contentsOf: (0..<5).map { sampleEvent($0) })
                store.close()
            }
            let reader = try EventStore(
                path: path, options: StoreOptions(readOnly: true, projections: [TypeCounter(version: 2)]))
            defer { reader.close() }
            #expect {
                try reader.read(projection: "type-counts") { _ in 0 }
            } throws: { error in
                guard case .projectionUnavailable("type-counts", let reason) = error as? AnnalsError else {
                    return false
                }
                return reason.contains("version 1") && reason.contains("outdatedProjections: .rebuild")
                    && !reason.contains("run 'annals rebuild")
            }
        }
    }

    @Test func anOutdatedBuiltInViewStillAdvisesTheCLI() {
        #expect(ProjectionMaintenancePlan.rebuildAdvice("things") == "run 'annals rebuild things'")
    }
}
