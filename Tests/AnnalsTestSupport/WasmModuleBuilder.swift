/// Builds small plugin modules as WebAssembly bytes, for tests of what the sandbox accepts and refuses.
///
/// The module always exports `memory` (memory 0), `annals_alloc` (returns 1024) and its action (`action_run` unless
/// `action` names another), which calls `memory.grow(growPages)` when `growPages` is set (trapping if it returns -1),
/// makes the host `calls` (once, or without end with `repeatsCalls`) and returns `output`.
///
/// ```swift
/// var builder = WasmModuleBuilder()
/// builder.memoryPages = 65_536
/// builder.dataSegments = [(offset: 0, bytes: [1])]
/// let wasm = builder.bytes
/// ```
public struct WasmModuleBuilder {
    /// The initial pages of the module's memory.
    public var memoryPages: UInt32 = 1
    /// The most pages of the module's memory, if it declares a maximum.
    public var maximumPages: UInt32?
    /// How many (immutable i32) globals the module defines.
    public var globals = 0
    /// The initial sizes of the (funcref) tables the module defines.
    public var tables: [UInt32] = []
    /// The module's active data segments for memory 0.
    public var dataSegments: [(offset: UInt32, bytes: [UInt8])] = []
    /// The pages `action_run` grows the memory by, if any.
    public var growPages: UInt32?
    /// Where `action_run`'s output is in memory, and its length (by default empty, which is not JSON).
    public var output: (offset: UInt32, count: UInt32) = (0, 0)
    /// The functions the module imports from `annals`: name, parameter and result counts (all i32).
    public var imports: [(name: String, parameters: Int, results: Int)] = []
    /// The module's passive element segments, by how many entries each lists (each entry is `annals_alloc`).
    public var elementSegments: [Int] = []
    /// The i32 locals `action_run` declares, in one run-length entry.
    public var actionLocals = 0
    /// How many `block`s `action_run` nests (empty ones, around nothing).
    public var nestedBlocks = 0
    /// Instructions `action_run` runs after its blocks, as bytes; they must leave the operand stack as they found
    /// it, and may use the action's two i32 parameters (locals 0 and 1) and its `actionLocals`.
    public var actionCode: [UInt8] = []
    /// How many (empty) custom sections the module ends with.
    public var customSections = 0
    /// The name of the action the module exports (as `action_NAME`).
    public var action = "run"
    /// The calls the action makes, in order, before it returns: an import (its index in `imports`) and its i32
    /// arguments (such as pointers into `dataSegments`); a result is dropped.
    public var calls: [(function: Int, arguments: [UInt32])] = []
    /// Whether the action repeats `calls` without end: only a failing host call, the fuel or the timeout stop it.
    public var repeatsCalls = false

    /// Creates the smallest plugin module: one page of memory, no globals, tables, data or imports.
    public init() {}

