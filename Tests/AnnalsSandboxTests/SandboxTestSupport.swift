import AnnalsSandbox
import AnnalsTestSupport
import Foundation
import Testing

/// The `annals` binary the worker-process tests start, from `$ANNALS_BIN` (set by `make test`); `nil` leaves those
/// tests disabled.
let annalsBinary = ProcessInfo.processInfo.environment["ANNALS_BIN"].flatMap { $0.isEmpty ? nil : $0 }

/// The example plugins built by `make plugins`: `$ANNALS_PLUGINS_DIR`, else `<package root>/.build/plugins`.
enum Plugins {
    static let directory = RepositoryPaths.examplePlugins

    /// The parsed plugin `name` (such as `price-quote`); fails the test with a hint when it was not built.
    static func load(_ name: String) throws -> PluginModule {
        let path = directory + "/" + name + ".wasm"
        guard FileManager.default.fileExists(atPath: path) else {
            Issue.record("the example plugin \(path) is missing: run `make plugins` first")
            throw MissingPlugin(path: path)
        }
        return try PluginModule(contentsOfFile: path)
    }

    /// The raw bytes of plugin `name`.
    static func bytes(_ name: String) throws -> [UInt8] {
        _ = try load(name)
        return Array(try Data(contentsOf: URL(fileURLWithPath: directory + "/" + name + ".wasm")))
    }
}

struct MissingPlugin: Error {
    let path: String
}

/// `text` as bytes.
func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

/// The refusal of module `wasm` by the module check within `limits`; records an issue when it was accepted.
func moduleRefusal(_ wasm: [UInt8], limits: PluginModuleLimits = PluginModuleLimits()) -> PluginModuleError? {
    do {
        _ = try PluginModule(bytes: wasm, limits: limits)
        Issue.record("the module was accepted")
        return nil
    } catch {
        return error
    }
}

/// Runs `body` and returns the sandbox failure it threw; records an issue when it succeeded.
func failure(_ body: () throws -> InvocationResult) -> SandboxFailure? {
    do {
        let result = try body()
        Issue.record("expected a failure, got output \(result.outputText)")
        return nil
    } catch let error as SandboxFailure {
        return error
    } catch {
        Issue.record("expected a SandboxFailure, got \(error)")
        return nil
    }
}

/// Invokes echo's `echo` with `input`, to show the sandbox still works after a failure.
func expectEchoWorks(_ sandbox: Sandbox) throws {
    let echo = try Plugins.load("echo")
    let result = try sandbox.invoke(
        module: echo, action: "echo", input: bytes(#"{"still":"working"}"#), host: InMemoryPluginHost())
    #expect(result.outputText == #"{"still":"working"}"#)
}

/// Writes an executable shell script `text` to a file of the temporary directory named `name`, and returns its path.
///
/// Written through a close-on-exec descriptor: a process another test forks meanwhile must not inherit it open for
/// writing, or executing the script fails with `ETXTBSY` for as long as that process lives.
func writeExecutableScript(named name: String, _ text: String) throws -> URL {
    let script = FileManager.default.temporaryDirectory.appendingPathComponent(name)
    let descriptor = open(script.path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o755)
    try #require(descriptor >= 0, "cannot create \(script.path): errno \(errno)")
    defer { close(descriptor) }
    let bytes = Array(text.utf8)
    let written = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
    try #require(written == bytes.count, "cannot write \(script.path): errno \(errno)")
    return script
}
