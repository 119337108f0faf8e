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
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["python3", "-u", "-c", script, directory]
    let output = Pipe()
    process.standardOutput = output
    process.standardError = FileHandle.nullDevice
    try process.run()
    defer {
        // SIGKILL: the test process's blocked signals (SIGTERM among them) are inherited by its children.
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }
    var line: [UInt8] = []
    while let byte = try output.fileHandleForReading.read(upToCount: 1)?.first, byte != 0x0A { line.append(byte) }
    guard let port = Int(String(decoding: line, as: UTF8.self)) else {
        throw LocalHTTPServerFailure(output: String(decoding: line, as: UTF8.self))
    }
    return try await body("http://127.0.0.1:\(port)")
}

/// The local HTTP server did not start: it printed `output` instead of its port.
public struct LocalHTTPServerFailure: Error, CustomStringConvertible {
    /// What the server printed.
    public var output: String

    /// What went wrong.
    public var description: String { "the HTTP server printed no port (python3 -m http.server): '\(output)'" }
}