    /// The module's bytes.
    public var bytes: [UInt8] {
        var module: [UInt8] = [0x00, 0x61, 0x73, 0x6D, 0x01, 0x00, 0x00, 0x00]
        // Types: 0 (i32) -> i32, 1 (i32, i32) -> i64, then one per import.
        var types: [[UInt8]] = [[0x60, 0x01, 0x7F, 0x01, 0x7F], [0x60, 0x02, 0x7F, 0x7F, 0x01, 0x7E]]
        for entry in imports {
            types.append(
                [0x60] + Self.unsigned(entry.parameters) + Array(repeating: 0x7F, count: entry.parameters)
                    + Self.unsigned(entry.results) + Array(repeating: 0x7F, count: entry.results))
        }
        module += Self.section(1, Self.vector(types))
        if !imports.isEmpty {
            module += Self.section(
                2,
                Self.vector(
                    imports.enumerated().map { index, entry in
                        Self.name("annals") + Self.name(entry.name) + [0x00] + Self.unsigned(index + 2)
                    }))
        }
        module += Self.section(3, Self.vector([[0x00], [0x01]]))
        if !tables.isEmpty {
            module += Self.section(4, Self.vector(tables.map { [0x70, 0x00] + Self.unsigned(Int($0)) }))
        }
        let limits: [UInt8] =
            maximumPages.map { [0x01] + Self.unsigned(Int(memoryPages)) + Self.unsigned(Int($0)) }
            ?? [0x00] + Self.unsigned(Int(memoryPages))
        module += Self.section(5, Self.vector([limits]))
        if globals > 0 {
            module += Self.section(6, Self.vector(Array(repeating: [0x7F, 0x00, 0x41, 0x00, 0x0B], count: globals)))
        }
        let functions = imports.count
        module += Self.section(
            7,
            Self.vector([
                Self.name("memory") + [0x02, 0x00],
                Self.name("annals_alloc") + [0x00] + Self.unsigned(functions),
                Self.name("action_\(action)") + [0x00] + Self.unsigned(functions + 1),
            ]))
        if !elementSegments.isEmpty {
            module += Self.section(
                9,
                Self.vector(
                    elementSegments.map { entries in
                        [0x01, 0x00] + Self.unsigned(entries)
                            + Array(repeating: Self.unsigned(functions), count: entries).flatMap { $0 }
                    }))
        }
        let alloc: [UInt8] = [0x00, 0x41] + Self.signed(1024) + [0x0B]
        var run: [UInt8] = actionLocals > 0 ? [0x01] + Self.unsigned(actionLocals) + [0x7F] : [0x00]
        run += Array(repeating: [0x02, 0x40], count: nestedBlocks).flatMap { $0 }
        run += Array(repeating: 0x0B, count: nestedBlocks)
        run += actionCode
        if let growPages {
            // memory.grow(growPages); if the result is -1: unreachable.
            run += [0x41] + Self.signed(Int64(growPages)) + [0x40, 0x00, 0x41, 0x7F, 0x46, 0x04, 0x40, 0x00, 0x0B]
        }
        run += callCode
        run += [0x42] + Self.signed(Int64(output.offset) << 32 | Int64(output.count)) + [0x0B]
        module += Self.section(10, Self.vector([Self.unsigned(alloc.count) + alloc, Self.unsigned(run.count) + run]))
        if !dataSegments.isEmpty {
            module += Self.section(
                11,
                Self.vector(
                    dataSegments.map { segment in
                        [0x00, 0x41] + Self.signed(Int64(Int32(bitPattern: segment.offset))) + [0x0B]
                            + Self.unsigned(segment.bytes.count) + segment.bytes
                    }))
        }
        for _ in 0..<customSections { module += Self.section(0, Self.name("note")) }
        return module
    }

    /// The action's `calls`: each argument an `i32.const`, then `call`, then `drop` for a result; inside
    /// `loop … br 0 end` with `repeatsCalls`.
    private var callCode: [UInt8] {
        var code: [UInt8] = []
        for call in calls {
            for argument in call.arguments { code += [0x41] + Self.signed(Int64(Int32(bitPattern: argument))) }
            code += [0x10] + Self.unsigned(call.function)
            if imports[call.function].results > 0 { code.append(0x1A) }
        }
        return repeatsCalls ? [0x03, 0x40] + code + [0x0C, 0x00, 0x0B] : code
    }

    private static func section(_ id: UInt8, _ contents: [UInt8]) -> [UInt8] {
        [id] + unsigned(contents.count) + contents
    }

    private static func vector(_ items: [[UInt8]]) -> [UInt8] {
        var bytes = unsigned(items.count)
        bytes.reserveCapacity(bytes.count + items.reduce(0) { $0 + $1.count })
        for item in items { bytes += item }
        return bytes
    }

    private static func name(_ text: String) -> [UInt8] { unsigned(text.utf8.count) + Array(text.utf8) }

    /// `value` in unsigned LEB128.
    public static func unsigned(_ value: Int) -> [UInt8] {
        var value = UInt64(value)
        var bytes: [UInt8] = []
        repeat {
            var byte = UInt8(value & 0x7F)
            value >>= 7
            if value != 0 { byte |= 0x80 }
            bytes.append(byte)
        } while value != 0
        return bytes
    }

    /// `value` in signed LEB128.
    public static func signed(_ value: Int64) -> [UInt8] {
        var value = value
        var bytes: [UInt8] = []
        while true {
            let byte = UInt8(value & 0x7F)
            value >>= 7
            if (value == 0 && byte & 0x40 == 0) || (value == -1 && byte & 0x40 != 0) {
                bytes.append(byte)
                return bytes
            }
            bytes.append(byte | 0x80)
        }
    }
}
