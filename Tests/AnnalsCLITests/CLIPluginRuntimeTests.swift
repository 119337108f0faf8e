import AnnalsTestSupport
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

@Suite("annals plugin run, jobs and dispatch")
struct CLIPluginRuntimeTests {
    @Test("run prints the outcome; a failed execution exits 13 with its kind")
    func run() throws {
        try withPlugins(["price-quote", "runaway"]) { fx in
            let quote = try fx.annals(
                "plugin", "run", "price-quote", "quote", "--group", "acme", "--input", #"{"symbol":"BTC","amount":2}"#)
            #expect(quote.status == Exit.ok, "\(quote)")
            #expect(try quote.object().string("status") == "executed")
            let loop = try fx.annals("plugin", "run", "runaway", "run", "--group", "acme", "--fuel", "1000000")
            #expect(loop.status == 13)
            #expect(try loop.object().string("errorKind") == "outOfFuel")
            #expect(loop.errors.contains("outOfFuel"))
            let bad = try fx.annals("plugin", "run", "price-quote", "quote", "--group", "acme", "--input", "{nope")
            #expect(bad.status == Exit.invalidInput)
        }
    }

    /// Two dispatchers of the same subscriptions each delivered every event; a second one now exits 3 while the first
    /// runs, naming the lock, and runs once the first has stopped.
    @Test("plugin dispatch exits 3 while a dispatch --follow of the same subscriptions runs")
    func oneDispatcherAtATime() throws {
        try withPlugins([]) { fx in
            let follower = try fx.start(["plugin", "dispatch", "--follow", "--store", fx.store])
            var second: CLIResult?
            #expect(
                try waitUntil(timeout: 30, interval: 0.1) {
                    second = try fx.annals("plugin", "dispatch")
                    return second?.status == 3
                })
            #expect(second?.errors.contains("another dispatcher holds") == true, "\(String(describing: second))")
            // Another organization's dispatcher would deliver some of the same events: refused too.
            #expect(try fx.annals("plugin", "dispatch", "--group", "acme").status == 3)
            follower.kill(SIGTERM)
            let stopped = follower.finish(timeout: 30)
            #expect(stopped.status == Exit.ok, "\(stopped)")
            #expect(try fx.annals("plugin", "dispatch").status == Exit.ok)
        }
    }

