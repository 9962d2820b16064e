import Foundation
import Testing

/// `helloscope analyze` on every capture in Captures/ (made by scripts/make-captures.sh
/// from OpenSSL, curl and Python's ssl) must report what the script configured.
@Suite struct AnalyzeCapturesTests {
    @Test func everyCaptureHasExpectations() {
        #expect(CaptureCase.all.count >= 13)
    }

    @Test(arguments: CaptureCase.all)
    func sessionsMatchExpected(_ testCase: CaptureCase) throws {
        let result = try Helloscope.run(["analyze", "--quiet", "--json", "-", testCase.capture.path])
        #expect(result.status == 0, "stderr: \(result.stderr)")
        let sessions = try Helloscope.jsonLines(result.stdout)
        let expected = try Helloscope.jsonLines(try String(contentsOf: testCase.expected, encoding: .utf8))
        #expect(sessions.count == expected.count)
        for want in expected {
            let match = sessions.first { got in
                ["client", "client_port", "server", "server_port"].allSatisfy { "\(got[$0] ?? "nil")" == "\(want[$0] ?? "nil")" }
            }
            let got = try #require(match, "no session for \(want["client_port"] ?? "?")")
            for (key, value) in want {
                #expect("\(got[key] ?? "nil")" == "\(value)", "\(testCase.capture.lastPathComponent) port \(want["client_port"] ?? "?"): \(key)")
            }
        }
    }

    /// A file is read in 2 MiB chunks, standard input through libpcap: records straddling
    /// chunk ends (jumbo frames up to 64 KiB, hellos among them) must read the same both ways.
    @Test func chunkedReadingMatchesLibpcap() throws {
        let hellos = try RealHellos.from("ds-agent-4118.pcap", session: 0)
        var writer = PcapWriter(snapLength: 65535)
        var random = SplitMix(seed: 7)
        let client: [UInt8] = [10, 216, 0, 2], server: [UInt8] = [10, 216, 0, 1]
        for index in 0 ..< 400 {
            let port = UInt16(30000 + index)
            writer.append(TCPFrame.build(from: client, port, to: server, 4118, sequence: 99, flags: TCPFrame.syn))
            writer.append(TCPFrame.build(from: client, port, to: server, 4118, sequence: 100, payload: hellos.clientHello))
            writer.append(TCPFrame.build(from: server, 4118, to: client, port, sequence: 5000, payload: hellos.serverHelloRecord))
            let bulk = Int(random.next() % 65_400)
            writer.append(TCPFrame.build(from: server, 4118, to: client, port, sequence: 6000,
                                         payload: [UInt8](repeating: 0x17, count: bulk)))
        }
        #expect(writer.data.count > 3 * (2 << 20))
        let file = try writer.write("chunk-boundaries.pcap")
        defer { try? FileManager.default.removeItem(at: file) }
        let fromFile = try Helloscope.run(["analyze", "--json", "-", file.path])
        let fromStandardInput = try Helloscope.run(["analyze", "--json", "-", "-"], stdin: file)
        #expect(fromFile.status == 0 && fromStandardInput.status == 0)
        #expect(try Helloscope.jsonLines(fromFile.stdout).count == 400)
        #expect(fromFile.stdout == fromStandardInput.stdout)
        let counters = { (text: String) in text.split(separator: "\n").filter { $0.hasPrefix("  packets:") || $0.hasPrefix("  bytes:") } }
        #expect(counters(fromFile.stderr) == ["  packets: 1600", "  bytes: \(writer.data.count - 24 - 1600 * 16)"])
        #expect(counters(fromFile.stderr) == counters(fromStandardInput.stderr))
    }

