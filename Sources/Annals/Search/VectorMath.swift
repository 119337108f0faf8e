/// How the components of a stored vector are encoded; the raw value is stored with the vectors.
public enum VectorEncoding: UInt8, Sendable, Codable {
    /// IEEE 754 single precision, 4 bytes per component, little-endian.
    case float32 = 1
    /// IEEE 754 half precision, 2 bytes per component, little-endian: half the space, about 3 significant
    /// digits, plenty for unit vectors compared by cosine.
    case float16 = 2

    /// The number of bytes of one component.
    public var bytesPerComponent: Int {
        switch self {
        case .float32: 4
        case .float16: 2
        }
    }
}

/// An encoded vector whose byte count does not match its encoding and number of dimensions.
public struct VectorFormatError: Error, CustomStringConvertible, Equatable {
    /// The encoding the bytes were read as.
    public let encoding: VectorEncoding
    /// The number of components expected.
    public let dimensions: Int
    /// The number of bytes found.
    public let byteCount: Int

    /// The number of bytes `dimensions` components take in `encoding`.
    public var expectedByteCount: Int { dimensions * encoding.bytesPerComponent }

    /// What is wrong, e.g. "a float16 vector of 384 dimensions takes 768 bytes, found 770".
    public var description: String {
        "a \(encoding) vector of \(dimensions) dimensions takes \(expectedByteCount) bytes, found \(byteCount)"
    }
}

/// Vector arithmetic and encoding for semantic search: SIMD dot products, normalization, Float32/Float16 codecs.
public enum VectorMath {
    /// The bytes of `vector` in `encoding`, little-endian; Float16 rounds to nearest, ties to even.
    /// - Parameters:
    ///   - vector: The components.
    ///   - encoding: The component format.
    /// - Returns: `vector.count * encoding.bytesPerComponent` bytes.
    public static func encode(_ vector: [Float], as encoding: VectorEncoding) -> [UInt8] {
        let width = encoding.bytesPerComponent
        return [UInt8](unsafeUninitializedCapacity: vector.count * width) { bytes, count in
            let output = UnsafeMutableRawBufferPointer(bytes)
            for (index, component) in vector.enumerated() {
                switch encoding {
                case .float32:
                    output.storeBytes(
                        of: component.bitPattern.littleEndian, toByteOffset: index * 4, as: UInt32.self)
                case .float16:
                    output.storeBytes(of: halfBits(component).littleEndian, toByteOffset: index * 2, as: UInt16.self)
                }
            }
            count = vector.count * width
        }
    }

    /// The components of an encoded vector.
    /// - Parameters:
    ///   - bytes: Exactly `dimensions * encoding.bytesPerComponent` bytes, as written by ``encode(_:as:)``.
    ///   - encoding: The component format.
    ///   - dimensions: The number of components.
    /// - Returns: `dimensions` components.
    /// - Throws: ``VectorFormatError`` when the byte count does not match.
    public static func decode(
        _ bytes: UnsafeRawBufferPointer, encoding: VectorEncoding, dimensions: Int
    ) throws(VectorFormatError) -> [Float] {
        guard dimensions >= 0, bytes.count == dimensions * encoding.bytesPerComponent else {
            throw VectorFormatError(encoding: encoding, dimensions: dimensions, byteCount: bytes.count)
        }
        return [Float](unsafeUninitializedCapacity: dimensions) { output, initialized in
            decodeComponents(bytes, encoding: encoding, into: output)
            initialized = dimensions
        }
    }

    /// Decodes an encoded vector into existing memory, the fast path for building a ``VectorMatrix``.
    /// - Parameters:
    ///   - bytes: Exactly `output.count * encoding.bytesPerComponent` bytes.
    ///   - encoding: The component format.
    ///   - output: Where the components go; its count is the number of dimensions.
    /// - Throws: ``VectorFormatError`` when the byte count does not match; `output` is then untouched.
    public static func decode(
        _ bytes: UnsafeRawBufferPointer, encoding: VectorEncoding, into output: UnsafeMutableBufferPointer<Float>
    ) throws(VectorFormatError) {
        guard bytes.count == output.count * encoding.bytesPerComponent else {
            throw VectorFormatError(encoding: encoding, dimensions: output.count, byteCount: bytes.count)
        }
        decodeComponents(bytes, encoding: encoding, into: output)
    }

