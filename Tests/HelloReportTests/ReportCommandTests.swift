import Foundation
import Testing

/// `helloscope report` as a user runs it: inputs of several runs, captures directly, bad inputs.
@Suite struct ReportCommandTests {
    static let captures = BrowserRenderTests.packageRoot.appendingPathComponent("Captures")

    func run(_ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
        let binary = try #require(BrowserRenderTests.binary, "no helloscope binary beside the tests: run swift build first")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stdout = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, stdout, stderr)
    }

    func temporary(_ name: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("helloscope-report-test-\(getpid())-\(name)").path
    }

    @Test func capturesAndTheirJSONGiveTheSameFigures() throws {
        let capture = Self.captures.appendingPathComponent("ds-agent-4118.pcap").path
        let json = temporary("agent.jsonl"), inventory = temporary("agent.json")
        defer { for path in [json, inventory] { try? FileManager.default.removeItem(atPath: path) } }
        #expect(try run(["analyze", "--quiet", "--json", json, "--inventory", inventory, capture]).status == 0)
        let direct = try run(["report", "--sessions", capture, "-o", "-"])
        let fromJSON = try run(["report", "--sessions", json, "--inventory", inventory, "-o", "-"])
        #expect(direct.status == 0 && fromJSON.status == 0, "\(direct.stderr) \(fromJSON.stderr)")
        for figure in ["sessions\"><span class=\"value\">4<", "early-tls\"><span class=\"value\">2<", "endpoints\"><span class=\"value\">1<"] {
            #expect(direct.stdout.contains(figure) && fromJSON.stdout.contains(figure), "\(figure)")
        }
        // Two runs' JSON: sessions add up, the endpoint stays one row.
        let twice = try run(["report", "--sessions", json, json, "--inventory", inventory, inventory, "-o", "-"])
        #expect(twice.stdout.contains("sessions\"><span class=\"value\">8<"))
        #expect(twice.stdout.contains("Endpoints to upgrade (1)"))
    }

    @Test func badInputsHaveTheirStatus() throws {
        let missing = try run(["report", "--sessions", "/nonexistent.jsonl", "-o", "-"])
        #expect(missing.status == 66)
        #expect(missing.stderr.contains("/nonexistent.jsonl"))
        let garbage = temporary("garbage.jsonl")
        defer { try? FileManager.default.removeItem(atPath: garbage) }
        try Data("{\"client\":\"a\",\"server\":\"b\"}\nnot json\n".utf8).write(to: URL(fileURLWithPath: garbage))
        let malformed = try run(["report", "--sessions", garbage, "-o", "-"])
        #expect(malformed.status == 65)
        #expect(malformed.stderr.contains("garbage.jsonl:2"))
        let unwritable = try run(["report", "--sessions", Self.captures.appendingPathComponent("vlan-4122.pcap").path, "-o", "/nonexistent/dir/r.html"])
        #expect(unwritable.status == 74)
        #expect(try run(["report", "-o", "-"]).status == 64)
    }
}
