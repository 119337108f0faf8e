import Foundation

/// A local HTTP server (a real Python process) that answers every GET with a chunked body of zeros, announcing no
/// length, and reports how much of each body it could hand to the connection before the client stopped reading.
public struct ChunkedHTTPServer: Sendable {
    /// The server's base URL, `http://127.0.0.1:PORT`: every path serves the body.
    public let base: String
    private let output: FileHandle

    /// Serves a chunked body of `bodyBytes` zeros (in 64 KiB chunks) for the duration of `body`; the process is
    /// stopped and reaped afterwards.
    /// - Throws: ``LocalHTTPServerFailure`` when the server does not start, or what `body` throws.
    public static func serving<R>(
        bodyBytes: Int, _ body: (ChunkedHTTPServer) async throws -> R
    ) async throws -> R {
        let script = """
            import http.server, sys
            total = int(sys.argv[1])
            class Handler(http.server.BaseHTTPRequestHandler):
                protocol_version = "HTTP/1.1"
                def log_message(self, *arguments):
                    pass
                def do_GET(self):
                    self.send_response(200)
                    self.send_header("Transfer-Encoding", "chunked")
                    self.end_headers()
                    chunk = bytes(65536)
                    frame = b"%x\\r\\n" % len(chunk) + chunk + b"\\r\\n"
                    sent = 0
                    try:
                        while sent < total:
                            self.wfile.write(frame)
                            sent += len(chunk)
                        self.wfile.write(b"0\\r\\n\\r\\n")
                    except OSError:
                        pass
                    self.close_connection = True
                    print(sent, flush=True)
            server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
            print(server.server_port, flush=True)
            server.serve_forever()
            """
        return try await withPythonServer(script: script, arguments: [String(bodyBytes)]) { base, output in
            try await body(ChunkedHTTPServer(base: base, output: output))
        }
    }

    /// How many body bytes the server handed to the connection for the next response to end, in order: written to
    /// the socket before the client closed it (what the kernel's buffers held counts as sent). Waits for that
    /// response to end.
    public func sentBytes() throws -> Int? {
        try readLine(from: output).flatMap { Int($0) }
    }
}
