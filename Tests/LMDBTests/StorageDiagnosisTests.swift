import Foundation
import Testing

@testable import LMDB

/// The explanation added to a commit that could not write its pages.
@Suite("Storage diagnosis")
struct StorageDiagnosisTests {
    @Test func sizesReadAsPeopleWriteThem() {
        #expect(StorageDiagnosis.bytes(0) == "0 bytes")
        #expect(StorageDiagnosis.bytes(1) == "1 byte")
        #expect(StorageDiagnosis.bytes(10_239) == "10239 bytes")
        #expect(StorageDiagnosis.bytes(10_240) == "10.0 KiB")
        #expect(StorageDiagnosis.bytes(3 << 20 + 512 << 10) == "3.5 MiB")
        #expect(StorageDiagnosis.bytes(5 << 40) == "5.0 TiB")
        #expect(StorageDiagnosis.bytes(3 << 50) == "3072.0 TiB")
    }

    @Test func onlySpaceAndIOFailuresAreDiagnosed() {
        for code in [LMDBError.Code.ioError, .noSpace, .fileTooLarge, .quotaExceeded] {
            #expect(StorageDiagnosis.applies(to: code), "\(code)")
        }
        for code in [LMDBError.Code.mapFull, .readersFull, .keyExists, .corrupted] {
            #expect(!StorageDiagnosis.applies(to: code), "\(code)")
        }
    }

    @Test func theSummaryNamesTheFreeSpaceAndAnyFileSizeLimit() throws {
        let directory = FileManager.default.temporaryDirectory.path
        var diagnosis = StorageDiagnosis(directory: directory)
        let available = try #require(diagnosis.availableBytes)
        diagnosis.fileSizeLimit = nil
        #expect(
            diagnosis.summary == "the file system holding \(directory) has \(StorageDiagnosis.bytes(available)) free")

        diagnosis.fileSizeLimit = 4 << 20
        diagnosis.fileBytes = 4 << 20
        #expect(
            diagnosis.summary.hasSuffix(
                "this process may not write files beyond 4.0 MiB (ulimit -f); data.mdb is 4.0 MiB"))

        let unreadable = StorageDiagnosis(directory: directory + "/no-such-directory-\(UUID())")
        #expect(unreadable.availableBytes == nil && unreadable.fileBytes == nil)
    }

    @Test func anErrorWithADetailSaysSo() {
        let error = LMDBError(code: .ioError, operation: "mdb_txn_commit", detail: "the disk is full")
        #expect(error.description == "mdb_txn_commit failed: ioError (Input/output error); the disk is full")
        #expect(LMDBError(code: .mapFull, operation: "mdb_put").description.hasSuffix(")"))
    }
}
