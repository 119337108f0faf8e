import Foundation

/// Serves `directory` over HTTP on a free port of 127.0.0.1 with Python's `http.server` (a real process), for the
/// duration of `body`, which gets the server's base URL (`http://127.0.0.1:PORT`); the process is stopped and reaped
/// afterwards.
/// - Throws: ``LocalHTTPServerFailure`` when the server prints no port (Python is missing or failed), or what `body`
///   throws.
public func withHTTPServer<R>(serving directory: String, _ body: (String) async throws -> R) async throws -> R {
    let script = """
        import functools, http.server, sys
        handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=sys.argv[1])
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        print(server.server_port, flush=True)
        server.serve_forever()
        """
    return try await withPythonServer(script: script, arguments: [directory]) { base, _ in try await body(base) }
}

/// Runs the Python server `script` (a real process) with `arguments` for the duration of `body`, which gets the
/// server's base URL (`http://127.0.0.1:PORT`, the port being the first line the script prints) and the script's
/// standard output after that line; the process is stopped and reaped afterwards.
/// - Throws: ``LocalHTTPServerFailure`` when the server prints no port (Python is missing or failed), or what `body`
///   throws.
func withPythonServer<R>(
    script: String, arguments: [String], _ body: (String, FileHandle) async throws -> R
) async throws -> R {
    let ends = try SpawnedProcess.pipe()
    let output = FileHandle(fileDescriptor: ends.read, closeOnDealloc: true)
    let nothing = open("/dev/null", O_RDWR | O_CLOEXEC)
    let process: SpawnedProcess
    do {
        defer {
            close(ends.write)
            close(nothing)
        }
        process = try SpawnedProcess(
            "/usr/bin/env", ["python3", "-u", "-c", script] + arguments,
            environment: ProcessInfo.processInfo.environment, standardInput: nothing, standardOutput: ends.write,
            standardError: nothing)
    }
    defer {
        // SIGKILL: the test process's blocked signals (SIGTERM among them) are inherited by its children.
        process.kill(SIGKILL)
        process.waitForExit()
    }
    let line = try readLine(from: output) ?? ""
    guard let port = Int(line) else { throw LocalHTTPServerFailure(output: line) }
    return try await body("http://127.0.0.1:\(port)", output)
}

/// The next line of `handle`, without its newline; `nil` at the end of the output.
func readLine(from handle: FileHandle) throws -> String? {
    var line: [UInt8] = []
    while let byte = try handle.read(upToCount: 1)?.first {
        if byte == 0x0A { return String(decoding: line, as: UTF8.self) }
        line.append(byte)
    }
    return line.isEmpty ? nil : String(decoding: line, as: UTF8.self)
}

/// The local HTTP server did not start: it printed `output` instead of its port.
public struct LocalHTTPServerFailure: Error, CustomStringConvertible {
    /// What the server printed.
    public var output: String

    /// What went wrong.
    public var description: String { "the HTTP server printed no port (python3 -m http.server): '\(output)'" }
}
