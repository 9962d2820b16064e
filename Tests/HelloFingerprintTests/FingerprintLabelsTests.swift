import Foundation
import HelloFingerprint
import Testing

@Suite struct FingerprintLabelsTests {
    // Labels here are test data, not real stacks: the fingerprints are made up on purpose
    // ("0123…", "t13d…_aaaaaaaaaaaa_…") so nobody mistakes them for a shipped table.
    static let csv = """
        # fleet labels
        fingerprint,label
        0123456789ABCDEF0123456789ABCDEF, "test stack A"
        t13d1516h2_aaaaaaaaaaaa_bbbbbbbbbbbb,test stack B, with comma

        """

    @Test func csvWithCommentsHeaderAndQuotes() throws {
        let labels = try FingerprintLabels(parsing: Self.csv, format: .csv)
        #expect(labels.count == 2)
        #expect(labels["0123456789abcdef0123456789abcdef"] == "test stack A")
        #expect(labels["t13d1516h2_aaaaaaaaaaaa_bbbbbbbbbbbb"] == "test stack B, with comma")
        #expect(labels["T13D1516H2_AAAAAAAAAAAA_BBBBBBBBBBBB"] == nil)
    }

    @Test func json() throws {
        let labels = try FingerprintLabels(
            parsing: #"{"0123456789abcdef0123456789abcdef": "A", "t12i000000_000000000000_000000000000": "B"}"#,
            format: .json)
        #expect(labels.count == 2)
        #expect(labels.label(ja3: "0123456789ABCDEF0123456789ABCDEF", ja4: nil) == "A")
        #expect(labels.label(ja3: "0123456789abcdef0123456789abcdef",
                             ja4: "t12i000000_000000000000_000000000000") == "B")
        #expect(labels.label(ja3: "ffffffffffffffffffffffffffffffff", ja4: "x") == nil)
    }

    @Test func malformedInputsSayWhere() {
        #expect(throws: FingerprintLabels.LoadError.malformedLine(2)) {
            try FingerprintLabels(parsing: "a,b\nno comma here\n", format: .csv)
        }
        #expect(throws: FingerprintLabels.LoadError.malformedLine(1)) {
            try FingerprintLabels(parsing: "abc,\n", format: .csv)
        }
        #expect(throws: (any Error).self) {
            try FingerprintLabels(parsing: #"{"a": 1}"#, format: .json)
        }
    }

    @Test func loadsFilesByNameOrContent() throws {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("fp-labels-\(UInt32.random(in: 0 ... .max))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let csvFile = directory.appendingPathComponent("labels.csv")
        try Self.csv.write(to: csvFile, atomically: true, encoding: .utf8)
        let jsonFile = directory.appendingPathComponent("labels.txt")
        try #"  {"t13d1516h2_aaaaaaaaaaaa_bbbbbbbbbbbb": "B"}"#.write(to: jsonFile, atomically: true, encoding: .utf8)
        #expect(try FingerprintLabels(contentsOfFile: csvFile.path).count == 2)
        #expect(try FingerprintLabels(contentsOfFile: jsonFile.path)["t13d1516h2_aaaaaaaaaaaa_bbbbbbbbbbbb"] == "B")
        #expect(throws: FingerprintLabels.LoadError.unreadable(path: directory.path + "/missing.csv")) {
            try FingerprintLabels(contentsOfFile: directory.path + "/missing.csv")
        }
    }

    @Test func shipsEmpty() { #expect(FingerprintLabels().isEmpty) }
}