    /// Records of nearly the largest capture length hold a 2 MiB chunk to a few packets, and
    /// the reader keeps only a few chunks before it waits for the tracker to be done with
    /// them: the tracker, which takes packets in batches, must then take the few there are.
    @Test func recordsOfTheLargestCaptureLengthReadToTheEnd() throws {
        let hellos = try RealHellos.from("ds-agent-4118.pcap", session: 0)
        var writer = PcapWriter(snapLength: 262_144)
        let client: [UInt8] = [10, 216, 0, 2], server: [UInt8] = [10, 216, 0, 1]
        // Not IP (an experimental EtherType): skipped, counted.
        let giant: [UInt8] = [2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2, 0x88, 0xb5] + [UInt8](repeating: 0xa5, count: 250_000)
        for round in 0 ..< 3 {
            for index in 0 ..< 10 {
                let port = UInt16(30000 + round * 100 + index)
                writer.append(TCPFrame.build(from: client, port, to: server, 4118, sequence: 100, payload: hellos.clientHello))
                writer.append(TCPFrame.build(from: server, 4118, to: client, port, sequence: 5000, payload: hellos.serverHelloRecord))
            }
            for _ in 0 ..< 40 { writer.append(giant) }
        }
        let file = try writer.write("largest-records.pcap")
        defer { try? FileManager.default.removeItem(at: file) }
        // Two seconds in a debug build, a minute under the thread sanitizer; a run that waits on itself is killed.
        let result = try Helloscope.run(["analyze", "--json", "-", file.path], killAfter: 300)
        #expect(result.status == 0, "status \(result.status) (9: killed, still running after 300 s)")
        #expect(try Helloscope.jsonLines(result.stdout).count == 30)
        #expect(result.stderr.split(separator: "\n").contains("  packets: 180"))
    }

    @Test func severalFilesShareOneRun() throws {
        let cases = CaptureCase.all
        let result = try Helloscope.run(["analyze", "--quiet", "--json", "-"] + cases.map(\.capture.path))
        #expect(result.status == 0)
        let expectedCount = try cases.map { try String(contentsOf: $0.expected, encoding: .utf8).split(separator: "\n").count }.reduce(0, +)
        #expect(try Helloscope.jsonLines(result.stdout).count == expectedCount)
    }

    @Test func standardInputIsACapture() throws {
        let capture = Helloscope.captures.appendingPathComponent("ds-agent-4118.pcap")
        let result = try Helloscope.run(["analyze", "--quiet", "--json", "-", "-"], stdin: capture)
        #expect(result.status == 0)
        #expect(try Helloscope.jsonLines(result.stdout).count == 4)
    }

    @Test func failOnEarlyTLSSetsTheExitStatus() throws {
        let early = Helloscope.captures.appendingPathComponent("ds-agent-4118.pcap").path
        let modern = Helloscope.captures.appendingPathComponent("sll2-any-4119.pcap").path
        #expect(try Helloscope.run(["analyze", "--quiet", "--fail-on-early-tls", early]).status == 1)
        #expect(try Helloscope.run(["analyze", "--quiet", "--fail-on-early-tls", modern]).status == 0)
        #expect(try Helloscope.run(["analyze", "--quiet", early]).status == 0)
        // A refused early-only hello counts too: that client is what must be upgraded.
        let refused = Helloscope.captures.appendingPathComponent("refused-early-only.pcap").path
        #expect(try Helloscope.run(["analyze", "--quiet", "--fail-on-early-tls", refused]).status == 1)
    }

    @Test func minVersionMovesTheThreshold() throws {
        let capture = Helloscope.captures.appendingPathComponent("ds-agent-4118.pcap").path
        let result = try Helloscope.run(["analyze", "--quiet", "--min-version", "TLSv1.3", "--json", "-", capture])
        let early = try Helloscope.jsonLines(result.stdout).filter { $0["early_tls"] as? Bool == true }
        #expect(early.count == 3)
    }

