#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// The messages between the parent and a worker process, each one frame: a little-endian `UInt32` length, then
/// that many bytes: a type byte and its fields (integers little-endian, byte strings length-prefixed).
enum WorkerMessage: UInt8 {
    /// Parent → worker: module identity, module bytes.
    case load = 1
    /// Parent → worker: module identity, action, input, grants, fuel, pages, timeout (ns), output bytes.
    case invoke = 2
    /// Parent → worker: the answer to a host call: status (0 value, 1 none, 2 error), value or message.
    case hostReply = 3
    /// Worker → parent: host function (its raw name), first argument, second argument.
    case hostCall = 10
    /// Worker → parent: status (0 success, 1 failure); output, or kind and message; then fuel, memory, duration.
    case result = 11
}

/// The most bytes one frame may have: module bytes and outputs are far smaller.
let maximumFrameBytes = 256 << 20

/// Builds one frame.
struct FrameWriter {
    private(set) var bytes: [UInt8] = [0, 0, 0, 0]

    init(_ message: WorkerMessage) { bytes.append(message.rawValue) }

    mutating func integer<T: FixedWidthInteger>(_ value: T) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    mutating func data(_ value: [UInt8]) {
        integer(UInt32(value.count))
        bytes += value
    }

    mutating func text(_ value: String) { data(Array(value.utf8)) }

    /// The frame with its length filled in.
    var frame: [UInt8] {
        var frame = bytes
        let length = UInt32(frame.count - 4).littleEndian
        withUnsafeBytes(of: length) { frame.replaceSubrange(0..<4, with: $0) }
        return frame
    }
}

/// Reads the fields of one frame's payload.
struct FrameReader {
    let bytes: [UInt8]
    private var index = 0
    /// The frame's type.
    let message: WorkerMessage?

    init(_ bytes: [UInt8]) {
        self.bytes = bytes
        message = bytes.first.flatMap(WorkerMessage.init(rawValue:))
        index = 1
    }

    mutating func integer<T: FixedWidthInteger>(_: T.Type = T.self) throws(FrameError) -> T {
        let size = MemoryLayout<T>.size
        guard index + size <= bytes.count else { throw FrameError(message: "truncated frame") }
        var value = T.zero
        for offset in (0..<size).reversed() { value = value << 8 | T(bytes[index + offset]) }
        index += size
        return value
    }

    mutating func data() throws(FrameError) -> [UInt8] {
        let count = Int(try integer(UInt32.self))
        guard index + count <= bytes.count else { throw FrameError(message: "truncated frame") }
        defer { index += count }
        return Array(bytes[index..<index + count])
    }

    mutating func text() throws(FrameError) -> String { String(decoding: try data(), as: UTF8.self) }
}

/// A broken frame or connection.
struct FrameError: Error, CustomStringConvertible {
    /// What went wrong, for people: `write failed: Broken pipe`.
    let message: String

    var description: String { message }
}

/// Writes all of `bytes` to `fd` (without SIGPIPE when it is a socket whose peer is gone).
func writeAll(_ fd: Int32, _ bytes: [UInt8]) throws(FrameError) {
    var written = 0
    while written < bytes.count {
        let count = bytes[written...].withUnsafeBytes { buffer in
            send(fd, buffer.baseAddress, buffer.count, Int32(MSG_NOSIGNAL))
        }
        if count < 0 && errno == EINTR { continue }
        guard count > 0 else { throw FrameError(message: "write failed: \(String(cString: strerror(errno)))") }
        written += count
    }
}

/// Reads exactly `count` bytes from `fd`; `nil` at end of file before the first byte.
func readExactly(_ fd: Int32, _ count: Int) throws(FrameError) -> [UInt8]? {
    var bytes = [UInt8](repeating: 0, count: count)
    var done = 0
    while done < count {
        let got = bytes.withUnsafeMutableBytes { read(fd, $0.baseAddress! + done, count - done) }
        if got < 0 && errno == EINTR { continue }
        guard got >= 0 else { throw FrameError(message: "read failed: \(String(cString: strerror(errno)))") }
        if got == 0 {
            if done == 0 { return nil }
            throw FrameError(message: "connection closed inside a frame")
        }
        done += got
    }
    return bytes
}

/// Reads one frame's payload; `nil` at end of file.
func readFrame(_ fd: Int32) throws(FrameError) -> [UInt8]? {
    guard let header = try readExactly(fd, 4) else { return nil }
    let length = Int(UInt32(header[0]) | UInt32(header[1]) << 8 | UInt32(header[2]) << 16 | UInt32(header[3]) << 24)
    guard length > 0, length <= maximumFrameBytes else { throw FrameError(message: "bad frame length \(length)") }
    guard let payload = try readExactly(fd, length) else { throw FrameError(message: "connection closed") }
    return payload
}
