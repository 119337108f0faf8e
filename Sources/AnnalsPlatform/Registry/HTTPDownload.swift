import CCurl
import Foundation

/// One HTTP(S) GET through libcurl, its body handed to a receiver chunk by chunk as it arrives.
///
/// Nothing is read ahead of the receiver: libcurl reads the next chunk (at most its 16 KiB buffer) only once the
/// receiver has taken the last one, so memory stays bounded whatever the body's size and however fast the server
/// sends it. Redirects are followed (to http and https only, at most ``maximumRedirects``), and only the response
/// they lead to is judged: a status outside 200–299 fails as soon as its headers end, before any of its body is
/// received, and so does a `Content-Length` above the limit (a redirect's or an error page's own length is no
/// module's); a body that announces no length fails as soon as the bytes counted pass the limit, and nothing more is
/// read. The calling thread waits for the transfer (the CLI is synchronous; a sync is rare). The corresponding C
/// function is `curl_easy_perform`.
enum HTTPDownload {
    /// The most redirects followed.
    static let maximumRedirects = 10

    /// libcurl's process-wide initialisation, done once before the first transfer.
    private static let initialization = annals_curl_global_init()

    /// Downloads `url`, handing each chunk of its body to `receive`, in order.
    /// - Parameters:
    ///   - maximumBytes: The largest body accepted.
    ///   - timeouts: How long connecting and transferring may take.
    ///   - receive: Takes one chunk; what it throws stops the transfer (``DownloadFailure/receiver(_:)``).
    /// - Throws: ``DownloadFailure``.
    static func get(
        _ url: URL, maximumBytes: Int, timeouts: DownloadTimeouts, receive: (UnsafeRawBufferPointer) throws -> Void
    ) throws(DownloadFailure) {
        let outcome = withoutActuallyEscaping(receive) { receive in
            perform(url, maximumBytes: maximumBytes, timeouts: timeouts, receive: receive)
        }
        try outcome.get()
    }

    /// `NAME:PORT` of `url` (`[ADDRESS]:PORT` for an IPv6 address), the name in lowercase as DNS compares names,
    /// the port being the scheme's default when the URL gives none.
    static func host(of url: URL) -> String {
        let port = url.port ?? (url.scheme?.lowercased() == "https" ? 443 : 80)
        let name = (url.host ?? "?").lowercased()
        return name.contains(":") && !name.hasPrefix("[") ? "[\(name)]:\(port)" : "\(name):\(port)"
    }

