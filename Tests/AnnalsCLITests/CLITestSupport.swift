import AnnalsTestSupport
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

// Helpers for the CLI tests: they run the real `annals` binary as child processes, each test in its own temporary
// directory that is always removed.

// MARK: - The binary

/// Where the `annals` executable is: `$ANNALS_BIN`, else `<package root>/.build/debug/annals`.
enum AnnalsBinary {
    static let path: String = {
        if let path = ProcessInfo.processInfo.environment["ANNALS_BIN"], !path.isEmpty { return path }
        return RepositoryPaths.root.appendingPathComponent(".build/debug/annals").path
    }()

    /// The path, or a failed test that says how to get the binary.
    static func require() throws -> String {
        ignoreBrokenPipes
        try #require(
            FileManager.default.isExecutableFile(atPath: path),
            "the annals binary is missing at \(path): run 'swift build' first or set ANNALS_BIN")
        return path
    }

    /// Writing to the stdin of a child that was killed must fail with `EPIPE`, not kill the test process.
    private static let ignoreBrokenPipes: Void = { signal(SIGPIPE, SIG_IGN) }()
}

/// The documented exit codes of `annals` (see `annals --help`).
enum Exit {
    static let ok: Int32 = 0
    static let damaged: Int32 = 1
    static let invalidInput: Int32 = 2
    static let versionConflict: Int32 = 3
    static let notFound: Int32 = 4
    static let storage: Int32 = 5
    static let corrupt: Int32 = 6
    static let rejected: Int32 = 8
    static let projectionUnavailable: Int32 = 9
    static let unresolvable: Int32 = 10
    static let permissionsNotGranted: Int32 = 11
    static let pinned: Int32 = 12
    static let invalidArguments: Int32 = 64
}

// MARK: - Results

/// What a finished command did.
struct CLIResult: Sendable, CustomStringConvertible {
    var arguments: [String]
    /// The exit status, or the signal number when ``signaled``.
    var status: Int32
    var signaled: Bool
    var stdout: [UInt8]
    var stderr: [UInt8]
    /// Whether the command was killed for running too long.
    var timedOut = false

    var output: String { String(decoding: stdout, as: UTF8.self) }
    var errors: String { String(decoding: stderr, as: UTF8.self) }

    /// The non-empty lines of stdout.
    var lines: [String] { output.split(separator: "\n", omittingEmptySubsequences: true).map(String.init) }

    /// Each stdout line parsed as a JSON object (records an issue for a line that is not one).
    func objects(sourceLocation: SourceLocation = #_sourceLocation) -> [JSONObject] {
        lines.compactMap { line in
            guard let object = JSONObject(line) else {
                Issue.record("stdout line is not a JSON object: \(line)", sourceLocation: sourceLocation)
                return nil
            }
            return object
        }
    }

    /// The single JSON object printed, or a failure.
    func object(sourceLocation: SourceLocation = #_sourceLocation) throws -> JSONObject {
        let objects = objects(sourceLocation: sourceLocation)
        try #require(objects.count == 1, "expected one JSON line, got:\n\(output)", sourceLocation: sourceLocation)
        return objects[0]
    }

    var description: String {
        "annals \(arguments.joined(separator: " ")) → \(signaled ? "signal" : "status") \(status)\n"
            + "stdout: \(output.prefix(2000))\nstderr: \(errors.prefix(2000))"
    }
}

/// A JSON object printed by the CLI, parsed independently of the Annals library (as `jq` would).
struct JSONObject: @unchecked Sendable, CustomStringConvertible {
    let raw: [String: Any]
    let text: String

    init?(_ line: String) {
        guard let data = line.data(using: .utf8),
            let object = try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed]) as? [String: Any]
        else { return nil }
        raw = object
        text = line
    }

    init(raw: [String: Any]) {
        self.raw = raw
        text = "\(raw)"
    }

    var description: String { text }

    subscript(key: String) -> Any? { raw[key] }

    func int(_ key: String) -> Int? {
        if let value = raw[key] as? Int { return value }
        if let value = raw[key] as? NSNumber { return value.intValue }
        return nil
    }

    func uint64(_ key: String) -> UInt64? { int(key).map(UInt64.init) }

    func double(_ key: String) -> Double? {
        if let value = raw[key] as? Double { return value }
        if let value = raw[key] as? NSNumber { return value.doubleValue }
        return nil
    }

    func string(_ key: String) -> String? { raw[key] as? String }

    func bool(_ key: String) -> Bool? { raw[key] as? Bool }

    func object(_ key: String) -> JSONObject? { (raw[key] as? [String: Any]).map(JSONObject.init(raw:)) }

    func array(_ key: String) -> [Any]? { raw[key] as? [Any] }

    var keys: Set<String> { Set(raw.keys) }
}