    @Test func inventoryNamesWhoToUpgrade() throws {
        let output = Helloscope.temporaryFile("inventory.json")
        defer { try? FileManager.default.removeItem(at: output) }
        let result = try Helloscope.run(["analyze", "--quiet", "--inventory", output.path,
                                         Helloscope.captures.appendingPathComponent("server-pinned-tls10.pcap").path,
                                         Helloscope.captures.appendingPathComponent("ds-relay-4122.pcap").path])
        #expect(result.status == 0)
        let document = try #require(JSONSerialization.jsonObject(with: Data(contentsOf: output)) as? [String: Any])
        let endpoints = try #require(document["endpoints"] as? [[String: Any]])
        let toFix = endpoints.filter { $0["needs_action"] as? Bool == true }
        // The pinned server chose TLS 1.0 although the client offered 1.3: the server must change.
        #expect(toFix.contains { $0["side"] as? String == "server" && $0["role"] as? String == "agent" && $0["address"] as? String == "10.213.7.1" })
        // The relay client only offered TLS 1.1 once: that client must be upgraded.
        #expect(toFix.contains { $0["side"] as? String == "client" && ($0["verdict"] as? String ?? "").contains("TLSv1.1") })
        let counters = try #require(document["counters"] as? [String: Int])
        #expect(counters["sessions"] == 3)
    }

