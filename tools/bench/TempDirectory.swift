#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// Runs `body` with a new, empty directory under `$TMPDIR` (or `/tmp`), then removes the directory and
/// everything in it, whether `body` returns or throws.
///
/// ```swift
/// let run = try withTemporaryDirectory { try rawLMDBBatchAppend(events: events, batchSize: 1000, directory: $0) }
/// ```
/// > Note: Creating the directory traps if `mkdtemp` fails: a benchmark cannot run without scratch space.
/// - Parameter body: Receives the directory's absolute path.
/// - Returns: What `body` returns.
func withTemporaryDirectory<R>(_ body: (String) throws -> R) rethrows -> R {
    let path = makeTemporaryDirectory()
    defer { removeRecursively(path) }
    return try body(path)
}

/// Runs the async `body` with a new, empty directory under `$TMPDIR` (or `/tmp`), then removes it.
///
/// The same as the synchronous ``withTemporaryDirectory(_:)``, staying on the caller's actor.
/// - Parameters:
///   - isolation: The caller's actor, inferred.
///   - body: Receives the directory's absolute path.
/// - Returns: What `body` returns.
func withTemporaryDirectory<R>(
    isolation: isolated (any Actor)? = #isolation, _ body: (String) async throws -> R
) async rethrows -> R {
    let path = makeTemporaryDirectory()
    defer { removeRecursively(path) }
    return try await body(path)
}

/// Creates `annals-bench-XXXXXX` under `$TMPDIR` (or `/tmp`) with `mkdtemp`, trapping on failure.
private func makeTemporaryDirectory() -> String {
    var base = getenv("TMPDIR").map { String(cString: $0) } ?? ""
    if base.isEmpty { base = "/tmp" }
    while base.count > 1 && base.hasSuffix("/") { base.removeLast() }
    var template = Array((base + "/annals-bench-XXXXXX").utf8CString)
    let created = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) != nil }
    guard created else { fatalError("mkdtemp in \(base) failed: \(String(cString: strerror(errno)))") }
    return String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
}

/// Removes `path` and, if it is a directory, everything under it, without following symbolic links.
private func removeRecursively(_ path: String) {
    var info = stat()
    guard lstat(path, &info) == 0 else { return }
    if info.st_mode & S_IFMT == S_IFDIR, let directory = opendir(path) {
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) {
                String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name != "." && name != ".." { removeRecursively(path + "/" + name) }
        }
        closedir(directory)
        rmdir(path)
    } else {
        unlink(path)
    }
}
