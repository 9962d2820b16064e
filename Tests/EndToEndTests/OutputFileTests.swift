import Foundation
import Testing

/// `--json FILE` sets the file's disk blocks aside ahead of its writes (16 MiB at a time) and
/// gives back what lies past the end when it closes the file: the lines are those written to
/// standard output, and the file holds no more disk than its length.
@Suite struct OutputFileTests {
    @Test func aJSONFileHoldsItsLinesAndNoBlocksPastThem() throws {
        let capture = Helloscope.captures.appendingPathComponent("ds-agent-4118.pcap").path
        let file = Helloscope.temporaryFile("lines.jsonl")
        defer { try? FileManager.default.removeItem(at: file) }
        let toFile = try Helloscope.run(["analyze", "--quiet", "--json", file.path, capture])
        #expect(toFile.status == 0, "stderr: \(toFile.stderr)")
        let toStandardOutput = try Helloscope.run(["analyze", "--quiet", "--json", "-", capture])
        let written = try String(contentsOf: file, encoding: .utf8)
        #expect(!written.isEmpty)
        #expect(written == toStandardOutput.stdout)

        var status = stat()
        try #require(stat(file.path, &status) == 0)
        // Blocks for the length, rounded up to the file system's block; 16 MiB set aside and
        // kept would be thousands of blocks more.
        let allocated = Int(status.st_blocks) * 512
        #expect(allocated <= Int(status.st_size) + 64 * 1024, "\(allocated) bytes allocated for \(status.st_size)")
    }

    /// A file of many megabytes holds exactly the lines standard output gets, in order.
    @Test func aJSONFileOfManyMegabytesHoldsTheLinesInOrder() throws {
        let workload = try SyntheticSessions(early: 1_500, modern: 1_500)
        defer { try? FileManager.default.removeItem(at: workload.capture) }
        let file = Helloscope.temporaryFile("megabytes.jsonl")
        defer { try? FileManager.default.removeItem(at: file) }
        let toFile = try Helloscope.run(["analyze", "--quiet", "--json", file.path, workload.capture.path])
        #expect(toFile.status == 0, "stderr: \(toFile.stderr)")
        let toStandardOutput = try Helloscope.run(["analyze", "--quiet", "--json", "-", workload.capture.path])
        let written = try Data(contentsOf: file)
        #expect(written.count > 3 << 20, "\(written.count) bytes")
        #expect(written == Data(toStandardOutput.stdout.utf8))
    }

    /// A file system too small for the step set aside (a 64 KiB tmpfs): the lines are written
    /// as they were before, the write that fails is reported, and what fitted is in the file.
    @Test func aDiskTooFullToSetBlocksAsideStillTakesLinesAndReportsTheFailure() throws {
        guard LiveCaptureTests.canRun else { return }
        let workload = try SyntheticSessions(early: 120, modern: 40)
        defer { try? FileManager.default.removeItem(at: workload.capture) }
        try EvidenceTests.withSmallFileSystem("json-full") { mountPoint in
            let json = mountPoint.appendingPathComponent("sessions.jsonl")
            let result = try Helloscope.run(["analyze", "--quiet", "--json", json.path, workload.capture.path])
            #expect(result.status == 74)
            #expect(result.stderr.contains("write failed") && result.stderr.contains("No space left on device"), "\(result.stderr)")
            let all = try Helloscope.run(["analyze", "--quiet", "--json", "-", workload.capture.path])
            let kept = try Data(contentsOf: json)
            #expect(kept.count > 32 * 1024, "the lines that fitted: \(kept.count) bytes")
            #expect(all.stdout.utf8.starts(with: kept))
        }
    }
}
