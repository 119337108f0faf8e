#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// This process's resident memory, read from `/proc/self` (Linux only; elsewhere the figures are 0).
enum ProcessMemory {
    /// Resets the peak resident set size (`VmHWM`) to the current one, so a later ``peakRSSBytes()`` measures only
    /// what follows.
    ///
    /// Writes `5` to `/proc/self/clear_refs` (Linux 4.0+); failure (an old kernel, a locked-down container) is
    /// ignored, and the peak then covers the whole process lifetime.
    static func resetPeakRSS() {
        let fd = open("/proc/self/clear_refs", O_WRONLY)
        guard fd >= 0 else { return }
        defer { close(fd) }
        var five = UInt8(ascii: "5")
        _ = write(fd, &five, 1)
    }

    /// The peak resident set size since the process started or the last ``resetPeakRSS()``, in bytes (`VmHWM`).
    static func peakRSSBytes() -> Int { statusKilobytes("VmHWM:") * 1024 }

    /// The current resident set size, in bytes (`VmRSS`).
    static func currentRSSBytes() -> Int { statusKilobytes("VmRSS:") * 1024 }

    /// The value, in kB, of the `/proc/self/status` line starting with `field`, or 0 if it cannot be read.
    private static func statusKilobytes(_ field: String) -> Int {
        let fd = open("/proc/self/status", O_RDONLY)
        guard fd >= 0 else { return 0 }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { break }
            bytes += chunk[0..<count]
        }
        for line in String(decoding: bytes, as: UTF8.self).split(separator: "\n") where line.hasPrefix(field) {
            // "VmHWM:\t   12345 kB"
            return Int(line.dropFirst(field.count).split(separator: " ").first { Int($0) != nil } ?? "") ?? 0
        }
        return 0
    }
}
