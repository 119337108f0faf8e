/// What parsing and instantiating a module would allocate, counted in one pass over its bytes without decoding any
/// entry into a value (a module's million globals are counted, not decoded; a table's size is read where it is).
struct ModuleInventory {
    /// How many memories the module defines (a plugin imports none).
    var memories = 0
    /// The initial linear memory of all its memories together, in pages (saturating).
    private(set) var initialMemoryPages: UInt64 = 0
    /// How many tables the module defines.
    var tables = 0
    /// The table starting with the most elements: its index and size (`nil` without tables).
    var largestTable: (index: Int, elements: UInt64)?
    /// How many globals the module defines.
    var globals = 0
    /// How many data segments the module has.
    var dataSegments = 0
    /// How many element segments the module has.
    var elementSegments = 0
    /// How many entries its element segments list together.
    var elementEntries = 0
    /// How many functions the module defines (its function section's count).
    var functions = 0
    /// How many local variables its function bodies declare together.
    var locals = 0
    /// The largest of the type, import, export, memory and tag sections' entry counts, and the number of custom
    /// sections, with what it counts.
    var largestSection = (entries: 0, name: "")

    /// How many parameters, results and fields its types declare together.
    var typeValues = 0
    /// How many function bodies its code section holds.
    var codeBodies = 0

    /// Reads the section headers of `bytes`, and the memory section.
    /// - Throws: ``PluginModuleError/Reason/malformed`` when they cannot be read.
    init(bytes: [UInt8]) throws(PluginModuleError) {
        var reader = ByteReader(bytes: bytes, offset: 0, end: bytes.count)
        guard bytes.count >= 8, bytes[0..<4] == [0x00, 0x61, 0x73, 0x6D] else {
            throw PluginModuleError(.malformed, "not a valid WebAssembly module: no WebAssembly magic number")
        }
        reader.offset = 8
        while reader.offset < reader.end {
            let id = try reader.byte()
            let size = Int(try reader.u32())
            guard size <= reader.end - reader.offset else {
                throw PluginModuleError(.malformed, "not a valid WebAssembly module: section \(id) is truncated")
            }
            var section = ByteReader(bytes: bytes, offset: reader.offset, end: reader.offset + size)
            reader.offset += size
            switch id {
            case 0: note(customSections: 1)
            case 1: try countTypes(&section)
            case 2: note(Int(try section.u32()), "imports")
            case 3: functions += Int(try section.u32())
            case 7: note(Int(try section.u32()), "exports")
            case 9: try countElements(&section)
            case 10: try countLocals(&section)
            case 13: note(Int(try section.u32()), "tags")
            case 4: try countTables(&section)
            case 5:
                let count = Int(try section.u32())
                memories += count
                note(memories, "memories")
                for _ in 0..<count {
                    let flags = try section.byte()
                    let isMemory64 = flags & 0x04 != 0
                    let pages = isMemory64 ? try section.u64() : UInt64(try section.u32())
                    initialMemoryPages = initialMemoryPages.addingReportingOverflow(pages).partialValue
                    if flags & 0x01 != 0 { _ = isMemory64 ? try section.u64() : UInt64(try section.u32()) }
                }
            case 6: globals += Int(try section.u32())
            case 11: dataSegments += Int(try section.u32())
            default: break
            }
        }
    }

    private var customSections = 0

    /// Keeps the largest section entry count seen.
    private mutating func note(_ entries: Int, _ name: String) {
        if entries > largestSection.entries { largestSection = (entries, name) }
    }

    /// Counts a custom section.
    private mutating func note(customSections count: Int) {
        customSections += count
        note(customSections, "custom sections")
    }

    /// Counts the element section's segments and entries, skipping their constant expressions
    /// (https://webassembly.github.io/spec/core/binary/modules.html#element-section).
    private mutating func countElements(_ section: inout ByteReader) throws(PluginModuleError) {
        let count = Int(try section.u32())
        elementSegments += count
        for _ in 0..<count {
            let flags = try section.u32()
            guard flags <= 7 else {
                throw PluginModuleError(.malformed, "not a valid WebAssembly module: element segment flags \(flags)")
            }
            let isPassiveOrDeclarative = flags & 0b001 != 0
            let hasTableIndex = flags & 0b010 != 0
            let usesExpressions = flags & 0b100 != 0
            if !isPassiveOrDeclarative {
                if hasTableIndex { _ = try section.u32() }
                try section.skipConstantExpression()
            }
            // Flags 0 and 4 have no element kind or reference type; every other segment names one.
            if flags & 0b011 != 0 {
                if usesExpressions { try section.skipReferenceType() } else { _ = try section.byte() }
            }
            let entries = Int(try section.u32())
            elementEntries = elementEntries.addingReportingOverflow(entries).partialValue
            for _ in 0..<entries {
                if usesExpressions { try section.skipConstantExpression() } else { _ = try section.u32() }
            }
        }
    }

