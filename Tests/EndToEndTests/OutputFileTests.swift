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

    /// An inventory of thousands of endpoints is written in runs, every other one by a second
    /// thread: the document must hold every endpoint once, in its documented order (those that
    /// need action first, then by address), as valid JSON.
    @Test func anInventoryOfThousandsOfEndpointsHoldsEachOnceInOrder() throws {
        let workload = try SyntheticSessions(early: 1_700, modern: 1_700, distinctClients: true)
        defer { try? FileManager.default.removeItem(at: workload.capture) }
        let file = Helloscope.temporaryFile("many-endpoints.json")
        defer { try? FileManager.default.removeItem(at: file) }
        let result = try Helloscope.run(["analyze", "--quiet", "--inventory", file.path, "--json", "-", workload.capture.path])
        #expect(result.status == 0, "stderr: \(result.stderr)")
        let document = try #require(JSONSerialization.jsonObject(with: Data(contentsOf: file)) as? [String: Any])
        let endpoints = try #require(document["endpoints"] as? [[String: Any]])
        let clients = endpoints.filter { $0["side"] as? String == "client" }.compactMap { $0["address"] as? String }
        let lines = try Helloscope.jsonLines(result.stdout)
        #expect(lines.count == 3_400)
        #expect(clients.count == 3_400 && Set(clients) == Set(lines.compactMap { $0["client"] as? String }))
        #expect(endpoints.count == 3_401)
        #expect(document["endpoints_to_upgrade"] as? Int == endpoints.filter { $0["needs_action"] as? Bool == true }.count)
        func place(_ endpoint: [String: Any]) -> (Int, UInt32) {
            let octets = (endpoint["address"] as? String ?? "").split(separator: ".").compactMap { UInt32($0) }
            return (endpoint["needs_action"] as? Bool == true ? 0 : 1, octets.reduce(0) { $0 << 8 | $1 })
        }
        let places = endpoints.map(place)
        #expect(zip(places, places.dropFirst()).allSatisfy { $0 < $1 }, "endpoints out of their documented order")
    }

    /// An inventory of thousands of endpoints on a disk that fills up: the run says which file
    /// failed and why, exits 74, and does not wait forever on the thread making the later runs.
    @Test func anInventoryOnAFullDiskFailsClearly() throws {
        guard LiveCaptureTests.canRun else { return }
        let workload = try SyntheticSessions(early: 1_700, modern: 1_700, distinctClients: true)
        defer { try? FileManager.default.removeItem(at: workload.capture) }
        try EvidenceTests.withSmallFileSystem("inventory-full") { mountPoint in
            let inventory = mountPoint.appendingPathComponent("endpoints.json")
            let result = try Helloscope.run(["analyze", "--quiet", "--inventory", inventory.path, workload.capture.path])
            #expect(result.status == 74)
            #expect(result.stderr.contains("\(inventory.path): write failed") && result.stderr.contains("No space left on device"),
                    "\(result.stderr)")
            let kept = try Data(contentsOf: inventory)
            #expect(kept.count > 32 * 1024, "what fitted: \(kept.count) bytes")
            #expect(kept.starts(with: Data("{\"generated_by\":\"helloscope\"".utf8)))
        }
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
