import Foundation

#if canImport(Glibc)
    import Glibc
#endif

extension EventStore {
    /// Why the store directory `path` could not be created, in the file system's words, found without creating
    /// anything: the first component of the path that exists but is not a directory (`… is a file, not a directory`),
    /// or the directory that the first missing component cannot be made in (`cannot create it in …: Permission
    /// denied`). Foundation's own error says only "The operation could not be completed".
    static func directoryCreationFailure(_ path: String) -> String {
        let absolute = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
        var prefix = ""
        var parent = "/"
        for component in absolute.split(separator: "/") {
            prefix += "/" + component
            var status = stat()
            if stat(prefix, &status) != 0 {
                guard errno == ENOENT else { return "\(prefix): \(String(cString: strerror(errno)))" }
                guard access(parent, W_OK | X_OK) == 0 else {
                    return "cannot create \(component) in \(parent): \(String(cString: strerror(errno)))"
                }
                return "the file system refused to create \(prefix)"
            }
            if status.st_mode & S_IFMT != S_IFDIR { return "\(prefix) is a file, not a directory" }
            parent = prefix
        }
        return "the file system refused to create it"
    }
}
