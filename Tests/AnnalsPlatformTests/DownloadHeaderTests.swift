import AnnalsTestSupport
import Foundation
import Testing

@testable import AnnalsPlatform

/// A download judges only the response its redirects lead to, by its headers: a redirect's or an error page's own
/// `Content-Length` is no module's.
@Suite("Downloads: the headers judged")
struct DownloadHeaderTests {
    /// The limit the downloads below are given; the server announces far more.
    static let limit = 1_000

    /// The reason `url`'s download fails with.
    func failure(_ url: String) -> String? {
        do {
            _ = try RegistrySourceProbe.download(url, maximumBytes: Self.limit)
            return nil
        } catch {
            guard case .unreadableSource(_, let reason) = error as? PlatformError else { return "\(error)" }
            return reason
        }
    }

    @Test("a redirect announcing a body past the limit is followed to a module within it")
    func largeRedirect() async throws {
        try await AnnouncingHTTPServer.serving(announcedBytes: 100 << 20) { base in
            let body = try RegistrySourceProbe.download(base + "/redirect", maximumBytes: Self.limit)
            #expect(body == Array("0123456789".utf8))
        }
    }

    @Test("a redirect to another protocol than http or https is not followed")
    func redirectToAFile() async throws {
        try await AnnouncingHTTPServer.serving(announcedBytes: 0) { base in
            let reason = try #require(failure(base + "/to-file"))
            #expect(reason.contains("file"), "\(reason)")
            #expect(!reason.contains("root:"), "\(reason)")
        }
    }

    @Test("an error page announcing a body past the limit fails with its status, not as too large")
    func largeErrorPage() async throws {
        try await AnnouncingHTTPServer.serving(announcedBytes: 100 << 20) { base in
            #expect(failure(base + "/missing") == "HTTP status 404")
        }
    }

    @Test("a 2xx response announcing a body past the limit fails at its headers, before any byte of it")
    func largeAnnouncedBody() async throws {
        try await AnnouncingHTTPServer.serving(announcedBytes: 100 << 20) { base in
            #expect(failure(base + "/large") == "the response is larger than \(Self.limit) bytes")
        }
    }
}
