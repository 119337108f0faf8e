import CZstd
import Foundation

/// The decompressed body of a snapshot: every projection's tables, sorted, in one immutable buffer that
/// ``MemoryTables`` reads in place.
final class SnapshotBody: @unchecked Sendable {
    let bytes: UnsafeRawBufferPointer

    init(taking bytes: UnsafeMutableRawBufferPointer) { self.bytes = UnsafeRawBufferPointer(bytes) }

    deinit { bytes.deallocate() }

    /// One projection's tables in the body.
    struct Projection {
        let name: String
        let version: Int
        let configuration: String
        let tableNames: [String]
        let tables: [MemoryTables.Base]
    }

    /// Indexes the body's projections (no copying of entries).
    func projections() throws(SnapshotFormatError) -> [Projection] {
        var reader = ByteReader(bytes)
        do {
            guard try reader.bytes(4).elementsEqual(SnapshotFormat.bodyMagic) else {
                throw SnapshotFormatError("the body does not start with ANSB")
            }
            var projections: [Projection] = []
            let count = try reader.varint()
            guard count <= 1024 else { throw SnapshotFormatError("it claims \(count) projections") }
            for _ in 0..<count {
                let name = String(decoding: try reader.lengthPrefixed(), as: UTF8.self)
                let version = Int(truncatingIfNeeded: try reader.varint())
                let configuration = String(decoding: try reader.lengthPrefixed(), as: UTF8.self)
                let tableCount = try reader.varint()
                guard tableCount <= 1024 else {
                    throw SnapshotFormatError("projection \(name) claims \(tableCount) tables")
                }
                var names: [String] = []
                var tables: [MemoryTables.Base] = []
                for _ in 0..<tableCount {
                    names.append(String(decoding: try reader.lengthPrefixed(), as: UTF8.self))
                    let entries = try reader.varint()
                    guard entries <= UInt64(reader.remaining) else {
                        throw SnapshotFormatError("table \(name).\(names.last!) claims \(entries) entries")
                    }
                    var spans: [(Int, Int, Int, Int)] = []
                    spans.reserveCapacity(Int(entries))
                    for _ in 0..<entries {
                        let keyLength = Int(try reader.varint())
                        let keyStart = reader.position
                        _ = try reader.bytes(keyLength)
                        let valueLength = Int(try reader.varint())
                        let valueStart = reader.position
                        _ = try reader.bytes(valueLength)
                        spans.append((keyStart, keyLength, valueStart, valueLength))
                    }
                    tables.append(MemoryTables.Base(body: self, spans: spans))
                }
                projections.append(
                    Projection(
                        name: name, version: version, configuration: configuration, tableNames: names, tables: tables))
            }
            return projections
        } catch let error as SnapshotFormatError {
            throw error
        } catch {
            throw SnapshotFormatError("the body is truncated")
        }
    }
}

/// Why a snapshot does not decode.
struct SnapshotFormatError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// The stored form of a snapshot (docs/FORMAT.md, "Snapshots").
enum SnapshotFormat {
    static let magic: [UInt8] = Array("ANSN".utf8)
    static let bodyMagic: [UInt8] = Array("ANSB".utf8)
    static let version: UInt8 = 1
    static let headerSize = 34

    /// Facts from a snapshot's header, without decompressing it.
    struct Header: Sendable, Equatable {
        var offset: UInt64
        var createdAt: Int64
        var bodyLength: UInt64
        var storedLength: Int
        var checksum: UInt32
    }

