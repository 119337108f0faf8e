import Foundation

/// A local HTTP server (a real Python process) whose responses announce a `Content-Length` they never send, to test
/// how a download judges the headers of each response:
/// - `/small`: 200 with the 10 bytes `0123456789`;
/// - `/redirect`: 302 to `/small`, announcing `announcedBytes` and sending none of them;
/// - `/missing`: 404, announcing `announcedBytes` and sending 64 KiB of them;
/// - `/large`: 200, announcing `announcedBytes` and sending none of them;
/// - `/to-file`: 302 to `file:///etc/passwd`, a redirect no download may follow;
/// - `/stalled-redirect`: 302 to `/small`, announcing `announcedBytes` and sending none of them, the connection kept
///   open (a server that answers, then hangs in the redirect's body);
/// - `/to-port/N`: 302 to `http://127.0.0.1:N/module.wasm`.
public enum AnnouncingHTTPServer {
    /// Serves those paths for the duration of `body`, which gets the base URL (`http://127.0.0.1:PORT`); the process
    /// is stopped and reaped afterwards.
    /// - Throws: ``LocalHTTPServerFailure`` when the server does not start, or what `body` throws.
    public static func serving<R>(announcedBytes: Int, _ body: (String) async throws -> R) async throws -> R {
        let script = """
            import http.server, sys, time
            announced = sys.argv[1]
            class Handler(http.server.BaseHTTPRequestHandler):
                protocol_version = "HTTP/1.1"
                def log_message(self, *arguments):
                    pass
                def do_GET(self):
                    if self.path == "/small":
                        self.send_response(200)
                        self.send_header("Content-Length", "10")
                        self.end_headers()
                        self.wfile.write(b"0123456789")
                        return
                    if self.path == "/to-file":
                        self.send_response(302)
                        self.send_header("Location", "file:///etc/passwd")
                        self.send_header("Content-Length", "0")
                        self.end_headers()
                        return
                    if self.path == "/stalled-redirect":
                        self.send_response(302)
                        self.send_header("Location", "/small")
                        self.send_header("Content-Length", announced)
                        self.end_headers()
                        self.wfile.flush()
                        time.sleep(600)
                        return
                    if self.path.startswith("/to-port/"):
                        self.send_response(302)
                        self.send_header("Location", "http://127.0.0.1:%s/module.wasm" % self.path[9:])
                        self.send_header("Content-Length", "0")
                        self.end_headers()
                        return
                    status, sent = {"/redirect": (302, 0), "/missing": (404, 65536)}.get(self.path, (200, 0))
                    self.send_response(status)
                    if status == 302:
                        self.send_header("Location", "/small")
                    self.send_header("Content-Length", announced)
                    self.end_headers()
                    try:
                        self.wfile.write(bytes(sent))
                    except OSError:
                        pass
                    self.close_connection = True
            server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
            print(server.server_port, flush=True)
            server.serve_forever()
            """
        return try await withPythonServer(script: script, arguments: [String(announcedBytes)]) { base, _ in
            try await body(base)
        }
    }
}
