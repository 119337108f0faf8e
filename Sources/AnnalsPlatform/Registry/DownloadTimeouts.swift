/// How long a download at sync (a registry file or a plugin module given by URL) may take, phase by phase.
///
/// The connection is given far less time than the transfer: a host that does not answer is known within
/// ``connect``, and ``PluginPlatform/sync(_:scope:name:actorId:downloadTimeouts:)`` then skips the other downloads
/// from that host for the rest of the sync instead of waiting for each one.
public struct DownloadTimeouts: Sendable, Hashable {
    /// Seconds to resolve the host and connect (TLS handshake included). The corresponding libcurl option is
    /// `CURLOPT_CONNECTTIMEOUT_MS`.
    public var connect: Double
    /// Seconds a transfer may run below ``minimumBytesPerSecond`` before it is abandoned as stalled. The
    /// corresponding libcurl option is `CURLOPT_LOW_SPEED_TIME`.
    public var stall: Double
    /// The slowest transfer, in bytes per second, that is not stalled. The corresponding libcurl option is
    /// `CURLOPT_LOW_SPEED_LIMIT`.
    public var minimumBytesPerSecond: Int
    /// Seconds the whole download may take, connection included. The corresponding libcurl option is
    /// `CURLOPT_TIMEOUT_MS`.
    public var total: Double

    /// Timeouts for downloads.
    /// - Parameters:
    ///   - connect: Seconds to resolve and connect (default 5).
    ///   - stall: Seconds below `minimumBytesPerSecond` before a transfer is abandoned (default 30).
    ///   - minimumBytesPerSecond: The slowest transfer that is not stalled (default 1,024).
    ///   - total: Seconds the whole download may take (default 600: 64 MiB at about 110 KiB/s).
    public init(connect: Double = 5, stall: Double = 30, minimumBytesPerSecond: Int = 1_024, total: Double = 600) {
        self.connect = connect
        self.stall = stall
        self.minimumBytesPerSecond = minimumBytesPerSecond
        self.total = total
    }

    /// The defaults: 5 s to connect, abandoned below 1 KiB/s for 30 s, 10 minutes in all.
    public static let standard = DownloadTimeouts()
}