    /// Each run appends its own audit events (initiated, then executed), which name the plugin in `metadata.plugin`:
    /// no batch of a plugin operation. Before, every event whose `metadata.plugin` had no `basis` carried the same
    /// mark, so three runs read as one batch, and `rollback --to` between two of them was refused.
    @Test("the states between two runs are sound rollback targets, with no warning")
    func runsAreNoOperationBatch() throws {
        try withPlugins(["price-quote"]) { fx in
            var outcomes: [Int] = []
            for _ in 0..<3 {
                let quote = try fx.annals(
                    "plugin", "run", "price-quote", "quote", "--group", "acme", "--input",
                    #"{"symbol":"BTC","amount":2}"#)
                try #require(quote.status == Exit.ok, "\(quote)")
                outcomes.append(try #require(try quote.object().int("outcomeOffset")))
            }
            for offset in [outcomes[0], outcomes[1]] {
                let state = try fx.annals("state", "--at", "\(offset)", "--group", "acme")
                #expect(state.status == Exit.ok, "\(state)")
                #expect(!state.errors.contains("warning"), "\(state)")
                let rollback = try fx.annals("rollback", "--to", "\(offset)", "--group", "acme", "--dry-run")
                #expect(rollback.status == Exit.ok, "\(rollback)")
            }
        }
    }

    @Test("--max-writes, --max-write-bytes and --cascade-limit bound writes; bad values exit 64; a missing --secrets 4")
    func writeLimitFlags() throws {
        try #require(FileManager.default.fileExists(atPath: examplePluginsRegistry), "run `make plugins` first")
        try withCLIFixture { fx in
            try fx.initStore()
            try #require(try fx.annals("plugin", "sync", examplePluginsRegistry).status == Exit.ok)
            let install = try fx.annals(
                "plugin", "install", "event-log", "--group", "acme", "--grant", "events.append", "--grant",
                "events.read")
            try #require(install.status == Exit.ok, "\(install)")
            let event = #"{"type":"note.added","targetId":"notes","metadata":{"text":"hello"}}"#
            let run = { (flags: [String]) in
                try fx.run(
                    ["plugin", "run", "event-log", "emit", "--group", "acme", "--input", event] + flags + [
                        "--store", fx.store,
                    ])
            }
            let allowed = try run(["--max-writes", "1", "--cascade-limit", "1"])
            #expect(allowed.status == Exit.ok, "\(allowed)")
            let initiated = try fx.annals("read", "--type", "plugin_action_initiated").objects()
            let limits = try #require(initiated.first?.object("metadata")?.object("limits"))
            #expect(limits.int("writes") == 1 && limits.int("cascadeLimit") == 1, "\(limits.raw)")
            for (flags, message) in [
                (["--max-writes", "0"], "write limit"), (["--max-write-bytes", "10"], "write limit"),
            ] {
                let refused = try run(flags)
                #expect(refused.status == 13, "\(refused)")
                #expect(try refused.object().string("errorKind") == "trap")
                #expect(refused.errors.contains(message), "\(refused)")
            }
            #expect(try fx.annals("read", "--type", "note.added").lines.count == 1)
            let missing = try run(["--secrets", fx.path("no-such-secrets.json")])
            #expect(missing.status == Exit.notFound, "\(missing)")
            #expect(missing.errors.contains("cannot open the secrets file"), "\(missing)")
            try Data("[1]".utf8).write(to: URL(fileURLWithPath: fx.path("list.json")))
            let notSecrets = try run(["--secrets", fx.path("list.json")])
            #expect(notSecrets.status == Exit.invalidInput, "\(notSecrets)")
            // Malformed JSON is located; a file that cannot be read gives the system's reason.
            try Data("{\n  \"acme\": {\"key\": \"v\",}\n}".utf8).write(to: URL(fileURLWithPath: fx.path("comma.json")))
            let malformed = try run(["--secrets", fx.path("comma.json")])
            #expect(malformed.status == Exit.invalidInput, "\(malformed)")
            #expect(malformed.errors.contains("is not valid JSON: "), "\(malformed)")
            #expect(
                malformed.errors.contains("trailing comma in object at line 2, column 23 (byte 24)"), "\(malformed)")
            // A UTF-8 byte order mark is skipped, as registry indexes' is; locations still count the file's bytes.
            let marked = Data([0xEF, 0xBB, 0xBF]) + Data("{\"acme\": {\"key\": 1}}".utf8)
            try marked.write(to: URL(fileURLWithPath: fx.path("marked.json")))
            let markedRun = try run(["--secrets", fx.path("marked.json")])
            #expect(markedRun.errors.contains("'acme.key' must be a string"), "\(markedRun)")
            try (Data([0xEF, 0xBB, 0xBF]) + Data("{,}".utf8)).write(
                to: URL(fileURLWithPath: fx.path("mark-comma.json")))
            let markedComma = try run(["--secrets", fx.path("mark-comma.json")])
            #expect(markedComma.errors.contains("at column 2 (byte 4)"), "\(markedComma)")
            let directory = try run(["--secrets", fx.directory])
            #expect(directory.status == Exit.invalidInput, "\(directory)")
            #expect(
                directory.errors.contains("cannot read the secrets file \(fx.directory): Is a directory"),
                "\(directory)")
            // A device without end is read no further than the limit of a secrets file.
            let endless = try run(["--secrets", "/dev/zero"])
            #expect(endless.status == Exit.invalidInput, "\(endless)")
            #expect(
                endless.errors.contains(
                    "cannot read the secrets file /dev/zero: larger than the limit of 16777216 bytes"), "\(endless)")
            for flags in [
                ["--max-writes", "-1"], ["--max-writes", "1000001"], ["--max-write-bytes", "-5"],
                ["--max-kv-bytes", "2000000000"], ["--cascade-limit", "0"], ["--cascade-limit", "x"],
            ] {
                let bad = try run(flags)
                #expect(bad.status == Exit.invalidArguments, "\(bad)")
                #expect(bad.errors.contains(flags[0]), "\(bad)")
            }
        }
    }

    @Test("a manifest synced by a relative path: artifacts resolve from its directory, whatever the current one")
    func relativeManifestPath() throws {
        try #require(FileManager.default.fileExists(atPath: examplePluginsRegistry), "run `make plugins` first")
        try withCLIFixture { fx in
            try fx.initStore()
            // A copy of the example plugins in a subdirectory, synced from the fixture directory by a relative path.
            let copy = fx.path("registries/examples")
            try FileManager.default.createDirectory(
                atPath: fx.path("registries"), withIntermediateDirectories: true)
            try FileManager.default.copyItem(atPath: RepositoryPaths.examplePlugins, toPath: copy)
            let synced = try fx.run([
                "plugin", "sync", "registries/examples/registry.json", "--name", "examples", "--store", fx.store,
            ])
            #expect(synced.status == Exit.ok, "\(synced)")
            #expect(try fx.annals("plugin", "install", "price-quote", "--group", "acme").status == Exit.ok)
            // Run from another directory: the artifact is found.
            let elsewhere = try runProcess(
                fx.binary,
                [
                    "plugin", "run", "price-quote", "quote", "--group", "acme", "--input",
                    #"{"symbol":"BTC","amount":2}"#,
                    "--store", fx.store,
                ],
                directory: "/")
            #expect(elsewhere.status == Exit.ok, "\(elsewhere)")
            // The same manifest synced again from its own directory changes nothing.
            let again = try runProcess(
                fx.binary, ["plugin", "sync", "registry.json", "--name", "examples", "--store", fx.store],
                directory: copy)
            #expect(again.status == Exit.ok, "\(again)")
            let report = try again.object()
            #expect((report["changed"] as? [Any])?.isEmpty == true, "\(again)")
            #expect(report.int("events") == 0, "\(again)")
        }
    }

    @Test("a host killed with kill -9 mid-execution: the restart reports the execution as abandoned")
    func killedHost() throws {
        try withPlugins(["runaway"]) { fx in
            let child = try fx.start(
                [
                    "plugin", "run", "runaway", "run", "--group", "acme", "--fuel", "100000000000000", "--timeout",
                    "600",
                    "--store", fx.store,
                ])
            // Wait for the initiated event, then kill the host.
            var initiated = false
            for _ in 0..<200 where !initiated {
                usleep(50_000)
                initiated = try fx.annals("read", "--type", "plugin_action_initiated").lines.count == 1
            }
            #expect(initiated)
            child.kill(SIGKILL)
            _ = child.finish(timeout: 30)
            let jobs = try fx.annals("plugin", "jobs", "--group", "acme")
            #expect(jobs.status == Exit.ok, "\(jobs)")
            #expect(try jobs.object().string("state") == "abandoned")
            let abandoned = try fx.annals("read", "--type", "plugin_action_abandoned")
            #expect(abandoned.lines.count == 1)
        }
    }

    @Test("with --isolation worker, a host killed with kill -9 takes its worker with it, which held no store file")
    func killedHostKillsItsWorker() throws {
        try withPlugins(["runaway"]) { fx in
            let child = try fx.start(
                [
                    "plugin", "run", "runaway", "run", "--group", "acme", "--fuel", "100000000000000", "--timeout",
                    "600", "--isolation", "worker", "--store", fx.store,
                ])
            var workers: [Int32] = []
            for _ in 0..<200 where workers.isEmpty {
                usleep(50_000)
                workers = ProcessTable.children(of: child.pid, withArgument: "sandbox-worker")
            }
            let worker = try #require(workers.first, "the host started no worker")
            // The host holds the store's files open for writing; the worker holds none of them.
            let held = ProcessTable.descriptors(of: worker).values.filter { $0.hasPrefix(fx.store) }
            #expect(held.isEmpty, "the worker holds \(held)")
            child.kill(SIGKILL)
            let killed = Date()
            while ProcessTable.isRunning(worker) && Date().timeIntervalSince(killed) < 5 { usleep(20_000) }
            #expect(!ProcessTable.isRunning(worker), "the worker \(worker) outlived its parent")
            if ProcessTable.isRunning(worker) { kill(worker, SIGKILL) }
            _ = child.finish(timeout: 30)
        }
    }

    @Test("--async returns a job id at once; the job runs in the background and can be cancelled")
    func asyncJobs() throws {
        try withPlugins(["price-quote", "runaway"]) { fx in
            let quick = try fx.annals(
                "plugin", "run", "price-quote", "quote", "--group", "acme", "--input", #"{"symbol":"ETH"}"#, "--async")
            #expect(quick.status == Exit.ok, "\(quick)")
            let quickId = try #require(try quick.object().string("job"))
            let long = try fx.annals(
                "plugin", "run", "runaway", "run", "--group", "acme", "--async", "--fuel", "100000000000000",
                "--timeout", "60")
            let longId = try #require(try long.object().string("job"))
            func state(_ id: String) throws -> String? {
                try fx.annals("plugin", "jobs", "--group", "acme").objects().first { $0.string("id") == id }?
                    .string("state")
            }
            var quickState: String?
            var longState: String?
            for _ in 0..<200 {
                quickState = try state(quickId)
                longState = try state(longId)
                if quickState == "executed", longState == "running" { break }
                usleep(50_000)
            }
            #expect(quickState == "executed")
            #expect(longState == "running")
            #expect(try fx.annals("plugin", "cancel", longId).status == Exit.ok)
            for _ in 0..<200 where try state(longId) == "running" { usleep(50_000) }
            let final = try fx.annals("plugin", "jobs", "--group", "acme").objects().first { $0.string("id") == longId }
            #expect(final?.string("state") == "failed")
            #expect(final?.string("errorKind") == "cancelled")
            #expect(try fx.annals("plugin", "cancel", "no-such-job").status == Exit.notFound)
        }
    }

    @Test("dispatch delivers to subscribers, dead-letters a failing one, and lists both")
    func dispatch() throws {
        try withPlugins(["event-counter", "flaky-counter"]) { fx in
            let subscriptions = try fx.annals("plugin", "subscriptions", "--group", "acme")
            #expect(subscriptions.objects().compactMap { $0.string("plugin") } == ["event-counter", "flaky-counter"])
            try fx.append((1...3).map { #"{"type":"order.created","groupId":"acme","targetId":"order-\#($0)"}"# })
            let report = try fx.annals("plugin", "dispatch", "--max-attempts", "2", "--backoff-ms", "1")
            #expect(report.status == Exit.ok, "\(report)")
            #expect(try report.object().int("delivered") == 3)
            #expect(try report.object().int("deadLettered") == 3)
            let kv = try fx.annals("things", "--id", "kv:acme:event-counter")
            #expect(kv.output.contains(#""count:order.created":"3""#))
            let letters = try fx.annals("plugin", "dead-letters", "--group", "acme")
            #expect(letters.lines.count == 3)
            // A new process (a restarted host) resumes from the durable cursors: only the new events.
            let again = try fx.annals("plugin", "dispatch", "--max-attempts", "1")
            #expect(try again.object().int("delivered") == 0)
            try fx.append((4...5).map { #"{"type":"order.created","groupId":"acme","targetId":"order-\#($0)"}"# })
            let resumed = try fx.annals("plugin", "dispatch", "--max-attempts", "1")
            #expect(try resumed.object().int("delivered") == 2)
            #expect(try resumed.object().int("deadLettered") == 2)
            #expect(
                try fx.annals("things", "--id", "kv:acme:event-counter").output.contains(#""count:order.created":"5""#))
        }
    }

    @Test("dead-letters --retry records a failed retry, goes on past a refused module, prints every letter, exits 2")
    func deadLetterRetry() throws {
        try #require(FileManager.default.fileExists(atPath: examplePluginsRegistry), "run `make plugins` first")
        try withCLIFixture { fx in
            try fx.initStore()
            // A copy of the example plugins, so that tampering with one leaves the shared build alone.
            let copy = fx.path("plugins")
            try FileManager.default.copyItem(atPath: RepositoryPaths.examplePlugins, toPath: copy)
            try #require(try fx.annals("plugin", "sync", copy + "/registry.json").status == Exit.ok)
            try #require(try fx.annals("plugin", "install", "flaky-counter", "--group", "acme").status == Exit.ok)
            try #require(try fx.annals("plugin", "install", "event-counter", "--group", "beta").status == Exit.ok)
            try fx.append([
                #"{"type":"order.created","groupId":"acme","targetId":"order-a"}"#,
                #"{"type":"order.created","groupId":"beta","targetId":"order-b"}"#,
            ])
            // Out of fuel at once: acme's flaky-counter, then beta's event-counter, dead-letter their event.
            let dispatched = try fx.annals(
                "plugin", "dispatch", "--max-attempts", "2", "--backoff-ms", "1", "--fuel", "1")
            #expect(try dispatched.object().int("deadLettered") == 2, "\(dispatched)")
            func listed() throws -> [String] { try fx.annals("plugin", "dead-letters").lines }
            let letters = try fx.annals("plugin", "dead-letters").objects()
            #expect(letters.compactMap { $0.string("plugin") } == ["flaky-counter", "event-counter"])
            #expect(letters.compactMap { $0.int("attempts") } == [2, 2])
            #expect(letters.allSatisfy { $0.string("errorKind") == "outOfFuel" }, "\(letters)")

            // A failed retry: one attempt more in what it prints and in the next listing, twice in a row.
            for attempts in [3, 4] {
                let retry = try fx.annals("plugin", "dead-letters", "--retry", "--fuel", "1")
                #expect(retry.status == Exit.ok, "\(retry)")
                #expect(retry.objects().compactMap { $0.int("attempts") } == [attempts, attempts])
                #expect(retry.objects().allSatisfy { $0.string("errorKind") == "outOfFuel" }, "\(retry)")
                #expect(try listed() == retry.lines)
            }

            // flaky-counter's module is refused now; event-counter, with its fuel back, handles its event.
            let trap = URL(fileURLWithPath: copy + "/trap.wasm")
            try (try Data(contentsOf: trap) + Data([0])).write(to: trap)
            let retry = try fx.annals("plugin", "dead-letters", "--retry")
            #expect(retry.status == Exit.invalidInput, "\(retry)")
            #expect(retry.errors.hasPrefix("annals: flaky-counter@1.0.0: "), "\(retry)")
            #expect(retry.errors.contains("not the registry's"), "\(retry)")
            let printed = retry.objects()
            #expect(printed.compactMap { $0.string("plugin") } == ["flaky-counter", "event-counter"])
            #expect(printed.first?.int("attempts") == 5 && printed.first?.string("errorKind") == "moduleRefused")
            #expect(printed.first?.bool("resolved") == false)
            #expect(printed.last?.bool("resolved") == true)
            #expect(try listed() == retry.lines)
            let kv = try fx.annals("things", "--id", "kv:beta:event-counter")
            #expect(kv.output.contains(#""count:order.created":"1""#), "\(kv)")
            let jobs = try fx.annals("plugin", "jobs", "--group", "acme").objects()
            #expect(jobs.filter { $0.string("errorKind") == "moduleRefused" }.count == 1)
        }
    }
}
