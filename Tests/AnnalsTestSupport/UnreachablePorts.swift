import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A port of 127.0.0.1 that refuses connections: one the system chose as free, whose socket is closed again (another
/// process binding it meanwhile is unlikely, not impossible).
/// - Throws: ``UnreachablePortFailure`` when no socket can be bound.
public func refusingPort() throws -> Int {
    let socket = try BoundSocket()
    defer { close(socket.descriptor) }
    return socket.port
}

/// A listening port of 127.0.0.1 that never accepts: its queue of pending connections is full (its backlog is 0,
/// and two connections of its own wait in it), so the kernel drops every further connection attempt and a client
/// waits until its connect timeout. Open until ``close()``.
public final class SilentListener: @unchecked Sendable {
    /// The port.
    public let port: Int
    private var descriptors: [Int32]

    /// Listens on a free port and fills its queue.
    /// - Throws: ``UnreachablePortFailure`` when the socket cannot be bound or listen.
    public init() throws {
        let listener = try BoundSocket()
        port = listener.port
        descriptors = [listener.descriptor]
        guard listen(listener.descriptor, 0) == 0 else {
            defer { close() }
            throw UnreachablePortFailure(call: "listen", errno: errno)
        }
        for _ in 0..<2 {
            let client = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
            guard client >= 0 else { continue }
            descriptors.append(client)
            var address = BoundSocket.loopback(port: port)
            _ = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    connect(client, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
        }
    }

    /// Closes the listener and its own connections.
    public func close() {
        for descriptor in descriptors { Glibc.close(descriptor) }
        descriptors = []
    }

    deinit { close() }
}

/// A listening port of 127.0.0.1 that takes connections but never answers: the kernel completes each connection into
/// the listener's queue, a client's request is sent, and no byte ever comes back (the listener never accepts, reads
/// or writes), as with a hung server. Open until ``close()``.
public final class MuteListener: @unchecked Sendable {
    /// The port.
    public let port: Int
    private var descriptor: Int32

    /// Listens on a free port.
    /// - Throws: ``UnreachablePortFailure`` when the socket cannot be bound or listen.
    public init() throws {
        let listener = try BoundSocket()
        port = listener.port
        descriptor = listener.descriptor
        guard listen(listener.descriptor, 64) == 0 else {
            defer { close() }
            throw UnreachablePortFailure(call: "listen", errno: errno)
        }
    }

    /// Closes the listener, which resets the connections waiting in its queue.
    public func close() {
        if descriptor >= 0 { Glibc.close(descriptor) }
        descriptor = -1
    }

    deinit { close() }
}

/// A TCP socket bound to a free port of 127.0.0.1.
private struct BoundSocket {
    let descriptor: Int32
    let port: Int

    init() throws {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw UnreachablePortFailure(call: "socket", errno: errno) }
        var address = Self.loopback(port: 0)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let named = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        guard bound == 0, named == 0 else {
            let failure = UnreachablePortFailure(call: bound == 0 ? "getsockname" : "bind", errno: errno)
            close(descriptor)
            throw failure
        }
        self.descriptor = descriptor
        port = Int(UInt16(bigEndian: address.sin_port))
    }

    /// The address 127.0.0.1:`port`.
    static func loopback(port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        return address
    }
}

/// A socket call failed while making a port for the tests.
public struct UnreachablePortFailure: Error, CustomStringConvertible {
    /// The call that failed.
    public var call: String
    /// Its `errno`.
    public var errno: Int32

    /// What went wrong.
    public var description: String { "\(call) failed: \(String(cString: strerror(errno)))" }
}
