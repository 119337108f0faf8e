import WasmParser

/// How many values each of a module's types and functions take and give, for counting its operand stacks: what a
/// call, a block of a function type or a `struct.new` pops and pushes.
struct ModuleSignatures {
    /// One type of the type section, flattened out of its recursive groups.
    struct Arity {
        /// The parameters of a function type (0 for a struct or array type).
        var parameters = 0
        /// The results of a function type (0 for a struct or array type).
        var results = 0
        /// The fields of a struct type (0 for the others).
        var fields = 0
    }

    /// The module's types, by type index.
    private(set) var types: [Arity] = []
    /// The type index of each function, imported ones first, by function index.
    private(set) var functionTypes: [UInt32] = []
    /// How many functions the module imports: the index of its first code body's function.
    private(set) var importedFunctions = 0

    /// Takes in the types, imported functions or functions that `payload` declares; ignores other payloads.
    mutating func note(_ payload: ParsingPayload) {
        switch payload {
        case .typeSection(let groups):
            for group in groups {
                for type in group.types {
                    switch type.body {
                    case .function(let function):
                        types.append(Arity(parameters: function.parameters.count, results: function.results.count))
                    case .structType(let structure):
                        types.append(Arity(fields: structure.fields.count))
                    case .arrayType:
                        types.append(Arity())
                    }
                }
            }
        case .importSection(let imports):
            for entry in imports {
                guard case .function(let typeIndex) = entry.descriptor else { continue }
                functionTypes.append(typeIndex)
                importedFunctions += 1
            }
        case .functionSection(let typeIndices):
            functionTypes += typeIndices
        default:
            break
        }
    }

    /// The type at `index`; an empty one for an index the module does not have (validation refuses it later).
    func type(_ index: UInt32) -> Arity {
        Int(index) < types.count ? types[Int(index)] : Arity()
    }

    /// The type of the function at `index`; an empty one for an index the module does not have.
    func function(_ index: UInt32) -> Arity {
        Int(index) < functionTypes.count ? type(functionTypes[Int(index)]) : Arity()
    }
}
