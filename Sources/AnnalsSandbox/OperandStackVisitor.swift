import WasmKit
import WasmParser

/// Follows one function body's operand stack and open blocks, instruction by instruction: how deep the blocks nest,
/// how high the stack grows, and how many stack values WasmKit's translator scans on the way.
///
/// The height is counted from above, never below what validation (and so translation) has: exactly for the
/// instructions compilers emit, and for the few others (the atomic read-modify-writes and compare-exchanges) as if
/// they popped only as many values as they push. Code after `unreachable`, `br`, `br_table`, `return`, `throw` or a tail
/// call starts again from the height its block started with, as in validation. An instruction not implemented here
/// changes nothing, which is from above for every instruction that pushes no more than it pops; each one that
/// pushes more (`local.get`, `global.get`, the constants, `memory.size`, `table.size`, `ref.null`, `ref.func`,
/// `struct.new_default`, `array.new_fixed`, calls and blocks) is.
struct OperandStackVisitor: InstructionVisitor {
    typealias VisitorError = PluginModuleError

    /// An open block, loop, if or `try_table`, or the function itself.
    private struct Frame {
        /// The stack's height below the block's own values (its parameters included).
        var base: Int
        /// The values the block starts with (an `else` starts again with them).
        var parameters: Int
        /// The values the block leaves.
        var results: Int
        /// The catch clauses of a `try_table` (0 for the other blocks).
        var catches = 0
    }

    let signatures: ModuleSignatures
    /// The deepest the blocks may nest.
    let nestingLimit: Int
    /// The most values the stack may hold; the first byte past it is kept for the message.
    let heightLimit: Int
    /// The most catch clauses one `try_table` may have, and all the `try_table`s open at once together.
    let catchLimits: (perTryTable: Int, open: Int)
    /// The body's index in the code section, for the messages.
    let body: Int
    var binaryOffset = 0
    /// The stack's height now.
    private var height = 0
    /// The most values the stack held.
    private(set) var maximumHeight = 0
    /// Where the stack first held more than `heightLimit` values, if it did.
    private(set) var firstOffsetPastLimit: Int?
    /// The values the translator scans, added up: the stack's height at each instruction that walks it.
    private(set) var scanned = 0
    private var frames: [Frame]
    /// The catch clauses of the `try_table`s open now.
    private var openCatches = 0

    /// A visitor for the function of `body` (its index in the code section) of a module with `signatures`.
    init(
        signatures: ModuleSignatures, body: Int, nestingLimit: Int, heightLimit: Int,
        catchLimits: (perTryTable: Int, open: Int)
    ) {
        self.signatures = signatures
        self.body = body
        self.nestingLimit = nestingLimit
        self.heightLimit = heightLimit
        self.catchLimits = catchLimits
        let function = signatures.function(UInt32(clamping: signatures.importedFunctions + body))
        frames = [Frame(base: 0, parameters: 0, results: function.results)]
    }

    // MARK: The stack

    private mutating func push(_ count: Int) {
        height += count
        if height > maximumHeight {
            maximumHeight = height
            if height > heightLimit && firstOffsetPastLimit == nil { firstOffsetPastLimit = binaryOffset }
        }
    }

    /// Pops `count` values, never below the current block's base (validation refuses a module that would, and in
    /// unreachable code the stack is polymorphic).
    private mutating func pop(_ count: Int) {
        height = max(frames.last?.base ?? 0, height - count)
    }

    /// An instruction of the translator's that walks the whole stack.
    private mutating func scan() { scanned += height }

    /// The rest of the block is unreachable: the stack starts again at the block's base.
    private mutating func unreachable() { height = frames.last?.base ?? 0 }

    /// A branch or return out of open `try_table`s: the translator adds up their catch clauses (in 16 bits) to
    /// unwind them, and each execution of the branch unwinds them, so they count as values scanned.
    private mutating func branchOut() { scanned += openCatches }

    private mutating func open(_ blockType: BlockType) throws(PluginModuleError) {
        guard frames.count <= nestingLimit else {
            throw PluginModuleError(
                .tooLarge,
                "function body \(body) nests blocks more than \(nestingLimit) deep (at byte \(binaryOffset) of the "
                    + "module)")
        }
        let arity: (parameters: Int, results: Int)
        switch blockType {
        case .empty: arity = (0, 0)
        case .type: arity = (0, 1)
        case .funcType(let index):
            let type = signatures.type(index)
            arity = (type.parameters, type.results)
        }
        let base = max(frames.last?.base ?? 0, height - arity.parameters)
        frames.append(Frame(base: base, parameters: arity.parameters, results: arity.results))
    }