    /// Decodes `output.count` components; the caller has checked the byte count.
    static func decodeComponents(
        _ bytes: UnsafeRawBufferPointer, encoding: VectorEncoding, into output: UnsafeMutableBufferPointer<Float>
    ) {
        switch encoding {
        case .float32:
            #if _endian(little)
                UnsafeMutableRawBufferPointer(output).copyMemory(from: bytes)
            #else
                for index in output.indices {
                    let bits = bytes.loadUnaligned(fromByteOffset: index * 4, as: UInt32.self)
                    output[index] = Float(bitPattern: UInt32(littleEndian: bits))
                }
            #endif
        case .float16:
            for index in output.indices {
                let bits = bytes.loadUnaligned(fromByteOffset: index * 2, as: UInt16.self)
                output[index] = float(halfBits: UInt16(littleEndian: bits))
            }
        }
    }

    /// The dot product of two vectors of the same length, in 16-lane SIMD chunks with a scalar tail.
    ///
    /// This is the inner loop of exact search. The summation order is fixed (two SIMD accumulators, then the
    /// tail), so the result is the same on every run, though it may differ in the last bits from a scalar loop.
    /// - Parameters:
    ///   - a: A vector.
    ///   - b: A vector of the same length as `a`.
    /// - Returns: Σ a[i]·b[i].
    public static func dot(_ a: UnsafeBufferPointer<Float>, _ b: UnsafeBufferPointer<Float>) -> Float {
        precondition(a.count == b.count, "dot product of vectors of different lengths")
        guard let pa = a.baseAddress, let pb = b.baseAddress else { return 0 }
        let rawA = UnsafeRawPointer(pa)
        let rawB = UnsafeRawPointer(pb)
        let count = a.count
        var sum0 = SIMD16<Float>()
        var sum1 = SIMD16<Float>()
        var index = 0
        while index + 32 <= count {
            sum0 += product(rawA, rawB, byteOffset: index * 4)
            sum1 += product(rawA, rawB, byteOffset: index * 4 + 64)
            index += 32
        }
        if index + 16 <= count {
            sum0 += product(rawA, rawB, byteOffset: index * 4)
            index += 16
        }
        var result = (sum0 + sum1).sum()
        while index < count {
            result += pa[index] * pb[index]
            index += 1
        }
        return result
    }

    /// The lane-wise product of 16 components of `a` and `b` at `byteOffset`.
    @inline(__always)
    private static func product(_ a: UnsafeRawPointer, _ b: UnsafeRawPointer, byteOffset: Int) -> SIMD16<Float> {
        a.loadUnaligned(fromByteOffset: byteOffset, as: SIMD16<Float>.self)
            * b.loadUnaligned(fromByteOffset: byteOffset, as: SIMD16<Float>.self)
    }

    /// The cosine similarity of two vectors of the same length: 0 when either is all zeros.
    /// - Parameters:
    ///   - a: A vector.
    ///   - b: A vector of the same length as `a`.
    /// - Returns: A value in [-1, 1] (up to rounding).
    public static func cosine(_ a: [Float], _ b: [Float]) -> Float {
        a.withUnsafeBufferPointer { a in
            b.withUnsafeBufferPointer { b in
                let norms = (dot(a, a) * dot(b, b)).squareRoot()
                return norms > 0 && norms.isFinite ? dot(a, b) / norms : 0
            }
        }
    }

    /// `v` scaled to unit length, or all zeros when its length is zero or not finite (NaN or infinite components).
    /// - Parameter v: A vector.
    /// - Returns: A vector of the same count.
    public static func normalized(_ v: [Float]) -> [Float] {
        var result = v
        result.withUnsafeMutableBufferPointer { normalize($0) }
        return result
    }

    /// `v` unchanged when it already has unit length (its squared length within ``unitTolerance`` of 1), else
    /// ``normalized(_:)``: normalizing a vector normalized before can move its components by an ulp, so a vector that
    /// is stored and then given again (a rollback's restore) would never compare equal to itself.
    /// - Parameter v: A vector.
    /// - Returns: A vector of the same count.
    static func unitLength(_ v: [Float]) -> [Float] {
        let squared = v.withUnsafeBufferPointer { dot($0, $0) }
        return abs(squared - 1) <= unitTolerance ? v : normalized(v)
    }

