import WasmParser

extension Instruction.Simd {
    /// How many values the instruction pops; each pushes one. The groups are WasmKit's translator's (splats,
    /// unary, `any_true`/`all_true`/`bitmask`, ternary); every other operation takes two.
    ///
    /// Only a unary operation counted here as binary would count the stack lower than it is: the unary group is
    /// the one to keep complete.
    var operands: Int {
        switch self {
        case .i8x16Splat, .i16x8Splat, .i32x4Splat, .i64x2Splat, .f32x4Splat, .f64x2Splat,
            .v128AnyTrue, .i8x16AllTrue, .i8x16Bitmask, .i16x8AllTrue, .i16x8Bitmask, .i32x4AllTrue, .i32x4Bitmask,
            .i64x2AllTrue, .i64x2Bitmask,
            .v128Not, .i8x16Abs, .i8x16Neg, .i16x8Abs, .i16x8Neg, .i32x4Abs, .i32x4Neg, .i64x2Abs, .i64x2Neg,
            .f32x4Ceil, .f32x4Floor, .f32x4Trunc, .f32x4Nearest, .f64x2Ceil, .f64x2Floor, .f64x2Trunc, .f64x2Nearest,
            .f32x4Abs, .f32x4Neg, .f32x4Sqrt, .f64x2Abs, .f64x2Neg, .f64x2Sqrt,
            .i32x4TruncSatF32X4S, .i32x4TruncSatF32X4U, .f32x4ConvertI32X4S, .f32x4ConvertI32X4U,
            .f64x2ConvertLowI32X4S, .f64x2ConvertLowI32X4U, .i32x4TruncSatF64X2SZero, .i32x4TruncSatF64X2UZero,
            .f32x4DemoteF64X2Zero, .f64x2PromoteLowF32X4, .i8x16Popcnt,
            .i16x8ExtaddPairwiseI8X16S, .i16x8ExtaddPairwiseI8X16U, .i32x4ExtaddPairwiseI16X8S,
            .i32x4ExtaddPairwiseI16X8U,
            .i16x8ExtendLowI8X16S, .i16x8ExtendHighI8X16S, .i16x8ExtendLowI8X16U, .i16x8ExtendHighI8X16U,
            .i32x4ExtendLowI16X8S, .i32x4ExtendHighI16X8S, .i32x4ExtendLowI16X8U, .i32x4ExtendHighI16X8U,
            .i64x2ExtendLowI32X4S, .i64x2ExtendHighI32X4S, .i64x2ExtendLowI32X4U, .i64x2ExtendHighI32X4U,
            .i32x4RelaxedTruncF32X4S, .i32x4RelaxedTruncF32X4U, .i32x4RelaxedTruncF64X2SZero,
            .i32x4RelaxedTruncF64X2UZero:
            return 1
        case .v128Bitselect, .i8x16RelaxedLaneselect, .i16x8RelaxedLaneselect, .i32x4RelaxedLaneselect,
            .i64x2RelaxedLaneselect, .f32x4RelaxedMadd, .f32x4RelaxedNmadd, .f64x2RelaxedMadd, .f64x2RelaxedNmadd,
            .i32x4RelaxedDotI8X16I7X16AddS:
            return 3
        default:
            return 2
        }
    }
}