    /// Pops `parameters` and pushes `results`, as a call does.
    private mutating func call(_ type: ModuleSignatures.Arity, popping extra: Int = 0) {
        pop(type.parameters + extra)
        push(type.results)
    }

    // MARK: Control

    mutating func visitUnreachable() { unreachable() }
    mutating func visitBlock(blockType: BlockType) throws(PluginModuleError) {
        scan()
        try open(blockType)
    }
    mutating func visitLoop(blockType: BlockType) throws(PluginModuleError) {
        scan()
        try open(blockType)
    }
    mutating func visitIf(blockType: BlockType) throws(PluginModuleError) {
        scan()
        pop(1)
        try open(blockType)
    }
    mutating func visitTryTable(blockType: BlockType, tryCatch: TryCatch) throws(PluginModuleError) {
        scan()
        let catches = tryCatch.catches.count
        guard catches <= catchLimits.perTryTable else {
            throw PluginModuleError(
                .tooLarge,
                "function body \(body) has a try_table of \(catches) catch clauses, more than the limit of "
                    + "\(catchLimits.perTryTable) (at byte \(binaryOffset) of the module)")
        }
        guard openCatches + catches <= catchLimits.open else {
            throw PluginModuleError(
                .tooLarge,
                "function body \(body) has try_tables open at once with \(openCatches + catches) catch clauses in "
                    + "all, more than the limit of \(catchLimits.open) (at byte \(binaryOffset) of the module)")
        }
        try open(blockType)
        frames[frames.count - 1].catches = catches
        openCatches += catches
        // Translating the clauses takes time in proportion to their number squared.
        scanned += catches * catches
    }
    mutating func visitElse() {
        scan()
        guard let frame = frames.last else { return }
        height = frame.base
        push(frame.parameters)
    }
    mutating func visitEnd() {
        scan()
        guard let frame = frames.popLast() else { return }
        openCatches -= frame.catches
        height = frame.base
        push(frame.results)
    }
    mutating func visitBr(relativeDepth: UInt32) {
        branchOut()
        unreachable()
    }
    mutating func visitBrIf(relativeDepth: UInt32) {
        scan()
        branchOut()
        pop(1)
    }
    mutating func visitBrTable(targets: BrTable) {
        scanned += openCatches * (targets.labelIndices.count + 1)
        unreachable()
    }
    mutating func visitReturn() {
        branchOut()
        unreachable()
    }
    mutating func visitThrow(tagIndex: UInt32) { unreachable() }
    mutating func visitThrowRef() { unreachable() }
    mutating func visitCall(functionIndex: UInt32) { call(signatures.function(functionIndex)) }
    mutating func visitCallIndirect(typeIndex: UInt32, tableIndex: UInt32) {
        call(signatures.type(typeIndex), popping: 1)
    }
    mutating func visitCallRef(typeIndex: UInt32) { call(signatures.type(typeIndex), popping: 1) }
    mutating func visitReturnCall(functionIndex: UInt32) { unreachable() }
    mutating func visitReturnCallIndirect(typeIndex: UInt32, tableIndex: UInt32) { unreachable() }
    mutating func visitReturnCallRef(typeIndex: UInt32) { unreachable() }
    mutating func visitBrOnNull(relativeDepth: UInt32) {
        scan()
        branchOut()
    }
    mutating func visitBrOnNonNull(relativeDepth: UInt32) {
        scan()
        branchOut()
        pop(1)
    }

    // MARK: Variables and parametric instructions

    mutating func visitDrop() { pop(1) }
    mutating func visitSelect() { pop(2) }
    mutating func visitTypedSelect(type: ValueType) { pop(2) }
    mutating func visitLocalGet(localIndex: UInt32) { push(1) }
    mutating func visitLocalSet(localIndex: UInt32) {
        scan()
        pop(1)
    }
    mutating func visitLocalTee(localIndex: UInt32) { scan() }
    mutating func visitGlobalGet(globalIndex: UInt32) { push(1) }
    mutating func visitGlobalSet(globalIndex: UInt32) { pop(1) }

    // MARK: Constants, numbers, memory and tables

