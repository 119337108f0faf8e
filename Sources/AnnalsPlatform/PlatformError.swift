import Annals

/// What went wrong in a plugin platform operation, with enough context to act on it.
public enum PlatformError: Error, Sendable, CustomStringConvertible {
    /// An argument is malformed: a bad organization name, plugin name, range or permission.
    case invalidArgument(String)
    /// A registry source could not be read or is not a registry at all (the whole sync fails; nothing is written).
    case unreadableSource(source: String, reason: String)
    /// No plugin or install of that name is visible to the organization.
    case notFound(String)
    /// The dependencies cannot be resolved: the explanation says which requirements clash and how to fix it.
    case resolutionFailed(explanation: String)
    /// The new version asks for permissions the organization has not granted; `--grant` them explicitly.
    case permissionsNotGranted(plugin: String, version: String, permissions: [String])
    /// The install is pinned; unpin it first.
    case pinned(plugin: String, version: String)
    /// An install, update or rollback of another plugin would remove (nothing would require it any more) or change
    /// this pinned install; unpin it first. `removed` says which.
    case pinnedWouldChange(plugin: String, version: String, removed: Bool)
    /// Nothing to roll back to, or the target is not in the instance's history.
    case noRollbackTarget(String)
    /// A plugin's module cannot run at all: its artifact is missing, does not match the registry's SHA-256, or the
    /// module check refused it. `plugin run`, jobs and event delivery (``PluginDispatcher``) record it as a failed
    /// execution (``SandboxFailure/Kind/moduleRefused``).
    case moduleRefused(plugin: String, version: String, reason: String)
    /// The installed release does not declare `action` in its manifest's `actions`, which are the contract of what
    /// may run: refused before the module is loaded, whatever it exports, and not recorded as an execution (nothing
    /// of the plugin ran). `declared` lists the actions it does declare (empty when it declares none).
    case actionNotDeclared(plugin: String, version: String, action: String, declared: [String])
    /// Another dispatcher (in this process or another) is delivering events to the same subscriptions: the message
    /// names its lock. At most one runs at a time (``PluginDispatcher``), so that no event is delivered twice.
    case dispatcherRunning(String)
    /// The engine failed.
    case store(AnnalsError)

    /// A message for a person.
    public var description: String {
        switch self {
        case .invalidArgument(let message): message
        case .unreadableSource(let source, let reason): "cannot sync '\(source)': \(reason)"
        case .notFound(let message): message
        case .resolutionFailed(let explanation): explanation
        case .permissionsNotGranted(let plugin, let version, let permissions):
            "\(plugin)@\(version) asks for permissions not granted yet: \(permissions.joined(separator: ", ")); "
                + "grant them with --grant " + permissions.joined(separator: " --grant ")
        case .pinned(let plugin, let version): "\(plugin) is pinned at \(version); unpin it first"
        case .pinnedWouldChange(let plugin, let version, let removed):
            removed
                ? "this would remove \(plugin), which is pinned at \(version) (nothing would require it any more); "
                    + "unpin it first"
                : "this would change \(plugin), which is pinned at \(version); unpin it first"
        case .noRollbackTarget(let message): message
        case .moduleRefused(let plugin, let version, let reason): "\(plugin)@\(version): \(reason)"
        case .actionNotDeclared(let plugin, let version, let action, let declared):
            "\(plugin)@\(version) does not declare the action '\(action)' "
                + (declared.isEmpty
                    ? "(its manifest declares no actions, so none can run)"
                    : "(it declares: \(declared.joined(separator: ", ")))")
        case .dispatcherRunning(let message): message
        case .store(let error): error.description
        }
    }

    /// Wraps any error: a platform error stays itself, an engine error becomes ``store(_:)``.
    init(_ error: any Error) {
        switch error {
        case let error as PlatformError: self = error
        case let error as AnnalsError: self = .store(error)
        default: self = .store(.io(String(describing: error)))
        }
    }
}
