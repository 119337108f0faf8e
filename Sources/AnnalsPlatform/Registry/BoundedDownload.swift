import Foundation

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// Collects one HTTP response body for ``RegistrySource/download(_:source:maximumBytes:)``, cancelling the transfer
/// once the body passes its limit (announced in `Content-Length` or counted as it arrives) or the status is not 2xx.
final class BoundedDownload: NSObject, URLSessionDataDelegate, @unchecked Sendable {
    private let source: String
    private let maximumBytes: Int
    private let lock = NSLock()
    private let finished = DispatchSemaphore(value: 0)
    private var body: [UInt8] = []
    private var failure: PlatformError?

    init(source: String, maximumBytes: Int) {
        self.source = source
        self.maximumBytes = maximumBytes
    }

    /// Waits for the transfer to end and returns the body.
    func result() throws(PlatformError) -> [UInt8] {
        finished.wait()
        let (body, failure) = lock.withLock { (self.body, self.failure) }
        if let failure { throw failure }
        return body
    }

    private func fail(_ reason: String) {
        lock.withLock { if failure == nil { failure = .unreadableSource(source: source, reason: reason) } }
    }

    private var tooLarge: String { "the response is larger than \(maximumBytes) bytes" }

    func urlSession(
        _ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
        completionHandler: @escaping (URLSession.ResponseDisposition) -> Void
    ) {
        if let http = response as? HTTPURLResponse, !(200..<300).contains(http.statusCode) {
            fail("HTTP status \(http.statusCode)")
            completionHandler(.cancel)
        } else if response.expectedContentLength > Int64(maximumBytes) {
            fail(tooLarge)
            completionHandler(.cancel)
        } else {
            completionHandler(.allow)
        }
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
        let over = lock.withLock { () -> Bool in
            guard failure == nil else { return false }
            guard body.count + data.count <= maximumBytes else { return true }
            body.append(contentsOf: data)
            return false
        }
        if over {
            fail(tooLarge)
            dataTask.cancel()
        }
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: (any Error)?) {
        if let error { fail(error.localizedDescription) }
        finished.signal()
    }
}
