import Annals

/// Typed access to one registry entry's fields, failing with the field's path and what was found.
struct EntryFields {
    /// The entry's members.
    let members: [String: JSONValue]
    /// The path of this object in messages, such as `npm` (empty at the entry's top level).
    let path: String

    /// The fields of `value`, which must be an object.
    init(_ value: JSONValue, path: String = "") throws(EntryFault) {
        guard let members = value.objectValue else {
            throw .wrongType(path.isEmpty ? "the entry" : path, expected: "an object", found: value)
        }
        self.members = members
        self.path = path
    }

    /// The full name of field `key`, for messages.
    func field(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    /// A string, or `nil` when the field is missing or `null`.
    func optionalString(_ key: String) throws(EntryFault) -> String? {
        switch members[key] {
        case nil, .null?: return nil
        case .string(let text)?: return text
        case let other?: throw .wrongType(field(key), expected: "a string or null", found: other)
        }
    }

    /// A string that must be present and non-empty.
    func requiredString(_ key: String) throws(EntryFault) -> String {
        guard let text = try optionalString(key) else { throw EntryFault("\(field(key)): missing") }
        guard !text.isEmpty else { throw EntryFault("\(field(key)): must not be empty") }
        return text
    }

    /// An array of strings, or `[]` when the field is missing or `null`.
    func strings(_ key: String) throws(EntryFault) -> [String] {
        switch members[key] {
        case nil, .null?: return []
        case .array(let elements)?:
            var result: [String] = []
            for (index, element) in elements.enumerated() {
                guard let text = element.stringValue else {
                    throw .wrongType("\(field(key))[\(index)]", expected: "a string", found: element)
                }
                result.append(text)
            }
            return result
        case let other?: throw .wrongType(field(key), expected: "an array of strings", found: other)
        }
    }

    /// A nested object's fields, or `nil` when the field is missing or `null`.
    func optionalObject(_ key: String) throws(EntryFault) -> EntryFields? {
        switch members[key] {
        case nil, .null?: return nil
        case let value?: return try EntryFields(value, path: field(key))
        }
    }

    /// An array, or `[]` when the field is missing or `null`.
    func array(_ key: String) throws(EntryFault) -> [JSONValue] {
        switch members[key] {
        case nil, .null?: return []
        case .array(let elements)?: return elements
        case let other?: throw .wrongType(field(key), expected: "an array", found: other)
        }
    }

    /// A number, or `nil` when the field is missing or `null`.
    func optionalInteger(_ key: String) throws(EntryFault) -> Int64? {
        switch members[key] {
        case nil, .null?: return nil
        case .number(let text)?:
            guard let value = Int64(text) else { throw EntryFault("\(field(key)): \(text) is not an integer") }
            return value
        case let other?: throw .wrongType(field(key), expected: "a number or null", found: other)
        }
    }
}