    private static func perform(
        _ url: URL, maximumBytes: Int, timeouts: DownloadTimeouts,
        receive: @escaping (UnsafeRawBufferPointer) throws -> Void
    ) -> Result<Void, DownloadFailure> {
        guard initialization == CURLE_OK, let handle = curl_easy_init() else {
            return .failure(.transfer(reason: "libcurl cannot be initialised"))
        }
        defer { curl_easy_cleanup(handle) }
        let receiver = BodyReceiver(handle: handle, maximumBytes: maximumBytes, receive: receive)
        var message = [CChar](repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
        let code = message.withUnsafeMutableBufferPointer { buffer in
            withExtendedLifetime(receiver) { () -> CURLcode in
                let context = Unmanaged.passUnretained(receiver).toOpaque()
                // The message buffer lives only inside this closure: libcurl lets go of it before leaving.
                defer { _ = annals_curl_set_pointer(handle, CURLOPT_ERRORBUFFER, nil) }
                guard let refused = configure(handle, url, maximumBytes, timeouts, context, buffer.baseAddress!) else {
                    return curl_easy_perform(handle)
                }
                return refused
            }
        }
        if let failure = receiver.failure { return .failure(failure) }
        let detail = String(decoding: message.prefix { $0 != 0 }.map(UInt8.init(bitPattern:)), as: UTF8.self)
        let reason = detail.isEmpty ? String(cString: curl_easy_strerror(code)) : detail
        switch code {
        case CURLE_OK:
            let status = responseCode(handle)
            return (200..<300).contains(status) ? .success(()) : .failure(.status(status))
        // A timeout counts as an unreachable host only before the request to it was sent (the `where` is the last
        // pattern's alone), and as an unresponsive one after it, while no response to it has begun.
        case CURLE_COULDNT_RESOLVE_PROXY, CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_CONNECT, CURLE_SSL_CONNECT_ERROR,
            CURLE_PEER_FAILED_VERIFICATION,
            CURLE_OPERATION_TIMEDOUT where !receiver.requestSent:
            return .failure(.unreachableHost(host: host(of: effectiveURL(handle) ?? url), reason: reason))
        case CURLE_OPERATION_TIMEDOUT where receiver.awaitsResponse:
            return .failure(.unresponsiveHost(host: host(of: effectiveURL(handle) ?? url), reason: reason))
        default:
            return .failure(.transfer(reason: reason))
        }
    }

    /// Sets the transfer's options; returns the code of the first one libcurl refuses, or `nil`.
    private static func configure(
        _ handle: UnsafeMutableRawPointer, _ url: URL, _ maximumBytes: Int, _ timeouts: DownloadTimeouts,
        _ context: UnsafeMutableRawPointer, _ message: UnsafeMutablePointer<CChar>
    ) -> CURLcode? {
        let milliseconds = { (seconds: Double) in max(1, Int(seconds * 1000)) }
        let codes: [CURLcode] = [
            annals_curl_set_pointer(handle, CURLOPT_ERRORBUFFER, message),
            url.absoluteString.withCString { annals_curl_set_pointer(handle, CURLOPT_URL, $0) },
            annals_curl_allow_http_only(handle),
            "annals".withCString { annals_curl_set_pointer(handle, CURLOPT_USERAGENT, $0) },
            annals_curl_set_long(handle, CURLOPT_NOSIGNAL, 1),
            annals_curl_set_long(handle, CURLOPT_FOLLOWLOCATION, 1),
            annals_curl_set_long(handle, CURLOPT_MAXREDIRS, maximumRedirects),
            annals_curl_set_long(handle, CURLOPT_CONNECTTIMEOUT_MS, milliseconds(timeouts.connect)),
            annals_curl_set_long(handle, CURLOPT_TIMEOUT_MS, milliseconds(timeouts.total)),
            annals_curl_set_long(handle, CURLOPT_LOW_SPEED_LIMIT, max(1, timeouts.minimumBytesPerSecond)),
            annals_curl_set_long(handle, CURLOPT_LOW_SPEED_TIME, max(1, Int(timeouts.stall.rounded(.up)))),
            // A proxy's answer to CONNECT is no response of the server's: the header callback sees none.
            annals_curl_set_long(handle, CURLOPT_SUPPRESS_CONNECT_HEADERS, 1),
            // Not CURLOPT_MAXFILESIZE: libcurl applies it to every response, a redirect's included, and fails an
            // error page that announces a large body as too large; the header callback judges the final one only.
            annals_curl_set_pointer(handle, CURLOPT_HEADERDATA, context),
            annals_curl_set_header_function(handle) { buffer, size, count, context in
                guard let buffer, let context else { return 0 }
                let receiver = Unmanaged<BodyReceiver>.fromOpaque(context).takeUnretainedValue()
                return receiver.takeHeader(UnsafeRawBufferPointer(start: buffer, count: size * count))
                    ? size * count : 0
            },
            annals_curl_set_pointer(handle, CURLOPT_WRITEDATA, context),
            annals_curl_set_write_function(handle) { buffer, size, count, context in
                guard let buffer, let context else { return 0 }
                let receiver = Unmanaged<BodyReceiver>.fromOpaque(context).takeUnretainedValue()
                return receiver.take(UnsafeRawBufferPointer(start: buffer, count: size * count)) ? size * count : 0
            },
        ]
        return codes.first { $0 != CURLE_OK }
    }

    /// The status of the last response received (0 before one).
    fileprivate static func responseCode(_ handle: UnsafeMutableRawPointer) -> Int {
        var status = 0
        _ = annals_curl_get_long(handle, CURLINFO_RESPONSE_CODE, &status)
        return status
    }

    /// The time from the start until the request was about to be sent, in microseconds, summed over the requests
    /// sent so far (a redirect's included); 0 before the first.
    fileprivate static func pretransferTime(_ handle: UnsafeMutableRawPointer) -> curl_off_t {
        var microseconds: curl_off_t = 0
        _ = annals_curl_get_offset(handle, CURLINFO_PRETRANSFER_TIME_T, &microseconds)
        return microseconds
    }

    /// How many redirects libcurl has followed: it counts one as it moves on to the URL the redirect gives.
    fileprivate static func redirectCount(_ handle: UnsafeMutableRawPointer) -> Int {
        var count = 0
        _ = annals_curl_get_long(handle, CURLINFO_REDIRECT_COUNT, &count)
        return count
    }

    /// The URL last asked for, after redirects.
    private static func effectiveURL(_ handle: UnsafeMutableRawPointer) -> URL? {
        var text: UnsafeMutablePointer<CChar>?
        guard annals_curl_get_string(handle, CURLINFO_EFFECTIVE_URL, &text) == CURLE_OK, let text else { return nil }
        return URL(string: String(cString: text))
    }
}

/// Takes the header lines and body chunks libcurl hands over for one transfer, stopping it (by taking nothing) once
/// the final response's status is not 2xx, its body announces or passes its limit, or the receiver throws;
/// ``failure`` then says why.
private final class BodyReceiver {
    private let handle: UnsafeMutableRawPointer
    private let maximumBytes: Int
    private let receive: (UnsafeRawBufferPointer) throws -> Void
    private var received = 0
    private var statusChecked = false
    /// The `Content-Length` of the response whose headers are being received, if it gave one.
    private var announcedLength: UInt64?
    /// Why the transfer was stopped, if it was.
    private(set) var failure: DownloadFailure?
    /// The redirects followed and the pre-transfer time when the last response line (`HTTP/`) arrived, or `nil`
    /// before one: a higher count since means libcurl has moved on to another URL, a later time that it has sent its
    /// request there.
    private var lastResponse: (redirects: Int, pretransfer: curl_off_t)?

