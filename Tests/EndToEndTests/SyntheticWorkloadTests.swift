import Foundation
import Testing

/// The benchmark's traffic generator (`scripts/bench/synth.py`) writes a truth file beside each
/// capture: what every TLS session is (endpoints, ports, IP version, VLAN, SNI, version, cipher,
/// Deep Security role, early TLS, how many segments its ClientHello took). `analyze` must say
/// exactly that, for each session and for no other, on both kinds of mix `scripts/bench.sh`
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

    static let comparedFields = ["client", "server", "ip", "vlan", "sni", "version_code", "cipher_code", "role",
                                 "early_tls", "client_hello_segments", "status"]

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

        let truth = try Helloscope.jsonLines(try String(contentsOf: truthFile, encoding: .utf8)).map(expectation)
        // The mix must hold what it is meant to test, or a change to the generator would quietly
        // take it out of this test.
        let noted = { (key: String) in Set(truth.map { "\($0[key] ?? "nil")" }) }
        #expect(noted("ip") == ["4", "6"])
        #expect(noted("vlan").count > 2)
        #expect(noted("client_hello_segments") == ["1", "2"])
        #expect(noted("version_code") == ["0x0301", "0x0302", "0x0303", "0x0304"])
        #expect(noted("role").count == 5)

        let result = try Helloscope.run(["analyze", "--quiet", "--json", "-", capture.path])
        #expect(result.status == 0, "stderr: \(result.stderr)")
        var sessions: [String: [String: Any]] = [:]
        for session in try Helloscope.jsonLines(result.stdout) {
            sessions["\(session["client"] ?? "?") \(session["client_port"] ?? "?") \(session["server_port"] ?? "?")"] = session
        }
        #expect(sessions.count == truth.count, "sessions that the truth does not have, or missing")
        var wrong = 0
        for want in truth {
            let key = "\(want["client"] ?? "?") \(want["client_port"] ?? "?") \(want["server_port"] ?? "?")"
            guard let got = sessions[key] else {
                Issue.record("no session for \(key)")
                continue
            }
            for field in Self.comparedFields where "\(got[field] ?? "nil")" != "\(want[field] ?? "nil")" {
                wrong += 1
                if wrong <= 20 { Issue.record("\(key): \(field) is \(got[field] ?? "nil"), the generator made \(want[field] ?? "nil")") }
            }
        }
        #expect(wrong == 0)
    }

    /// A truth line as the JSON line must say it: addresses in text, a VLAN as a one-tag list,
    /// and every session negotiated.
    private func expectation(_ line: [String: Any]) throws -> [String: Any] {
        var want = line
        want["client"] = try address(try #require(line["client"] as? String))
        want["server"] = try address(try #require(line["server"] as? String))
        want["vlan"] = (line["vlan"] as? Int).map { [$0] } ?? NSNull()
        want["status"] = "negotiated"
        return want
    }

    private func address(_ hex: String) throws -> String {
        var bytes: [UInt8] = []
        var index = hex.startIndex
        while index < hex.endIndex {
            let next = hex.index(index, offsetBy: 2)
            bytes.append(try #require(UInt8(hex[index ..< next], radix: 16)))
            index = next
        }
        var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        let family = bytes.count == 4 ? AF_INET : AF_INET6
        try #require(bytes.count == 4 || bytes.count == 16)
        try #require(inet_ntop(family, bytes, &text, socklen_t(text.count)) != nil)
        return String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
