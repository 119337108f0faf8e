import Testing

@testable import AnnalsResolver

@Suite("Resolver choices: newest, diamonds, backtracking, installed versions, prereleases, order, reasons")
struct ResolverChoiceTests {
    @Test("a simple chain resolves to the newest versions, dependencies first")
    func simpleChain() throws {
        let catalog = try catalog([
            "a": ["1.0.0": ["b": "^1.0.0"], "1.2.0": ["b": "^1.1.0"], "2.0.0": ["b": "^2.0.0"]],
            "b": ["1.0.0": [:], "1.1.0": [:], "1.3.0": [:], "2.0.0": [:]],
        ])
        let resolution = try resolve(catalog, ["a": "^1.0.0"])
        #expect(versionTexts(resolution) == ["a": "1.2.0", "b": "1.3.0"])
        #expect(resolution.installOrder.map(\.description) == ["b@1.3.0", "a@1.2.0"])
        #expect(resolution.reasons["a"]?.map(\.description) == ["requested by the install (^1.0.0)"])
        #expect(resolution.reasons["b"]?.map(\.description) == ["required by a@1.2.0 (^1.1.0)"])
    }

    @Test("a diamond resolves the shared dependency to one version both sides accept")
    func diamond() throws {
        let catalog = try catalog([
            "app": ["1.0.0": ["left": "^1.0.0", "right": "^1.0.0"]],
            "left": ["1.0.0": ["shared": ">=1.2.0 <2.0.0"]],
            "right": ["1.0.0": ["shared": "~1.2.0 || ~1.4.0"]],
            "shared": ["1.1.0": [:], "1.2.5": [:], "1.3.0": [:], "1.4.1": [:], "2.0.0": [:]],
        ])
        let resolution = try resolve(catalog, ["app": "*"])
        #expect(resolution.versions["shared"]?.description == "1.4.1")
        #expect(resolution.installOrder.map(\.name) == ["shared", "left", "right", "app"])
        #expect(resolution.reasons["shared"]?.count == 2)
        #expect(resolution.whyInstalled("shared")?.map(\.description) == ["app@1.0.0", "left@1.0.0", "shared@1.4.1"])
    }

    @Test("backtracking: the newest a clashes with b, an older a works")
    func backtracking() throws {
        let catalog = try catalog([
            "a": ["1.0.0": ["c": "^1.0.0"], "1.1.0": ["c": "^1.0.0"], "1.2.0": ["c": "^2.0.0"]],
            "b": ["1.0.0": ["c": "^1.0.0"]],
            "c": ["1.0.0": [:], "1.5.0": [:], "2.0.0": [:]],
        ])
        let resolution = try resolve(catalog, ["a": "^1.0.0", "b": "^1.0.0"])
        #expect(versionTexts(resolution) == ["a": "1.1.0", "b": "1.0.0", "c": "1.5.0"])
    }

    @Test("backtracking through a transitive choice: the newest b needs a d that clashes, so b moves back")
    func transitiveBacktracking() throws {
        let catalog = try catalog([
            "root": ["1.0.0": ["b": "*", "e": "*"]],
            "b": ["1.0.0": ["d": "^1.0.0"], "2.0.0": ["d": "^2.0.0"]],
            "d": ["1.0.0": [:], "2.0.0": ["f": "^2.0.0"]],
            "e": ["1.0.0": ["f": "^1.0.0"]],
            "f": ["1.0.0": [:], "2.0.0": [:]],
        ])
        let resolution = try resolve(catalog, ["root": "*"])
        #expect(versionTexts(resolution) == ["root": "1.0.0", "b": "1.0.0", "d": "1.0.0", "e": "1.0.0", "f": "1.0.0"])
    }

    @Test("installed (preferred) versions are kept when they satisfy everything, and replaced when they do not")
    func preferredVersions() throws {
        let catalog = try catalog([
            "a": ["1.0.0": ["b": "^1.0.0"], "1.1.0": ["b": "^1.0.0"]],
            "b": ["1.0.0": [:], "1.2.0": [:], "1.3.0": [:]],
        ])
        let kept = try resolve(catalog, ["a": "^1.0.0"], preferred: ["b": "1.2.0", "a": "1.0.0"])
        #expect(versionTexts(kept) == ["a": "1.0.0", "b": "1.2.0"])
        let replaced = try resolve(catalog, ["a": "^1.0.0"], preferred: ["b": "0.9.0"])
        #expect(versionTexts(replaced) == ["a": "1.1.0", "b": "1.3.0"])
    }

    @Test("prereleases are chosen only where a range admits them")
    func prereleases() throws {
        let catalog = try catalog([
            "lib": ["1.0.0": [:], "1.1.0-beta.1": [:], "2.0.0-rc.1": [:]],
            "edge": ["1.0.0": ["lib": "^2.0.0-rc.1"]],
        ])
        #expect(versionTexts(try resolve(catalog, ["lib": "*"])) == ["lib": "1.0.0"])
        #expect(versionTexts(try resolve(catalog, ["lib": "^1.0.0"])) == ["lib": "1.0.0"])
        #expect(versionTexts(try resolve(catalog, ["lib": "^1.1.0-beta.0"])) == ["lib": "1.1.0-beta.1"])
        #expect(versionTexts(try resolve(catalog, ["edge": "*"])) == ["edge": "1.0.0", "lib": "2.0.0-rc.1"])
    }

    @Test("the same input gives the same output, every time")
    func determinism() throws {
        let catalog = try catalog([
            "app": ["1.0.0": ["m": "*", "k": "*", "z": "*", "a": "*"]],
            "m": ["1.0.0": ["a": "^1.0.0"]], "k": ["1.0.0": [:]], "z": ["1.0.0": ["k": "*"]],
            "a": ["1.0.0": [:], "1.1.0": [:]],
        ])
        let first = try resolve(catalog, ["app": "*"])
        #expect(first.installOrder.map(\.name) == ["a", "k", "m", "z", "app"])
        for _ in 0..<20 { #expect(try resolve(catalog, ["app": "*"]) == first) }
    }

    @Test("an empty request resolves to nothing")
    func emptyRequest() throws {
        let resolution = try resolve(PackageCatalog(), [:])
        #expect(resolution.versions.isEmpty && resolution.installOrder.isEmpty)
    }
}
