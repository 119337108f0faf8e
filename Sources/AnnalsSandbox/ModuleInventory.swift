import WasmParser

/// What a module defines that instantiation allocates, read from its section headers without parsing the sections'
/// entries (a module's million globals are counted, not decoded).
struct ModuleInventory {
    /// The initial pages of each memory the module defines (a plugin imports none).
    var memories: [UInt64] = []
    /// How many tables the module defines.
    var tables = 0
    /// How many globals the module defines.
    var globals = 0
    /// How many data segments the module has.
    var dataSegments = 0

    /// The initial linear memory of all the memories together, in pages.
    var initialMemoryPages: UInt64 {
        memories.reduce(0) { total, pages in total.addingReportingOverflow(pages).partialValue }
    }

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
            case 4: tables += Int(try section.u32())
            case 5:
                for _ in 0..<(try section.u32()) {
                    let flags = try section.byte()
                    let isMemory64 = flags & 0x04 != 0
                    memories.append(isMemory64 ? try section.u64() : UInt64(try section.u32()))
                    if flags & 0x01 != 0 { _ = isMemory64 ? try section.u64() : UInt64(try section.u32()) }
                }
            case 6: globals += Int(try section.u32())
            case 11: dataSegments += Int(try section.u32())
            default: break
            }
        }
    }

    /// Checks the inventory of `bytes` against `limits`.
    /// - Throws: ``PluginModuleError/Reason/tooLarge`` naming the first thing past its limit.
    func check(_ bytes: [UInt8], against limits: PluginModuleLimits) throws(PluginModuleError) {
        let pages = initialMemoryPages
        let limit = UInt64(max(0, limits.maxMemoryPages))
        if pages > limit {
            throw PluginModuleError(
                .tooLarge,
                "declares an initial linear memory of \(pages) pages (\(Self.size(pages))), more than the "
                    + "\(limit) pages (\(Self.size(limit))) an execution may use")
        }
        if tables > limits.maxTables {
            throw PluginModuleError(.tooLarge, "defines \(tables) tables, more than the limit of \(limits.maxTables)")
        }
        if globals > limits.maxGlobals {
            throw PluginModuleError(
                .tooLarge, "defines \(globals) globals, more than the limit of \(limits.maxGlobals)")
        }
        if dataSegments > limits.maxDataSegments {
            throw PluginModuleError(
                .tooLarge,
                "has \(dataSegments) data segments, more than the limit of \(limits.maxDataSegments)")
        }
        guard tables > 0 else { return }
        for (index, table) in try Self.tables(of: bytes).enumerated()
        where table.limits.min > UInt64(max(0, limits.maxTableElements)) {
            throw PluginModuleError(
                .tooLarge,
                "table \(index) starts with \(table.limits.min) elements, more than the limit of "
                    + "\(limits.maxTableElements)")
        }
    }

    /// The tables `bytes` defines, decoded by WasmParser (the sections before the table section are small).
    private static func tables(of bytes: [UInt8]) throws(PluginModuleError) -> [TableType] {
        var parser = Parser(bytes: bytes)
        do {
            while let payload = try parser.parseNext() {
                if case .tableSection(let list) = payload { return list.map(\.type) }
            }
        } catch {
            throw PluginModuleError(.malformed, "not a valid WebAssembly module: \(error)")
        }
        return []
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