    mutating func visitI32Const(value: Int32) { push(1) }
    mutating func visitI64Const(value: Int64) { push(1) }
    mutating func visitF32Const(value: IEEE754.Float32) { push(1) }
    mutating func visitF64Const(value: IEEE754.Float64) { push(1) }
    mutating func visitV128Const(value: V128) { push(1) }
    mutating func visitCmp(_ cmp: Instruction.Cmp) { pop(1) }
    mutating func visitBinary(_ binary: Instruction.Binary) { pop(1) }
    mutating func visitStore(_ store: Instruction.Store, memarg: MemArg) { pop(2) }
    mutating func visitMemorySize(memory: UInt32) { push(1) }
    mutating func visitMemoryInit(dataIndex: UInt32, memory: UInt32) { pop(3) }
    mutating func visitMemoryCopy(dstMem: UInt32, srcMem: UInt32) { pop(3) }
    mutating func visitMemoryFill(memory: UInt32) { pop(3) }
    mutating func visitTableInit(elemIndex: UInt32, table: UInt32) { pop(3) }
    mutating func visitTableCopy(dstTable: UInt32, srcTable: UInt32) { pop(3) }
    mutating func visitTableFill(table: UInt32) { pop(3) }
    mutating func visitTableSet(table: UInt32) { pop(2) }
    mutating func visitTableGrow(table: UInt32) { pop(1) }
    mutating func visitTableSize(table: UInt32) { push(1) }
    mutating func visitMemoryAtomicNotify(memarg: MemArg) { pop(1) }
    mutating func visitMemoryAtomicWait32(memarg: MemArg) { pop(2) }
    mutating func visitMemoryAtomicWait64(memarg: MemArg) { pop(2) }

    // MARK: Vectors

    mutating func visitI8x16Shuffle(lanes: V128ShuffleMask) { pop(1) }
    mutating func visitSimd(_ simd: Instruction.Simd) { pop(simd.operands - 1) }
    mutating func visitSimdLane(_ simdLane: Instruction.SimdLane, lane: UInt8) {
        switch simdLane {
        case .i8x16ReplaceLane, .i16x8ReplaceLane, .i32x4ReplaceLane, .i64x2ReplaceLane, .f32x4ReplaceLane,
            .f64x2ReplaceLane:
            pop(1)
        default: break
        }
    }
    mutating func visitSimdMemLane(_ simdMemLane: Instruction.SimdMemLane, memarg: MemArg, lane: UInt8) {
        switch simdMemLane {
        case .v128Load8Lane, .v128Load16Lane, .v128Load32Lane, .v128Load64Lane: pop(1)
        case .v128Store8Lane, .v128Store16Lane, .v128Store32Lane, .v128Store64Lane: pop(2)
        }
    }

    // MARK: References and garbage-collected types

    mutating func visitRefNull(type: HeapType) { push(1) }
    mutating func visitRefFunc(functionIndex: UInt32) { push(1) }
    mutating func visitRefEq() { pop(1) }
    mutating func visitStructNew(typeIndex: UInt32) {
        pop(signatures.type(typeIndex).fields)
        push(1)
    }
    mutating func visitStructNewDefault(typeIndex: UInt32) { push(1) }
    mutating func visitStructSet(typeIndex: UInt32, fieldIndex: UInt32) { pop(2) }
    mutating func visitArrayNew(typeIndex: UInt32) { pop(1) }
    mutating func visitArrayNewFixed(typeIndex: UInt32, size: UInt32) {
        pop(Int(size))
        push(1)
    }
    mutating func visitArrayGet(typeIndex: UInt32) { pop(1) }
    mutating func visitArrayGetS(typeIndex: UInt32) { pop(1) }
    mutating func visitArrayGetU(typeIndex: UInt32) { pop(1) }
    mutating func visitArraySet(typeIndex: UInt32) { pop(3) }
    mutating func visitArrayNewData(typeIndex: UInt32, dataIndex: UInt32) { pop(1) }
    mutating func visitArrayNewElem(typeIndex: UInt32, elemIndex: UInt32) { pop(1) }
    mutating func visitArrayFill(typeIndex: UInt32) { pop(4) }
    mutating func visitArrayCopy(destType: UInt32, srcType: UInt32) { pop(5) }
    mutating func visitArrayInitData(typeIndex: UInt32, dataIndex: UInt32) { pop(4) }
    mutating func visitArrayInitElem(typeIndex: UInt32, elemIndex: UInt32) { pop(4) }
}
