import WasmKit

/// Bounds-checked access to a guest's linear memory: a bad pointer or length is a ``GuestFault``, never a host
/// crash.
struct GuestMemory {
    let memory: Memory

    /// The `count` bytes at `pointer`.
    func read(_ pointer: UInt32, _ count: UInt32, what: String) throws(GuestFault) -> [UInt8] {
        try check(pointer, count, what: what)
        guard count > 0 else { return [] }
        return memory.withUnsafeBufferPointer(offset: UInt(pointer), count: Int(count)) { Array($0) }
    }

    /// Runs `body` over the `count` bytes at `pointer`, without copying them.
    func withBytes<T>(_ pointer: UInt32, _ count: UInt32, what: String, _ body: (UnsafeRawBufferPointer) -> T)
        throws(GuestFault) -> T
    {
        try check(pointer, count, what: what)
        guard count > 0 else { return body(UnsafeRawBufferPointer(start: nil, count: 0)) }
        return memory.withUnsafeBufferPointer(offset: UInt(pointer), count: Int(count), body)
    }

    /// Writes `bytes` at `pointer`.
    func write(_ bytes: [UInt8], at pointer: UInt32, what: String) throws(GuestFault) {
        try check(pointer, UInt32(bytes.count), what: what)
        guard !bytes.isEmpty else { return }
        memory.withUnsafeMutableBufferPointer(offset: UInt(pointer), count: bytes.count) { buffer in
            buffer.copyBytes(from: bytes)
        }
    }

    private func check(_ pointer: UInt32, _ count: UInt32, what: String) throws(GuestFault) {
        let end = UInt64(pointer) + UInt64(count)
        guard end <= UInt64(memory.byteCount) else {
            throw GuestFault(
                message: "\(what) at \(pointer) of \(count) bytes is outside linear memory (\(memory.byteCount) bytes)")
        }
    }
}

/// A guest passed a pointer or length outside its memory.
struct GuestFault: Error {
    let message: String
}