    /// Each kind of verdict, word for word, from captures of real stacks: the inventory's JSON
    /// writes the sentence in pieces and the summary builds it as a string, and both must say
    /// the same to the person who acts on it.
    @Test func inventoryVerdictsSayWhatToDo() throws {
        let output = Helloscope.temporaryFile("verdict-inventory.json")
        defer { try? FileManager.default.removeItem(at: output) }
        let result = try Helloscope.run(["analyze", "--inventory", output.path,
                                         Helloscope.captures.appendingPathComponent("refused-early-only.pcap").path,
                                         Helloscope.captures.appendingPathComponent("server-pinned-tls10.pcap").path])
        #expect(result.status == 0, "stderr: \(result.stderr)")
        let document = try #require(JSONSerialization.jsonObject(with: Data(contentsOf: output)) as? [String: Any])
        let endpoints = try #require(document["endpoints"] as? [[String: Any]])
        let verdicts = Set(endpoints.compactMap { $0["verdict"] as? String })
        #expect(verdicts == [
            "offers at most TLSv1.0 as a client: upgrade (refused 1 times by servers requiring TLSv1.2+)",
            "no negotiated session seen",
            "chose TLSv1.0 although clients offered TLSv1.2+: fix the server's settings",
            "offers TLSv1.2+ but servers chose early TLS: see the servers",
        ])
        // The summary lists the endpoints to act on, each with its verdict.
        for endpoint in endpoints where endpoint["needs_action"] as? Bool == true {
            let line = "\(endpoint["address"] as? String ?? "") [\(endpoint["role"] as? String ?? ""), \(endpoint["side"] as? String ?? "")] \(endpoint["verdict"] as? String ?? "");"
            #expect(result.stdout.contains(line), "summary without: \(line)")
        }
        // The threshold in the sentences is --min-version's.
        let strict = try Helloscope.run(["analyze", "--quiet", "--min-version", "TLSv1.3", "--inventory", "-"]
            + ["refused-early-only.pcap", "server-pinned-tls10.pcap", "dsaas-443.pcapng"].map { Helloscope.captures.appendingPathComponent($0).path })
        let strictDocument = try #require(JSONSerialization.jsonObject(with: Data(strict.stdout.utf8)) as? [String: Any])
        let strictVerdicts = try #require(strictDocument["endpoints"] as? [[String: Any]]).compactMap { $0["verdict"] as? String }
        #expect(Set(strictVerdicts) == [
            "offers at most TLSv1.0 as a client: upgrade (refused 1 times by servers requiring TLSv1.3+)",
            "no negotiated session seen",
            "chose TLSv1.0 although clients offered TLSv1.3+: fix the server's settings",
            "offers TLSv1.3+ but servers chose early TLS: see the servers",
            "negotiates early TLS only because clients offer nothing newer: upgrade the clients",
            "ok: negotiates TLSv1.3 or later",
        ])
    }

    /// The inventory's documented order: endpoints that need action first, then by address
    /// (numerically, IPv4 as its mapped IPv6 form), role and side; within each endpoint its
    /// services, ports and peers in increasing order, its fingerprints by sessions, most first.
    @Test func inventoryListsInItsDocumentedOrder() throws {
        let output = Helloscope.temporaryFile("ordered-inventory.json")
        defer { try? FileManager.default.removeItem(at: output) }
        let captures = try FileManager.default.contentsOfDirectory(at: Helloscope.captures, includingPropertiesForKeys: nil)
            .filter { ["pcap", "pcapng"].contains($0.pathExtension) }.map(\.path).sorted()
        let result = try Helloscope.run(["analyze", "--quiet", "--inventory", output.path] + captures)
        #expect(result.status == 0, "stderr: \(result.stderr)")
        let document = try #require(JSONSerialization.jsonObject(with: Data(contentsOf: output)) as? [String: Any])
        let endpoints = try #require(document["endpoints"] as? [[String: Any]])
        #expect(endpoints.count >= 10)
        func numeric(_ address: String) -> [UInt8] {
            var bytes = [UInt8](repeating: 0, count: 16)
            if address.contains(":") {
                #expect(inet_pton(AF_INET6, address, &bytes) == 1, "\(address)")
            } else {
                var four = [UInt8](repeating: 0, count: 4)
                #expect(inet_pton(AF_INET, address, &four) == 1, "\(address)")
                bytes[10] = 0xff; bytes[11] = 0xff
                bytes.replaceSubrange(12 ..< 16, with: four)
            }
            return bytes
        }
        typealias Place = (action: Int, address: [UInt8], role: String, side: String)
        let places: [Place] = endpoints.map {
            ($0["needs_action"] as? Bool == true ? 0 : 1, numeric($0["address"] as? String ?? ""), $0["role"] as? String ?? "", $0["side"] as? String ?? "")
        }
        for (before, after) in zip(places, places.dropFirst()) {
            let ordered = before.action != after.action ? before.action < after.action
                : before.address != after.address ? before.address.lexicographicallyPrecedes(after.address)
                : before.role != after.role ? before.role < after.role
                : before.side < after.side
            #expect(ordered, "\(before) listed before \(after)")
        }
        #expect(places.contains { $0.action == 0 } && places.contains { $0.action == 1 })
        var listsWithSeveral = 0
        for endpoint in endpoints {
            let services = endpoint["services"] as? [String] ?? [], ports = endpoint["ports"] as? [Int] ?? []
            let peers = (endpoint["peers"] as? [String] ?? []).map(numeric)
            #expect(services == services.sorted() && ports == ports.sorted(), "\(endpoint)")
            #expect(zip(peers, peers.dropFirst()).allSatisfy { $0.lexicographicallyPrecedes($1) }, "\(endpoint)")
            let sessions = (endpoint["fingerprints"] as? [[String: Any]] ?? []).map { $0["sessions"] as? Int ?? 0 }
            #expect(sessions == sessions.sorted(by: >), "\(endpoint)")
            if services.count > 1 || ports.count > 1 || sessions.count > 1 { listsWithSeveral += 1 }
        }
        // The captures give some endpoints several services, ports and stacks, so the orders are tried.
        #expect(listsWithSeveral >= 3)
    }

    @Test func summaryShowsVersionsByRole() throws {
        let result = try Helloscope.run(["analyze", Helloscope.captures.appendingPathComponent("dsaas-443.pcapng").path])
        #expect(result.status == 0)
        #expect(result.stdout.contains("dsaas"))
        #expect(result.stdout.contains("TLSv1.0"))
        #expect(result.stdout.contains("Endpoints to act on"))
    }
}
