import AnnalsTestSupport
import Foundation

/// The library of system-call faults that tests preload into `annals` (`tools/faults/syscall-faults.c`).
enum SyscallFaults {
    /// `$ANNALS_SHIMS_DIR/libannals-faults.so`, else `<root>/.build/shims/libannals-faults.so`.
    static let path: String = {
        let environment = ProcessInfo.processInfo.environment["ANNALS_SHIMS_DIR"] ?? ""
        let directory =
            environment.isEmpty ? RepositoryPaths.root.appendingPathComponent(".build/shims").path : environment
        return directory + "/libannals-faults.so"
    }()

    static var isBuilt: Bool { FileManager.default.fileExists(atPath: path) }

    /// The environment that preloads the library with `faults` injected.
    static func environment(_ faults: String) -> [String: String] {
        ["LD_PRELOAD": path, "ANNALS_FAULTS": faults]
    }
}