    /// How far from 1 a squared length may be for ``unitLength(_:)`` to take the vector as normalized already: a few
    /// float rounding errors of a sum of 4,096 terms, far below what a search could tell apart.
    static let unitTolerance: Float = 1e-5

    /// Scales `v` in place to unit length, or to all zeros when its length is zero or not finite.
    ///
    /// The vector is first divided by its largest magnitude, so that the sum of squares neither overflows (components
    /// past about 1.8e19) nor underflows (components below about 1e-19): either would make the length infinite or
    /// zero and the vector all zeros, which no search finds.
    static func normalize(_ v: UnsafeMutableBufferPointer<Float>) {
        let largest = v.reduce(Float(0)) { max($0, abs($1)) }
        guard largest > 0 && largest.isFinite else {
            v.update(repeating: 0)
            return
        }
        for index in v.indices { v[index] /= largest }
        let length = dot(UnsafeBufferPointer(v), UnsafeBufferPointer(v)).squareRoot()
        guard length > 0 && length.isFinite else {
            v.update(repeating: 0)
            return
        }
        let scale = 1 / length
        for index in v.indices { v[index] *= scale }
    }
}

// MARK: - Half precision

extension VectorMath {
    /// The binary16 bits of `value`, rounded to nearest, ties to even: `Float16(value).bitPattern`.
    ///
    /// Computed with integer arithmetic (``portableHalfBits(_:)``) on every platform: on x86-64 Linux `Float16(_:)`
    /// calls the runtime's software conversion, several times slower, and Intel Macs have no `Float16`. The two
    /// agree on all 2³² inputs (checked exhaustively once; the tests check a sample), NaNs staying NaNs.
    @inline(__always)
    static func halfBits(_ value: Float) -> UInt16 {
        portableHalfBits(value)
    }

    /// ``halfBits(_:)`` by integer arithmetic, after F. Giesen's `float_to_half_fast3_rtne`. Tested against
    /// `Float16` where it exists.
    static func portableHalfBits(_ value: Float) -> UInt16 {
        let bits = value.bitPattern
        let sign = UInt16(truncatingIfNeeded: bits >> 16) & 0x8000
        var magnitude = bits & 0x7FFF_FFFF
        let half: UInt32
        if magnitude >= 0x4780_0000 {
            // 65536 or more rounds to infinity; NaN stays a (quiet) NaN.
            half = magnitude > 0x7F80_0000 ? 0x7E00 : 0x7C00
        } else if magnitude < 0x3880_0000 {
            // Below the smallest normal half: let the FPU round into the subnormal range.
            let magic = Float(bitPattern: 0x3F00_0000)
            half = (Float(bitPattern: magnitude) + magic).bitPattern &- 0x3F00_0000
        } else {
            let mantissaOdd = (magnitude >> 13) & 1
            magnitude &+= 0xC800_0FFF &+ mantissaOdd
            half = magnitude >> 13
        }
        return UInt16(truncatingIfNeeded: half) | sign
    }

    /// The value of binary16 bits, exactly `Float(Float16(bitPattern: bits))` (tested on every pattern) but by
    /// integer arithmetic, without the library call that conversion makes on x86 (after F. Giesen's
    /// `half_to_float_fast5`).
    static func float(halfBits bits: UInt16) -> Float {
        let shifted = UInt32(bits & 0x7FFF) << 13
        let exponent = shifted & 0x0F80_0000
        var magnitude = shifted &+ 0x3800_0000
        if exponent == 0x0F80_0000 {
            magnitude &+= 0x3800_0000  // infinity or NaN
        } else if exponent == 0 {
            // Subnormal: renormalize through the FPU.
            magnitude = (Float(bitPattern: magnitude &+ 0x0080_0000) - Float(bitPattern: 0x3880_0000)).bitPattern
        }
        return Float(bitPattern: magnitude | UInt32(bits & 0x8000) << 16)
    }
}
