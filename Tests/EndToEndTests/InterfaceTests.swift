import Foundation
import Testing

/// The captured interface disappears under a running `helloscope capture` (scripts/live-test.sh
/// `vanish` deletes the veth pair; its own namespaces hs-if-a/b, 10.213.10.x): one clear error
/// naming the interface, a clean stop with exit status 69, and everything seen before flushed.
@Suite(.serialized) struct InterfaceTests {
    @Test(arguments: [1, 2])
    func vanishingInterfaceStopsCleanlyWithStatus69(workers: Int) throws {
        guard LiveCaptureTests.canRun else { return }
        let inventory = Helloscope.temporaryFile("vanish-inventory-\(UUID().uuidString).json")
        defer { try? FileManager.default.removeItem(at: inventory) }
        let run = try LiveCaptureTests.live(
            ["vanish", "--workers", "\(workers)", "--inventory", inventory.path],
            environment: ["LIVE_NET": "if", "SESSIONS": "4118 -tls1,4119 -tls1_2"])
        #expect(run.statusText != "hang", "capture still ran 15 s after its interface was deleted")
        #expect(run.status == 69, "stderr: \(run.stderr)")

        // One line, naming the interface and what happened (not once per worker).
        let stopped = run.stderr.split(separator: "\n").filter { $0.contains("capture stopped") }
        #expect(stopped.count == 1, "stderr: \(run.stderr)")
        let line = String(stopped.first ?? "")
        #expect(line.contains("hs-if-vb"))
        #expect(line.contains("disappeared") || line.contains("went down"))
        #expect(line.components(separatedBy: "hs-if-vb").count == 2, "named once: \(line)")

        // Flushed: both sessions in the JSON, the final stats record and the inventory written.
        #expect(run.ran.count == 2)
        #expect(Set(run.sessions.compactMap { $0["version"] as? String }) == ["TLSv1.0", "TLSv1.2"])
        #expect(run.sessions.count == 2)
        let final = try #require(run.stats.last { $0["type"] as? String == "final_stats" })
        #expect((final["workers"] as? [[String: Any]])?.count == workers)
        let endpoints = try JSONSerialization.jsonObject(with: Data(contentsOf: inventory)) as? [String: Any]
        #expect(endpoints != nil, "the inventory is written at the stop")
        #expect("\(endpoints ?? [:])".contains("10.213.10.1"))
    }
}
