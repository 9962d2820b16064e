import Foundation
import Testing

/// What a user sees for inputs that are missing, damaged or of a kind we do not decode.
@Suite struct BadInputTests {
    @Test func missingFileIsOneLineAndStatus66() throws {
        let result = try Helloscope.run(["analyze", "/nonexistent/capture.pcap"])
        #expect(result.status == 66)
        #expect(result.stderr.split(separator: "\n").count == 1)
        #expect(result.stderr.contains("/nonexistent/capture.pcap"))
    }

    @Test func notACaptureIsStatus66() throws {
        let file = Helloscope.temporaryFile("not-a-capture.pcap")
        try Data("hello, this is text".utf8).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let result = try Helloscope.run(["analyze", file.path])
        #expect(result.status == 66)
        #expect(result.stderr.contains(file.lastPathComponent))
    }

    @Test func unsupportedLinkTypeIsNamed() throws {
        // A classic pcap header with link type 105 (IEEE 802.11) and no packets.
        var header = Data()
        for value: UInt32 in [0xa1b2_c3d4] { withUnsafeBytes(of: value.littleEndian) { header.append(contentsOf: $0) } }
        for value: UInt16 in [2, 4] { withUnsafeBytes(of: value.littleEndian) { header.append(contentsOf: $0) } }
        for value: UInt32 in [0, 0, 65535, 105] { withUnsafeBytes(of: value.littleEndian) { header.append(contentsOf: $0) } }
        let file = Helloscope.temporaryFile("wifi.pcap")
        try header.write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let result = try Helloscope.run(["analyze", file.path])
        #expect(result.status == 65)
        #expect(result.stderr.contains("IEEE802_11"))
    }

    @Test func truncatedFileKeepsEarlierSessionsAndWarns() throws {
        let original = try Data(contentsOf: Helloscope.captures.appendingPathComponent("ds-agent-4118.pcap"))
        // Cut inside a packet record after the first two sessions' packets.
        let file = Helloscope.temporaryFile("cut.pcap")
        try original.prefix(original.count * 3 / 4 + 7).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let result = try Helloscope.run(["analyze", "--json", "-", file.path])
        #expect(result.status == 0)
        #expect(result.stderr.contains("warning"))
        #expect(result.stderr.contains("cut.pcap"))
        let sessions = try Helloscope.jsonLines(result.stdout)
        #expect(sessions.count >= 2)
        #expect(sessions.allSatisfy { $0["version"] != nil })
    }

    @Test func badFlagIsAUsageError() throws {
        let result = try Helloscope.run(["analyze", "--min-version", "TLSv9", "x.pcap"])
        #expect(result.status == 64)
        #expect(result.stderr.contains("min-version"))
    }

    @Test("a flow cap past any machine's memory is refused as a usage error, not a crash at start")
    func absurdFlowCapIsAUsageError() throws {
        let result = try Helloscope.run(["analyze", "--max-flows", "1000000000000", "x.pcap"])
        #expect(result.status == 64)
        #expect(result.stderr.contains("--max-flows must be between 1 and 100000000"))
    }

    @Test func unwritableOutputIsStatus74() throws {
        let capture = Helloscope.captures.appendingPathComponent("ds-agent-4118.pcap").path
        let result = try Helloscope.run(["analyze", "--json", "/nonexistent-dir/out.jsonl", capture])
        #expect(result.status == 74)
        #expect(result.stderr.contains("/nonexistent-dir/out.jsonl"))
    }

    @Test func fullDiskIsReportedNotLost() throws {
        guard FileManager.default.fileExists(atPath: "/dev/full") else { return }
        let capture = Helloscope.captures.appendingPathComponent("ds-agent-4118.pcap").path
        let result = try Helloscope.run(["analyze", "--json", "/dev/full", capture])
        #expect(result.status == 74)
        #expect(result.stderr.contains("write failed"))
    }
}
