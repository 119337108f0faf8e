import Annals
import AnnalsSandbox
import Foundation

/// Where plugin secrets come from. A plugin reads a secret only through the `secrets.read:NAME` host call, and only
/// when that permission was granted to its install; events record the secret's name, never its value.
public protocol SecretStore: Sendable {
    /// The value of the secret `name` for `organization`, or `nil` when there is none.
    func secret(named name: String, organization: String) throws -> String?
}

/// Secrets held in memory: per organization, with `*` for every organization.
public struct StaticSecrets: SecretStore {
    /// Values by organization (or `*`), then by name.
    public var values: [String: [String: String]]

    /// Secrets by organization (or `*`) and name.
    public init(_ values: [String: [String: String]] = [:]) { self.values = values }

    /// The organization's value, else the one for every organization.
    public func secret(named name: String, organization: String) throws -> String? {
        values[organization]?[name] ?? values["*"]?[name]
    }

    /// The largest secrets file read (16 MiB): a larger one, or a device without end, is refused without being held
    /// in memory.
    public static let maximumFileBytes = 16 << 20

    /// Reads a JSON file `{"ORG or *": {"NAME": "value"}}` (what `annals plugin run --secrets FILE` takes).
    /// - Throws: ``PlatformError/notFound(_:)`` when there is no such file; ``PlatformError/invalidArgument(_:)``
    ///   naming the file and what else is wrong: the system's reason it cannot be read, that it is larger than
    ///   ``maximumFileBytes``, where its JSON is malformed
    ///   (line, column and byte), or the member that is not a string. A leading UTF-8 byte order mark is skipped.
    public init(contentsOfFile path: String) throws(PlatformError) {
        let bytes: [UInt8]
        switch FileChunks.contents(of: path, atMost: Self.maximumFileBytes) {
        case .success(let contents): bytes = contents
        case .failure(let error) where error.code == ENOENT:
            throw .notFound("cannot open the secrets file \(path): no such file")
        case .failure(let error): throw .invalidArgument("cannot read the secrets file \(path): \(error)")
        }
        let parsed: JSONValue
        do {
            // A UTF-8 byte order mark is skipped, as in registry indexes.
            parsed = try JSONParser.parse(fileContents: bytes)
        } catch {
            throw .invalidArgument("the secrets file \(path) is not valid JSON: \(error)")
        }
        guard case .object(let object) = parsed else {
            throw .invalidArgument("the secrets file \(path) is not a JSON object")
        }
        var values: [String: [String: String]] = [:]
        for (scope, names) in object {
            guard case .object(let names) = names else {
                throw .invalidArgument("secrets file \(path): '\(scope)' must map secret names to strings")
            }
            for (name, value) in names {
                guard case .string(let value) = value else {
                    throw .invalidArgument("secrets file \(path): '\(scope).\(name)' must be a string")
                }
                values[scope, default: [:]][name] = value
            }
        }
        self.values = values
    }
}
