/// Why an ``HTTPDownload`` brought no body.
enum DownloadFailure: Error, Sendable, CustomStringConvertible {
    /// No connection to `host` (`NAME:PORT`) could be made: the name does not resolve, the port refuses, nothing
    /// answered within ``DownloadTimeouts/connect``, or the TLS handshake failed. Other downloads from the host
    /// would fail alike.
    case unreachableHost(host: String, reason: String)
    /// `host` (`NAME:PORT`) accepted the connection and the request, but no response began within the download's
    /// timeouts (``DownloadTimeouts/stall`` or ``DownloadTimeouts/total``): a hung server, or one behind a black
    /// hole. Other downloads from the host would most likely wait alike.
    case unresponsiveHost(host: String, reason: String)
    /// The server answered with a status outside 200–299.
    case status(Int)
    /// The body passes `maximumBytes`, as announced in `Content-Length` or as counted while it arrives.
    case tooLarge(maximumBytes: Int)
    /// The connection was made, but the transfer failed (reset, stalled, timed out, malformed).
    case transfer(reason: String)
    /// What received the body failed (a write to a full disk): not the server's fault.
    case receiver(any Error)

    /// The reason, as a sync's problem or error states it.
    var description: String {
        switch self {
        case .unreachableHost(let host, let reason): "cannot connect to \(host): \(reason)"
        case .unresponsiveHost(let host, let reason): "\(host) accepted the request but sent no response: \(reason)"
        case .status(let status): "HTTP status \(status)"
        case .tooLarge(let maximumBytes): "the response is larger than \(maximumBytes) bytes"
        case .transfer(let reason): reason
        case .receiver(let error): "\(error)"
        }
    }
}