    /// Whether the URL libcurl asks for now (the first, or the one a redirect gave) has had no response line yet. A
    /// response whose headers or body (a redirect's included) stall has begun: its host answered.
    var awaitsResponse: Bool {
        guard let lastResponse else { return true }
        return HTTPDownload.redirectCount(handle) > lastResponse.redirects
    }

    /// Whether the request for the URL libcurl asks for now was sent, which a timeout while connecting precludes
    /// (libcurl sums the pre-transfer time over a redirect's requests: only a later one than at the last response
    /// says the request after a redirect was sent).
    var requestSent: Bool {
        !awaitsResponse || HTTPDownload.pretransferTime(handle) > (lastResponse?.pretransfer ?? 0)
    }

    init(
        handle: UnsafeMutableRawPointer, maximumBytes: Int, receive: @escaping (UnsafeRawBufferPointer) throws -> Void
    ) {
        self.handle = handle
        self.maximumBytes = maximumBytes
        self.receive = receive
    }

    /// Takes one header line (each response's status line, fields and blank last line, a redirect's and an interim
    /// 1xx response's included); `false` stops the transfer. At the end of a response's headers, a status of 1xx or
    /// 3xx lets libcurl go on (an interim response, a redirect it follows or a 3xx it ends with, judged then); any
    /// other status but 2xx, or a `Content-Length` past the limit, stops it.
    func takeHeader(_ line: UnsafeRawBufferPointer) -> Bool {
        let text = String(decoding: line, as: UTF8.self)
        if text.hasPrefix("HTTP/") {
            announcedLength = nil
            lastResponse = (HTTPDownload.redirectCount(handle), HTTPDownload.pretransferTime(handle))
            return true
        }
        guard text.allSatisfy(\.isWhitespace) else {
            if let colon = text.firstIndex(of: ":"), text[..<colon].lowercased() == "content-length" {
                announcedLength = UInt64(
                    text[text.index(after: colon)...].trimmingCharacters(in: .whitespacesAndNewlines))
            }
            return true
        }
        let status = HTTPDownload.responseCode(handle)
        if status == 0 || (100..<200).contains(status) || (300..<400).contains(status) || statusChecked { return true }
        guard acceptsStatus(status) else { return false }
        if let announcedLength, announcedLength > UInt64(maximumBytes) {
            failure = .tooLarge(maximumBytes: maximumBytes)
            return false
        }
        return true
    }

    /// Judges the final response's `status`, once: `false` (with ``failure`` set) unless it is 2xx.
    private func acceptsStatus(_ status: Int) -> Bool {
        statusChecked = true
        guard (200..<300).contains(status) else {
            failure = .status(status)
            return false
        }
        return true
    }

    /// Takes one chunk; `false` stops the transfer.
    func take(_ chunk: UnsafeRawBufferPointer) -> Bool {
        if !statusChecked && !acceptsStatus(HTTPDownload.responseCode(handle)) { return false }
        guard chunk.count <= maximumBytes - received else {
            failure = .tooLarge(maximumBytes: maximumBytes)
            return false
        }
        do {
            try receive(chunk)
        } catch {
            failure = .receiver(error)
            return false
        }
        received += chunk.count
        return true
    }
}
