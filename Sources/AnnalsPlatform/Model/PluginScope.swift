/// Where a registry, plugin or install lives: the global registry every organization sees, or one organization.
///
/// Registries are per organization from day 1: an organization sees the global registry (narrowed by its
/// allowlist, if it has one) plus its own private registries, and never another organization's private entries.
/// The scope is the entities' `groupId`: `global`, or the organization's name.
public enum PluginScope: Sendable, Hashable, CustomStringConvertible {
    /// The registry shared by every organization.
    case global
    /// One organization's private registries and installs.
    case organization(String)

    /// The reserved group of the global registry.
    public static let globalGroup = "global"
    /// The longest organization name, in UTF-8 bytes (entity ids hold the name and must stay under 160 bytes).
    public static let maximumOrganizationLength = 32

    /// The `groupId` of this scope's entities.
    public var groupId: String {
        switch self {
        case .global: Self.globalGroup
        case .organization(let name): name
        }
    }

    /// `global` or the organization's name.
    public var description: String { groupId }

    /// The scope of `organization`, or ``global`` for `nil`.
    /// - Throws: ``PlatformError/invalidArgument(_:)`` for an empty or too long name, characters outside
    ///   `[A-Za-z0-9_.-]`, or the reserved name `global`.
    public init(organization: String?) throws(PlatformError) {
        guard let organization else {
            self = .global
            return
        }
        self = .organization(try Self.checkedOrganization(organization))
    }

    /// The scope a stored record names by its group (``groupId``), unchecked: `global`, or an organization.
    init(storedGroup group: String) {
        self = group == Self.globalGroup ? .global : .organization(group)
    }

    /// `name` if it is a valid organization name.
    /// - Throws: ``PlatformError/invalidArgument(_:)`` naming what is wrong.
    public static func checkedOrganization(_ name: String) throws(PlatformError) -> String {
        guard !name.isEmpty, name.utf8.count <= maximumOrganizationLength else {
            throw .invalidArgument(
                "organization '\(name)' must be 1–\(maximumOrganizationLength) bytes long")
        }
        guard name != globalGroup else {
            throw .invalidArgument("'global' is reserved for the global registry; pick another organization name")
        }
        guard name.utf8.allSatisfy({ isOrganizationByte($0) }) else {
            throw .invalidArgument("organization '\(name)' may only contain letters, digits, '_', '.' and '-'")
        }
        return name
    }

    private static func isOrganizationByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "-"):
            true
        default: false
        }
    }
}