// MARK: - Fixtures

/// A unique temporary directory for one test, with a store path inside it.
struct CLIFixture: Sendable {
    /// The temporary directory (removed after the test).
    let directory: String
    /// The `annals` binary.
    let binary: String
    /// The long-running commands started with ``start(_:environment:)``, stopped when the fixture ends.
    let children = Locked<[ChildProcess]>([])

    /// The default store of the fixture: `<directory>/store` (created by ``initStore()``).
    var store: String { directory + "/store" }

    /// A path inside the fixture directory.
    func path(_ name: String) -> String { directory + "/" + name }

    /// Starts `annals ARGUMENTS` in the fixture directory with pipes on stdin, stdout and stderr. The fixture
    /// fails the test if the command is still running (not ``ChildProcess/finish(timeout:closingInput:)``ed) when
    /// the test's body returns, and kills it.
    func start(_ arguments: [String], environment: [String: String] = [:]) throws -> ChildProcess {
        let child = try ChildProcess(binary, arguments, environment: environment, directory: directory)
        children.withLock { $0.append(child) }
        return child
    }

    /// Kills and reaps the children not finished yet; records an issue for each when `report` is set.
    fileprivate func stopChildren(report: Bool) {
        for child in children.withLock({ $0 }) where !child.isFinished {
            if report { Issue.record("a command was left running: annals \(child.arguments.joined(separator: " "))") }
            child.kill()
            _ = child.finish(timeout: 30)
        }
    }