    /// Counts the tables and keeps the largest initial size
    /// (https://webassembly.github.io/spec/core/binary/modules.html#table-section, with the function-references
    /// proposal's tables that have an initializer, and table64).
    private mutating func countTables(_ section: inout ByteReader) throws(PluginModuleError) {
        let count = Int(try section.u32())
        for index in tables..<(tables + count) {
            let hasInitializer = try section.peek() == 0x40
            if hasInitializer {
                _ = try section.byte()
                guard try section.byte() == 0x00 else {
                    throw PluginModuleError(.malformed, "not a valid WebAssembly module: a table's prefix is wrong")
                }
            }
            try section.skipReferenceType()
            let flags = try section.byte()
            let isTable64 = flags & 0x04 != 0
            let elements = isTable64 ? try section.u64() : UInt64(try section.u32())
            if flags & 0x01 != 0 { _ = isTable64 ? try section.u64() : UInt64(try section.u32()) }
            if hasInitializer { try section.skipConstantExpression() }
            if elements > (largestTable?.elements ?? 0) || largestTable == nil { largestTable = (index, elements) }
        }
        tables += count
    }

    /// Counts the types and the parameters, results and fields they declare
    /// (https://webassembly.github.io/spec/core/binary/types.html, with the GC proposal's recursive groups,
    /// subtypes, structs and arrays).
    private mutating func countTypes(_ section: inout ByteReader) throws(PluginModuleError) {
        let count = Int(try section.u32())
        note(count, "types")
        for _ in 0..<count {
            if try section.peek() == 0x4E {  // rec: a group of subtypes
                _ = try section.byte()
                let members = Int(try section.u32())
                note(members, "types")
                for _ in 0..<members { try countSubtype(&section) }
            } else {
                try countSubtype(&section)
            }
        }
    }

    /// Counts one subtype: `sub`/`sub final` with its supertypes, or a bare composite type.
    private mutating func countSubtype(_ section: inout ByteReader) throws(PluginModuleError) {
        let prefix = try section.peek()
        if prefix == 0x50 || prefix == 0x4F {
            _ = try section.byte()
            let supertypes = Int(try section.u32())
            typeValues = typeValues.addingReportingOverflow(supertypes).partialValue
            for _ in 0..<supertypes { _ = try section.u32() }
        }
        let form = try section.byte()
        switch form {
        case 0x60:  // func: parameters, then results
            for _ in 0..<2 {
                let values = Int(try section.u32())
                typeValues = typeValues.addingReportingOverflow(values).partialValue
                for _ in 0..<values { try section.skipValueType() }
            }
        case 0x5F:  // struct: fields
            let fields = Int(try section.u32())
            typeValues = typeValues.addingReportingOverflow(fields).partialValue
            for _ in 0..<fields {
                try section.skipValueType()
                _ = try section.byte()
            }
        case 0x5E:  // array: one field
            typeValues = typeValues.addingReportingOverflow(1).partialValue
            try section.skipValueType()
            _ = try section.byte()
        default:
            throw PluginModuleError(
                .malformed, "not a valid WebAssembly module: type form 0x\(String(form, radix: 16))")
        }
    }

    /// Adds up the locals each function body declares, skipping the bodies' code.
    private mutating func countLocals(_ section: inout ByteReader) throws(PluginModuleError) {
        let bodies = Int(try section.u32())
        codeBodies += bodies
        for _ in 0..<bodies {
            let size = Int(try section.u32())
            let end = section.offset + size
            guard size <= section.end - section.offset else {
                throw PluginModuleError(.malformed, "not a valid WebAssembly module: a function body is truncated")
            }
            for _ in 0..<(try section.u32()) {
                locals = locals.addingReportingOverflow(Int(try section.u32())).partialValue
                try section.skipValueType()
            }
            section.offset = end
        }
    }

