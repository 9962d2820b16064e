import Foundation
import Testing

/// The benchmark's traffic generator (`scripts/bench/synth.py`) writes a truth file beside each
/// capture: what every TLS session is (endpoints, ports, IP version, VLAN, SNI, version, cipher,
/// Deep Security role, early TLS, how many segments its ClientHello took, status), written as the
/// JSON line must say it. `analyze` must say exactly that, every field, for each session and for
/// no other, on both kinds of mix `scripts/bench.sh`
/// measures: sessions one after another with bulk data, and thousands open at once with their
/// packets interleaved; each with non-TLS noise, VLAN tags, IPv6, and post-quantum hellos over two
/// segments, some out of order or sent twice.
@Suite struct SyntheticWorkloadTests {
    struct Mix: CustomTestStringConvertible, Sendable {
        var name: String
        var file: String
        var arguments: [String]
        var testDescription: String { name }
    }

    static let mixes = [
        Mix(name: "one after another, with bulk data", file: "sequential",
            arguments: ["--sessions", "800", "--bulk-packets", "4", "--disorder", "--seed", "5"]),
        Mix(name: "2 000 open at once", file: "concurrent",
            arguments: ["--sessions", "3000", "--bulk-packets", "3", "--concurrency", "2000", "--disorder",
                        "--handshake-acks", "--seed", "6"]),
    ]

    @Test(arguments: mixes)
    func analyzeSaysWhatTheGeneratorMade(_ mix: Mix) throws {
        let capture = Helloscope.temporaryFile("synth-\(mix.file).pcap")
        let truthFile = Helloscope.temporaryFile("synth-\(mix.file).truth.jsonl")
        defer {
            try? FileManager.default.removeItem(at: capture)
            try? FileManager.default.removeItem(at: truthFile)
        }
        let script = Helloscope.packageRoot.appendingPathComponent("scripts/bench/synth.py").path
        _ = try EvidenceTests.tool("python3", [script, capture.path] + mix.arguments + ["--truth", truthFile.path])

        let truth = try Helloscope.jsonLines(try String(contentsOf: truthFile, encoding: .utf8))
        // The mix must hold what it is meant to test, or a change to the generator would quietly
        // take it out of this test.
        let noted = { (key: String) in Set(truth.map { "\($0[key] ?? "nil")" }) }
        #expect(noted("ip") == ["4", "6"])
        #expect(noted("vlan").count > 2)
        #expect(noted("status") == ["negotiated"])
        #expect(noted("client_hello_segments") == ["1", "2"])
        #expect(noted("version_code") == ["0x0301", "0x0302", "0x0303", "0x0304"])
        #expect(noted("role").count == 5)

        let result = try Helloscope.run(["analyze", "--quiet", "--json", "-", capture.path])
        #expect(result.status == 0, "stderr: \(result.stderr)")
        let key = { (line: [String: Any]) in "\(line["client"] ?? "?") \(line["client_port"] ?? "?") \(line["server_port"] ?? "?")" }
        var sessions: [String: [String: Any]] = [:]
        for session in try Helloscope.jsonLines(result.stdout) { sessions[key(session)] = session }
        #expect(sessions.count == truth.count, "sessions that the truth does not have, or missing")
        var wrong = 0
        for want in truth {
            guard let got = sessions[key(want)] else {
                Issue.record("no session for \(key(want))")
                continue
            }
            for (field, value) in want where "\(got[field] ?? "nil")" != "\(value)" {
                wrong += 1
                if wrong <= 20 { Issue.record("\(key(want)): \(field) is \(got[field] ?? "nil"), the generator made \(value)") }
            }
        }
        #expect(wrong == 0)
    }
}
