import Annals
import Crypto

/// The ids and types of the platform's things and connections.
///
/// | thing type | id | group |
/// | --- | --- | --- |
/// | `plugin.registry` | `registry:SCOPE:NAME` | the scope |
/// | `plugin` | `plugin:SCOPE:NAME` | the scope |
/// | `plugin.install` | `install:ORG:NAME` | the organization |
/// | `organization` | `organization:ORG` | the organization |
/// | `event.type` | `event-type:ORG:PATTERN` (`event-type:ORG:#DIGEST` past 160 bytes) | the organization |
///
/// Connections (`provides` registry → plugin, `depends_on` plugin → plugin, `instance_of` install → plugin,
/// `requires` install → install, `subscribes_to` install → event type) have ids `TYPE:` followed by 24 hex digits of the SHA-256 of their ends, which
/// keeps them under the engine's 160-byte limit whatever the names. Knowledge about a plugin is `about:PLUGIN-ID`.
public enum PlatformIDs {
    /// The thing type of a registry.
    public static let registryType = "plugin.registry"
    /// The thing type of a plugin.
    public static let pluginType = "plugin"
    /// The thing type of an installed plugin (an instance in one organization).
    public static let installType = "plugin.install"
    /// The thing type of an organization's settings (its allowlist).
    public static let organizationType = "organization"
    /// The status of a plugin its registry no longer lists.
    public static let withdrawnStatus = "withdrawn"
    /// The connection from a registry to a plugin it lists.
    public static let provides = "provides"
    /// The connection from a plugin to a plugin some of its versions need.
    public static let dependsOn = "depends_on"
    /// The connection from an install to the plugin it is an instance of.
    public static let instanceOf = "instance_of"
    /// The connection from an install to an install it needs.
    public static let requires = "requires"
    /// The connection from an install to an event type (pattern) it reacts to.
    public static let subscribesTo = "subscribes_to"
    /// The thing type of an event type (pattern) installs subscribe to.
    public static let eventTypeType = "event.type"
    /// The label of every plugin's knowledge item.
    public static let pluginLabel = "plugin"

    /// The prefixes of the entities plugin operations plan from (plugins, registries, installs, event types,
    /// organization settings, search knowledge, and the connections between them): a change to one of them since
    /// an operation was planned makes its batch conflict. Not the executions' streams, nor a plugin's kv state.
    public static let planningPrefixes = [
        pluginPrefix, "registry:", installPrefix, "event-type:", "organization:", "about:", "\(provides):",
        "\(dependsOn):", "\(instanceOf):", "\(requires):", "\(subscribesTo):",
    ]

    /// The prefixes of the streams the platform keeps (its things and connections, the plugins' kv state,
    /// executions, jobs, dead letters, the checkpoints of recovery): plugins may neither append to them nor read them.
    public static let reservedStreamPrefixes =
        planningPrefixes + ["kv:", "execution:", "job-cancel:", "dead-letter:", "plugin-recovery:"]

    /// The id of the plugin `name` in `scope`.
    public static func plugin(_ name: String, in scope: PluginScope) -> String {
        "\(pluginPrefix)\(scope.groupId):\(name)"
    }
    /// The id of the registry `name` in `scope`.
    public static func registry(_ name: String, in scope: PluginScope) -> String {
        "registry:\(scope.groupId):\(name)"
    }
    /// The id of the install of `name` in `organization`.
    public static func install(_ name: String, organization: String) -> String {
        "\(installPrefix)\(organization):\(name)"
    }

    /// The prefix of every install's id.
    public static let installPrefix = "install:"

    /// The prefix of every plugin's id.
    public static let pluginPrefix = "plugin:"
    /// The id of the event type (pattern) `pattern` in `organization`.
    public static func eventType(_ pattern: String, organization: String) -> String {
        let id = "event-type:\(organization):\(pattern)"
        // Entity ids end at 160 bytes: a longer pattern (up to 128 characters, after an organization of up to 32) is
        // named by its digest instead; the pattern itself is the thing's name and the subscription's property.
        guard id.utf8.count > 160 else { return id }
        return "event-type:\(organization):#" + SHA256.hash(data: Array(pattern.utf8)).prefix(16).hexadecimal
    }
    /// The id of an organization's settings thing.
    public static func organization(_ name: String) -> String { "organization:\(name)" }
    /// The id of the knowledge item about a plugin thing.
    public static func knowledge(about pluginId: String) -> String { "about:\(pluginId)" }
    /// The id of the connection of `type` from `from` to `to`.
    public static func connection(_ type: String, from: String, to: String) -> String {
        let digest = SHA256.hash(data: Array((from + "\u{0}" + to).utf8))
        return "\(type):" + digest.prefix(12).hexadecimal
    }
}