    /// Runs `annals ARGUMENTS` in the fixture directory.
    @discardableResult
    func run(
        _ arguments: [String], stdin: [UInt8]? = nil, environment: [String: String] = [:], timeout: Double = 60,
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> CLIResult {
        try runProcess(
            binary, arguments, stdin: stdin, environment: environment, directory: directory, timeout: timeout,
            sourceLocation: sourceLocation)
    }

    /// Runs `annals ARGUMENTS --store STORE` (the fixture's store unless another is given).
    @discardableResult
    func annals(
        _ arguments: String..., store: String? = nil, stdin: String? = nil, environment: [String: String] = [:],
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> CLIResult {
        try run(
            arguments + ["--store", store ?? self.store], stdin: stdin.map { Array($0.utf8) },
            environment: environment, sourceLocation: sourceLocation)
    }

    /// Runs `annals ARGUMENTS --store STORE` with raw bytes on stdin.
    @discardableResult
    func annals(
        _ arguments: [String], store: String? = nil, stdinBytes: [UInt8],
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> CLIResult {
        try run(arguments + ["--store", store ?? self.store], stdin: stdinBytes, sourceLocation: sourceLocation)
    }

    /// `annals init`, expecting success.
    func initStore(_ store: String? = nil, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let result = try annals("init", store: store, sourceLocation: sourceLocation)
        try #require(result.status == Exit.ok, "\(result)", sourceLocation: sourceLocation)
    }

    /// Appends `lines` with `annals append`, expecting success; returns the receipts.
    @discardableResult
    func append(
        _ lines: [String], store: String? = nil, extra: [String] = [],
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> [JSONObject] {
        let input = lines.joined(separator: "\n") + "\n"
        let result = try run(
            ["append", "--store", store ?? self.store] + extra, stdin: Array(input.utf8),
            sourceLocation: sourceLocation)
        try #require(result.status == Exit.ok, "\(result)", sourceLocation: sourceLocation)
        let receipts = result.objects(sourceLocation: sourceLocation)
        try #require(receipts.count == lines.count, "\(result)", sourceLocation: sourceLocation)
        return receipts
    }

    /// `annals head` as a JSON object.
    func head(_ store: String? = nil, sourceLocation: SourceLocation = #_sourceLocation) throws -> JSONObject {
        let result = try annals("head", store: store, sourceLocation: sourceLocation)
        try #require(result.status == Exit.ok, "\(result)", sourceLocation: sourceLocation)
        return try result.object(sourceLocation: sourceLocation)
    }

    /// The last offset, from `annals head`.
    func headOffset(_ store: String? = nil, sourceLocation: SourceLocation = #_sourceLocation) throws -> Int {
        try #require(try head(store, sourceLocation: sourceLocation).int("offset"), sourceLocation: sourceLocation)
    }

    /// Every event, from `annals read`.
    func readAll(_ store: String? = nil, sourceLocation: SourceLocation = #_sourceLocation) throws -> [JSONObject] {
        let result = try annals("read", store: store, sourceLocation: sourceLocation)
        try #require(result.status == Exit.ok, "\(result)", sourceLocation: sourceLocation)
        return result.objects(sourceLocation: sourceLocation)
    }
}

/// Runs `body` with a fresh fixture directory, removed afterwards whatever happens.
func withCLIFixture<R>(_ body: (CLIFixture) throws -> R) throws -> R {
    let binary = try AnnalsBinary.require()
    let directory = FileManager.default.temporaryDirectory
        .appendingPathComponent("annals-cli-test-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let fixture = CLIFixture(directory: directory, binary: binary)
    do {
        let result = try body(fixture)
        fixture.stopChildren(report: true)
        return result
    } catch {
        fixture.stopChildren(report: false)
        throw error
    }
}

// MARK: - Event lines

/// A JSON string literal.
func jsonString(_ text: String) -> String {
    var out = "\""
    for scalar in text.unicodeScalars {
        switch scalar {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\t": out += "\\t"
        case "\r": out += "\\r"
        default:
            if scalar.value < 0x20 {
                out += String(format: "\\u%04x", scalar.value)
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
    }
    return out + "\""
}

/// One input line for `annals append`; `metadata` is raw JSON.
func eventLine(
    type: String = "item.created", actor: String? = nil, target: String? = nil, group: String? = nil,
    id: UUID? = nil, timestamp: Int64? = nil, expectedVersion: UInt64? = nil, metadata: String? = nil
) -> String {
    var fields = ["\"type\":\(jsonString(type))"]
    if let id { fields.append("\"id\":\"\(id.uuidString.lowercased())\"") }
    if let actor { fields.append("\"actorId\":\(jsonString(actor))") }
    if let target { fields.append("\"targetId\":\(jsonString(target))") }
    if let group { fields.append("\"groupId\":\(jsonString(group))") }
    if let timestamp { fields.append("\"timestamp\":\(timestamp)") }
    if let expectedVersion { fields.append("\"expectedVersion\":\(expectedVersion)") }
    if let metadata { fields.append("\"metadata\":\(metadata)") }
    return "{" + fields.joined(separator: ",") + "}"
}

/// `count` varied, valid events (types, actors, targets and groups cycle).
func sampleLines(_ count: Int, start: Int = 0) -> [String] {
    let types = ["item.created", "item.updated", "link.created", "plugin_action_executed"]
    return (start..<start + count).map { i in
        eventLine(
            type: types[i % types.count], actor: "user-\(i % 7)", target: "thing-\(i % 11)", group: "org-\(i % 3)",
            metadata: "{\"n\":\(i),\"name\":\"Item \(i)\",\"tags\":[\"a\",\"b\"],\"amount\":\(i * 3)}")
    }
}

/// Forty `thing.created` events of org-a, then an update of thing-7: the things view's record of thing-7 holds both
/// its properties, ``viewOnlyRecord``, which no single event does, so only its page (and perhaps a freed copy of it)
/// holds those bytes.
func thingsWithAViewOnlyRecord() -> [String] {
    var lines = (0..<40).map { i in
        eventLine(
            type: "thing.created", actor: "u", target: "thing-\(i)", group: "org-a",
            metadata: #"{"thingType":"lamp","properties":{"a":"view-only-\#(i)"}}"#)
    }
    lines.append(
        eventLine(
            type: "thing.updated", actor: "u", target: "thing-7", metadata: #"{"properties":{"b":"marker-41d7"}}"#))
    return lines
}

/// The bytes only the things view's page of thing-7 holds after ``thingsWithAViewOnlyRecord()``.
let viewOnlyRecord = #""a":"view-only-7","b":"marker-41d7""#

/// Damages every page of `store`'s data file (after the two meta pages) that holds the bytes of `needle`: the high
/// byte of the page's first node offset is flipped, so that it points past the page's end, as a B-tree walk notices.
/// - Returns: How many pages were damaged.
@discardableResult
func damagePages(holding needle: String, in store: String, pageSize: Int = 4_096) throws -> Int {
    let file = URL(fileURLWithPath: store + "/data.mdb")
    var data = try Data(contentsOf: file)
    var pages: [Int] = []
    var start = 2 * pageSize
    while let range = data.range(of: Data(needle.utf8), in: start..<data.count) {
        pages.append(range.lowerBound / pageSize)
        start = range.upperBound
    }
    for page in Set(pages) { data[page * pageSize + 17] ^= 0x80 }
    try data.write(to: file)
    return Set(pages).count
}

// MARK: - Processes

/// A lock-protected value shared with reader threads.
final class Locked<Value>: @unchecked Sendable {
    private let condition = NSCondition()
    private var value: Value

    init(_ value: Value) { self.value = value }

    func withLock<R>(_ body: (inout Value) throws -> R) rethrows -> R {
        condition.lock()
        defer {
            condition.broadcast()
            condition.unlock()
        }
        return try body(&value)
    }

    /// Waits until `predicate` holds or `timeout` seconds pass; returns whether it holds.
    func wait(timeout: Double, until predicate: (Value) -> Bool) -> Bool {
        let deadline = Date(timeIntervalSinceNow: timeout)
        condition.lock()
        defer { condition.unlock() }
        while !predicate(value) {
            if !condition.wait(until: deadline) { return predicate(value) }
        }
        return true
    }
}

/// Reads a file descriptor to its end on a thread.
final class PipeDrain: @unchecked Sendable {
    private struct State {
        var bytes: [UInt8] = []
        var ended = false
    }

    private let state = Locked(State())

    init(_ handle: FileHandle) {
        let fd = handle.fileDescriptor
        let thread = Thread { [state] in
            var buffer = [UInt8](repeating: 0, count: 64 << 10)
            while true {
                let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress!, $0.count) }
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { break }
                state.withLock { $0.bytes.append(contentsOf: buffer[0..<n]) }
            }
            state.withLock { $0.ended = true }
            withExtendedLifetime(handle) {}
        }
        thread.start()
    }

    /// Everything read so far.
    var bytes: [UInt8] { state.withLock { $0.bytes } }

    /// The complete (newline-terminated) lines read so far.
    var completeLines: [String] {
        let bytes = self.bytes
        guard let lastNewline = bytes.lastIndex(of: 0x0A) else { return [] }
        return bytes[..<lastNewline].split(separator: 0x0A, omittingEmptySubsequences: true)
            .map { String(decoding: $0, as: UTF8.self) }
    }

    /// Waits for the end of the input; returns whether it came within `timeout` seconds.
    @discardableResult
    func waitForEnd(timeout: Double) -> Bool { state.wait(timeout: timeout) { $0.ended } }

    /// Waits until at least `count` complete lines were read (or the input ended).
    @discardableResult
    func waitForLines(_ count: Int, timeout: Double) -> Bool {
        state.wait(timeout: timeout) { state in
            state.ended || state.bytes.lazy.filter { $0 == 0x0A }.count >= count
        }
    }
}

/// A running child process with pipes on stdin, stdout and stderr, started with `posix_spawn` (``SpawnedProcess``:
/// Foundation's `Process.run()` can crash a process that starts many children).
final class ChildProcess: @unchecked Sendable {
    let arguments: [String]
    let process: SpawnedProcess
    let stdout: PipeDrain
    let stderr: PipeDrain
    private let inputFD: Int32
    private let inputClosed = Locked(false)
    private let finished = Locked(false)

    /// Whether ``finish(timeout:closingInput:)`` returned.
    var isFinished: Bool { finished.withLock { $0 } }

    init(
        _ executable: String, _ arguments: [String], environment: [String: String] = [:], directory: String? = nil
    ) throws {
        self.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        env.removeValue(forKey: "ANNALS_STORE")
        env.merge(environment) { $1 }
        // The test process's ends of the pipes are closed on exec: no other child holds a copy, so each end is seen.
        let input = try SpawnedProcess.pipe(), output = try SpawnedProcess.pipe(), errors = try SpawnedProcess.pipe()
        defer { for descriptor in [input.read, output.write, errors.write] { close(descriptor) } }
        do {
            process = try SpawnedProcess(
                executable, arguments, environment: env, directory: directory, standardInput: input.read,
                standardOutput: output.write, standardError: errors.write)
        } catch {
            for descriptor in [input.write, output.read, errors.read] { close(descriptor) }
            throw error
        }
        inputFD = input.write
        stdout = PipeDrain(FileHandle(fileDescriptor: output.read, closeOnDealloc: true))
        stderr = PipeDrain(FileHandle(fileDescriptor: errors.read, closeOnDealloc: true))
    }

    deinit { closeInput() }

    var pid: Int32 { process.pid }

    /// Writes `bytes` to the child's stdin; `false` once the child stopped reading (`EPIPE`) or input was closed.
    @discardableResult
    func send(_ bytes: [UInt8]) -> Bool {
        if inputClosed.withLock({ $0 }) { return false }
        var written = 0
        while written < bytes.count {
            let n = bytes.withUnsafeBytes { write(inputFD, $0.baseAddress! + written, $0.count - written) }
            if n < 0 {
                if errno == EINTR { continue }
                return false
            }
            written += n
        }
        return true
    }

    @discardableResult
    func send(_ text: String) -> Bool { send(Array(text.utf8)) }

    /// Closes stdin (end of input for the child).
    func closeInput() {
        let first = inputClosed.withLock { closed -> Bool in
            defer { closed = true }
            return !closed
        }
        if first { close(inputFD) }
    }

    /// Sends `signal` to the child.
    func kill(_ signal: Int32 = SIGKILL) {
        process.kill(signal)
    }

    /// Waits for the child to exit (killing it after `timeout` seconds) and for its output to end; closes stdin
    /// first unless `closingInput` is false (someone else is still feeding it).
    func finish(timeout: Double = 60, closingInput: Bool = true) -> CLIResult {
        if closingInput { closeInput() }
        var timedOut = false
        if process.waitForExit(timeout: timeout) == nil {
            timedOut = true
            process.kill(SIGKILL)
            process.waitForExit()
        }
        stdout.waitForEnd(timeout: 10)
        stderr.waitForEnd(timeout: 10)
        finished.withLock { $0 = true }
        return CLIResult(
            arguments: arguments, status: process.terminationStatus ?? -1, signaled: process.wasSignaled ?? false,
            stdout: stdout.bytes, stderr: stderr.bytes, timedOut: timedOut)
    }
}

/// Runs a command to completion: `stdin` bytes in (or nothing), stdout and stderr collected. A command still
/// running after `timeout` seconds is killed and the test fails.
func runProcess(
    _ executable: String, _ arguments: [String], stdin: [UInt8]? = nil, environment: [String: String] = [:],
    directory: String? = nil, timeout: Double = 60, sourceLocation: SourceLocation = #_sourceLocation
) throws -> CLIResult {
    let child = try ChildProcess(executable, arguments, environment: environment, directory: directory)
    if let stdin {
        let feeder = Thread {
            child.send(stdin)
            child.closeInput()
        }
        feeder.start()
    } else {
        child.closeInput()
    }
    let result = child.finish(timeout: timeout, closingInput: stdin == nil)
    if result.timedOut {
        Issue.record("timed out after \(timeout) s: \(result)", sourceLocation: sourceLocation)
    }
    return result
}

/// Runs a shell command line with bash.
func runShell(_ script: String, directory: String? = nil, timeout: Double = 60) throws -> CLIResult {
    try runProcess("/bin/bash", ["-c", script], directory: directory, timeout: timeout)
}

extension CLIFixture {
    /// The binary's and the store's paths quoted for a shell command line.
    var shellWords: (annals: String, store: String) { (shellQuoted(binary), shellQuoted(store)) }
}

/// Quotes `text` for a POSIX shell.
func shellQuoted(_ text: String) -> String {
    "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'"
}

// MARK: - Bytes

/// Every position of `needle` in `haystack`.
func positions(of needle: [UInt8], in haystack: [UInt8]) -> [Int] {
    guard !needle.isEmpty, haystack.count >= needle.count else { return [] }
    var found: [Int] = []
    let first = needle[0]
    var i = 0
    let last = haystack.count - needle.count
    while i <= last {
        if haystack[i] == first && haystack[i..<i + needle.count].elementsEqual(needle) { found.append(i) }
        i += 1
    }
    return found
}

/// Bytes for a hex string.
func bytes(hex: String) -> [UInt8]? {
    let digits = Array(hex.utf8)
    guard digits.count % 2 == 0 else { return nil }
    var out: [UInt8] = []
    var i = 0
    while i < digits.count {
        guard let byte = UInt8(String(decoding: digits[i..<i + 2], as: UTF8.self), radix: 16) else { return nil }
        out.append(byte)
        i += 2
    }
    return out
}

/// Copies a directory (a store) to a new path.
func copyDirectory(_ source: String, to destination: String) throws {
    try FileManager.default.copyItem(atPath: source, toPath: destination)
}

// MARK: - Tail, cursors, replay and audit

extension CLIResult {
    /// The `offset` of every JSON line printed, in order.
    var offsets: [Int] { lines.compactMap { JSONObject($0)?.int("offset") } }
}

extension CLIFixture {
    /// `annals cursors show NAME` as a JSON object, or `nil` when the cursor does not exist (exit 4).
    func cursor(
        _ name: String, store: String? = nil, sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> JSONObject? {
        let result = try annals("cursors", "show", name, store: store, sourceLocation: sourceLocation)
        if result.status == Exit.notFound { return nil }
        try #require(result.status == Exit.ok, "\(result)", sourceLocation: sourceLocation)
        return try result.object(sourceLocation: sourceLocation)
    }
}

extension ChildProcess {
    /// Waits up to `timeout` seconds for the child to exit by itself (it is not killed); returns whether it did.
    func waitForExit(timeout: Double) -> Bool {
        waitUntil(timeout: timeout) { !process.isRunning }
    }
}

/// Checks `condition` every `interval` seconds until it holds or `timeout` seconds pass; returns whether it held.
func waitUntil(timeout: Double, interval: Double = 0.01, _ condition: () throws -> Bool) rethrows -> Bool {
    let deadline = Date(timeIntervalSinceNow: timeout)
    while true {
        if try condition() { return true }
        if Date() >= deadline { return false }
        usleep(UInt32(interval * 1_000_000))
    }
}

/// Runs `body` with no signal blocked on the calling thread. A child inherits the signal mask of the thread that
/// starts it, and test threads block most signals, SIGINT and SIGTERM included: a child that must see those signals,
/// as it would when started from a shell, has to be started inside this.
func withSignalsUnblocked<R>(_ body: () throws -> R) rethrows -> R {
    var none = sigset_t()
    sigemptyset(&none)
    var previous = sigset_t()
    pthread_sigmask(SIG_SETMASK, &none, &previous)
    defer { pthread_sigmask(SIG_SETMASK, &previous, nil) }
    return try body()
}

extension CLIFixture {
    /// ``start(_:environment:)`` with no signal blocked in the child (see ``withSignalsUnblocked(_:)``).
    func startUnblocked(_ arguments: [String]) throws -> ChildProcess {
        try withSignalsUnblocked { try start(arguments) }
    }
}

/// The SHA-256 of each example module, by file name, read from the example registry.
func exampleDigests() throws -> [String: String] {
    let data = try Data(contentsOf: URL(fileURLWithPath: RepositoryPaths.examplePlugins + "/registry.json"))
    let registry = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    var digests: [String: String] = [:]
    for plugin in registry["plugins"] as? [[String: Any]] ?? [] {
        for version in plugin["versions"] as? [[String: Any]] ?? [] {
            guard let artifact = version["artifact"] as? [String: String], let path = artifact["path"] else { continue }
            digests[path] = artifact["sha256"]
        }
    }
    return digests
}