    /// Checks the inventory against `limits`.
    /// - Throws: ``PluginModuleError/Reason/tooLarge`` naming the first thing past its limit.
    func check(against limits: PluginModuleLimits) throws(PluginModuleError) {
        let pages = initialMemoryPages
        let limit = UInt64(max(0, limits.maxMemoryPages))
        if pages > limit {
            throw PluginModuleError(
                .tooLarge,
                "declares an initial linear memory of \(pages) pages (\(Self.size(pages))), more than the "
                    + "\(limit) pages (\(Self.size(limit))) an execution may use")
        }
        // Each count against its limit, in this order; the message says what the module has.
        let counts: [(count: Int, limit: Int, what: (Int) -> String)] = [
            (tables, limits.maxTables, { "defines \($0) tables" }),
            (globals, limits.maxGlobals, { "defines \($0) globals" }),
            (dataSegments, limits.maxDataSegments, { "has \($0) data segments" }),
            (elementSegments, limits.maxElementSegments, { "has \($0) element segments" }),
            (elementEntries, limits.maxElementEntries, { "lists \($0) element entries" }),
            (max(functions, codeBodies), limits.maxFunctions, { "defines \($0) functions" }),
            (typeValues, limits.maxSectionEntries, { "declares \($0) parameters, results and fields in its types" }),
            (locals, limits.maxLocals, { "declares \($0) local variables in its functions" }),
            (largestSection.entries, limits.maxSectionEntries, { "has \($0) \(largestSection.name)" }),
        ]
        for entry in counts where entry.count > entry.limit {
            throw PluginModuleError(.tooLarge, "\(entry.what(entry.count)), more than the limit of \(entry.limit)")
        }
        if let table = largestTable, table.elements > UInt64(max(0, limits.maxTableElements)) {
            throw PluginModuleError(
                .tooLarge,
                "table \(table.index) starts with \(table.elements) elements, more than the limit of "
                    + "\(limits.maxTableElements)")
        }
    }

    /// `pages` as bytes for people: `16 MiB`, `4 GiB`.
    private static func size(_ pages: UInt64) -> String {
        let kibibytes = pages.multipliedReportingOverflow(by: 64).partialValue
        if kibibytes >= 1 << 20 && kibibytes % (1 << 20) == 0 { return "\(kibibytes >> 20) GiB" }
        if kibibytes >= 1 << 10 && kibibytes % (1 << 10) == 0 { return "\(kibibytes >> 10) MiB" }
        return "\(kibibytes) KiB"
    }
}

/// Reads LEB128 integers and bytes from a range of a module's bytes.
private struct ByteReader {
    let bytes: [UInt8]
    var offset: Int
    let end: Int

    mutating func byte() throws(PluginModuleError) -> UInt8 {
        guard offset < end else {
            throw PluginModuleError(.malformed, "not a valid WebAssembly module: unexpected end of a section")
        }
        defer { offset += 1 }
        return bytes[offset]
    }

    mutating func u32() throws(PluginModuleError) -> UInt32 {
        let value = try leb(maximumBytes: 5)
        guard value <= UInt64(UInt32.max) else {
            throw PluginModuleError(.malformed, "not a valid WebAssembly module: an integer is too large")
        }
        return UInt32(value)
    }

    mutating func u64() throws(PluginModuleError) -> UInt64 { try leb(maximumBytes: 10) }

    /// The next byte, not consumed.
    func peek() throws(PluginModuleError) -> UInt8 {
        guard offset < end else {
            throw PluginModuleError(.malformed, "not a valid WebAssembly module: unexpected end of a section")
        }
        return bytes[offset]
    }

    /// Skips `count` bytes.
    mutating func skip(_ count: Int) throws(PluginModuleError) {
        guard count <= end - offset else {
            throw PluginModuleError(.malformed, "not a valid WebAssembly module: unexpected end of a section")
        }
        offset += count
    }

    /// Skips a value type: one byte, or a reference type with its heap type.
    mutating func skipValueType() throws(PluginModuleError) {
        let code = try byte()
        if code == 0x63 || code == 0x64 { _ = try leb(maximumBytes: 5) }
    }

    /// Skips a reference type: one byte, or `ref`/`ref null` and a heap type.
    mutating func skipReferenceType() throws(PluginModuleError) { try skipValueType() }

    /// Skips a constant expression up to its `end`: the instructions a constant expression may hold (`*.const`,
    /// `global.get`, `ref.null`, `ref.func` and the extended-constant arithmetic).
    mutating func skipConstantExpression() throws(PluginModuleError) {
        while true {
            let opcode = try byte()
            switch opcode {
            case 0x0B: return
            case 0x41: _ = try leb(maximumBytes: 5)
            case 0x42: _ = try leb(maximumBytes: 10)
            case 0x43: try skip(4)
            case 0x44: try skip(8)
            case 0x23, 0xD2: _ = try u32()
            case 0xD0: _ = try leb(maximumBytes: 5)  // a heap type (s33)
            case 0x6A, 0x6B, 0x6C, 0x7C, 0x7D, 0x7E: break
            default:
                throw PluginModuleError(
                    .malformed,
                    "not a valid WebAssembly module: opcode 0x\(String(opcode, radix: 16)) in a constant expression")
            }
        }
    }

    private mutating func leb(maximumBytes: Int) throws(PluginModuleError) -> UInt64 {
        var value: UInt64 = 0
        for index in 0..<maximumBytes {
            let next = try byte()
            value |= UInt64(next & 0x7F) << UInt64(7 * index)
            if next & 0x80 == 0 { return value }
        }
        throw PluginModuleError(.malformed, "not a valid WebAssembly module: an integer is too long")
    }
}