    /// Encodes the tables of `projections` (each read through its reader) into a body, compresses it and frames it.
    static func encode(
        _ projections: [(projection: any Annals.Projection, tables: any ProjectionReader)], offset: UInt64,
        createdAt: Int64, level: Int32
    ) throws -> [UInt8] {
        var writer = ByteWriter(capacity: 1 << 20)
        writer.raw(bodyMagic)
        writer.varint(UInt64(projections.count))
        for (projection, tables) in projections {
            writer.lengthPrefixed(Array(projection.name.utf8))
            writer.varint(UInt64(projection.version))
            writer.lengthPrefixed(Array(projection.configuration.utf8))
            writer.varint(UInt64(projection.tableNames.count))
            for (index, name) in projection.tableNames.enumerated() {
                writer.lengthPrefixed(Array(name.utf8))
                var entries: [(UnsafeRawBufferPointer, UnsafeRawBufferPointer)] = []
                try tables.scan(ProjectionTable(index), prefix: []) { key, value in
                    entries.append((key, value))
                    return true
                }
                writer.varint(UInt64(entries.count))
                for (key, value) in entries {
                    writer.lengthPrefixed(key)
                    writer.lengthPrefixed(value)
                }
            }
        }
        let body = writer.bytes
        let checksum = CRC32C.checksum(body)
        var framed = [UInt8](repeating: 0, count: headerSize + ZSTD_compressBound(body.count))
        let size = framed.withUnsafeMutableBytes { out in
            body.withUnsafeBytes { input in
                ZSTD_compress(
                    out.baseAddress! + headerSize, out.count - headerSize, input.baseAddress, input.count, level)
            }
        }
        if ZSTD_isError(size) != 0 {
            throw AnnalsError.compression("ZSTD_compress (snapshot): " + String(cString: ZSTD_getErrorName(size)))
        }
        framed.removeLast(framed.count - headerSize - size)
        var header = ByteWriter(capacity: headerSize)
        header.raw(magic)
        header.u8(version)
        header.u8(1)
        header.raw(offset.bigEndianBytes)
        header.raw(UInt64(bitPattern: createdAt).bigEndianBytes)
        header.raw(UInt64(body.count).bigEndianBytes)
        header.raw(withUnsafeBytes(of: checksum.bigEndian) { Array($0) })
        framed.replaceSubrange(0..<headerSize, with: header.bytes)
        return framed
    }

    /// Reads a stored snapshot's header.
    static func header(_ stored: UnsafeRawBufferPointer, key offset: UInt64) throws(AnnalsError) -> Header {
        guard stored.count >= headerSize, stored[0..<4].elementsEqual(magic) else {
            throw .corruptSnapshot(offset: offset, reason: "the header is missing or does not start with ANSN")
        }
        guard stored[4] == version, stored[5] == 1 else {
            throw .corruptSnapshot(offset: offset, reason: "unknown format \(stored[4]) or codec \(stored[5])")
        }
        let header = Header(
            offset: UInt64(bigEndianBytes: stored, at: 6),
            createdAt: Int64(bitPattern: UInt64(bigEndianBytes: stored, at: 14)),
            bodyLength: UInt64(bigEndianBytes: stored, at: 22), storedLength: stored.count,
            checksum: UInt32(bigEndianBytes: stored, at: 30))
        guard header.offset == offset else {
            throw .corruptSnapshot(offset: offset, reason: "the header names offset \(header.offset)")
        }
        return header
    }

    /// Decompresses and checks a stored snapshot: the body length and its CRC-32C must match the header.
    static func body(_ stored: UnsafeRawBufferPointer, key offset: UInt64) throws(AnnalsError) -> SnapshotBody {
        let header = try header(stored, key: offset)
        guard header.bodyLength <= 1 << 40 else {
            throw .corruptSnapshot(offset: offset, reason: "the body length \(header.bodyLength) is implausible")
        }
        let output = UnsafeMutableRawBufferPointer.allocate(byteCount: Int(header.bodyLength), alignment: 8)
        let frame = UnsafeRawBufferPointer(rebasing: stored[headerSize...])
        let size = ZSTD_decompress(output.baseAddress, output.count, frame.baseAddress, frame.count)
        if ZSTD_isError(size) != 0 || size != output.count {
            output.deallocate()
            let reason =
                ZSTD_isError(size) != 0
                ? "decompression failed: \(String(cString: ZSTD_getErrorName(size)))"
                : "the body is \(size) bytes, the header says \(header.bodyLength)"
            throw .corruptSnapshot(offset: offset, reason: reason)
        }
        let body = SnapshotBody(taking: output)
        guard CRC32C.checksum(body.bytes) == header.checksum else {
            throw .corruptSnapshot(offset: offset, reason: "the CRC-32C of the body does not match the header")
        }
        return body
    }
}
