import Foundation
import Testing

/// Fingerprints, labels and the cipher audit as a user sees them in the outputs.
@Suite struct FingerprintTests {
    let capture = Helloscope.captures.appendingPathComponent("ds-agent-4118.pcap").path

    @Test func everySessionCarriesFingerprints() throws {
        let sessions = try Helloscope.jsonLines(try Helloscope.run(["analyze", "--quiet", "--json", "-", capture]).stdout)
        #expect(sessions.count == 4)
        for session in sessions {
            let ja3 = try #require(session["ja3"] as? String)
            #expect(ja3.count == 32 && ja3.allSatisfy(\.isHexDigit))
            let ja4 = try #require(session["ja4"] as? String)
            // t (TCP), version, d/i, counts, ALPN chars: "t10i…" for the TLS 1.0 client without SNI.
            #expect(ja4.hasPrefix("t1"))
            #expect((session["ja3s"] as? String)?.count == 32)
            #expect((session["ja3_string"] as? String)?.split(separator: ",").count == 5)
        }
        let versions = sessions.map { ($0["ja4"] as! String).prefix(3) }
        #expect(versions == ["t10", "t11", "t12", "t13"])
    }

    @Test func noFingerprintsLeavesThemOut() throws {
        let sessions = try Helloscope.jsonLines(try Helloscope.run(["analyze", "--quiet", "--no-fingerprints", "--json", "-", capture]).stdout)
        #expect(sessions.allSatisfy { $0["ja3"] is NSNull && $0["ja4"] is NSNull })
    }

    @Test func labelsNameTheStackInSessionsAndInventory() throws {
        let first = try Helloscope.jsonLines(try Helloscope.run(["analyze", "--quiet", "--json", "-", capture]).stdout)[0]
        let ja3 = try #require(first["ja3"] as? String)
        let labels = Helloscope.temporaryFile("labels.csv")
        let inventory = Helloscope.temporaryFile("labels-inventory.json")
        defer { try? FileManager.default.removeItem(at: labels); try? FileManager.default.removeItem(at: inventory) }
        try "# fingerprint,label\n\(ja3),OpenSSL s_client -tls1\n".write(to: labels, atomically: true, encoding: .utf8)
        let result = try Helloscope.run(["analyze", "--quiet", "--labels", labels.path, "--inventory", inventory.path, "--json", "-", capture])
        let sessions = try Helloscope.jsonLines(result.stdout)
        #expect(sessions.filter { $0["label"] as? String == "OpenSSL s_client -tls1" }.count == 1)
        let document = try #require(JSONSerialization.jsonObject(with: Data(contentsOf: inventory)) as? [String: Any])
        let endpoints = try #require(document["endpoints"] as? [[String: Any]])
        let client = try #require(endpoints.first { $0["side"] as? String == "client" })
        let prints = try #require(client["fingerprints"] as? [[String: Any]])
        #expect(prints.count == 4)
        #expect(prints.contains { $0["label"] as? String == "OpenSSL s_client -tls1" && ($0["offered_max"] as? [String]) == ["TLSv1.0"] })
    }

    @Test func badLabelsFileIsAUsageError() throws {
        let labels = Helloscope.temporaryFile("bad-labels.json")
        defer { try? FileManager.default.removeItem(at: labels) }
        try "{not json".write(to: labels, atomically: true, encoding: .utf8)
        let result = try Helloscope.run(["analyze", "--quiet", "--labels", labels.path, capture])
        #expect(result.status == 64)
        #expect(result.stderr.contains("bad-labels.json"))
    }

    @Test func cipherAuditFlagsDeepSecurityOutsideTheStrongSet() throws {
        let dsaas = Helloscope.captures.appendingPathComponent("dsaas-443.pcapng").path
        let sessions = try Helloscope.jsonLines(try Helloscope.run(["analyze", "--quiet", "--json", "-", dsaas]).stdout)
        let early = try #require(sessions.first { $0["version"] as? String == "TLSv1.0" })
        #expect(early["ds_strong_cipher"] as? Bool == false)
        let names = (early["cipher_findings"] as? [[String: Any]])?.compactMap { $0["name"] as? String } ?? []
        #expect(names.contains("deep_security_not_strong"))
        let other = try #require(sessions.first { $0["role"] as? String == "other" })
        #expect(other["ds_strong_cipher"] is NSNull)
    }

    /// The four real hellos of `capture`, and their sessions as `analyze` writes them alone.
    private func realHellosAlone() throws -> (alone: [[String: Any]], hellos: [RealHellos]) {
        let alone = try Helloscope.jsonLines(try Helloscope.run(["analyze", "--quiet", "--json", "-", capture]).stdout)
        try #require(alone.count == 4)
        return (alone, try (0 ..< 4).map { try RealHellos.from("ds-agent-4118.pcap", session: $0) })
    }

    private let server: [UInt8] = [10, 216, 0, 1]

    /// `analyze` hashes fingerprints where it writes the session, and moves writing to an
    /// output thread (batches of 256) once sessions are frequent: here after the first 65 536
    /// packets, a session every three. Before and after the move, and across many batches,
    /// with the four real hellos taking turns, every session must come out once, in the order
    /// the sessions ended, with the fingerprints its hellos have when analyzed alone.
    @Test func fingerprintsAndOrderHoldAcrossManyOutputBatches() throws {
        let (alone, hellos) = try realHellosAlone()
        var writer = PcapWriter()
        let sessions = 24_000
        for index in 0 ..< sessions {
            let client: [UInt8] = [10, 216, UInt8(1 + index >> 8), UInt8(index & 0xff)]
            let pair = hellos[index % 4]
            writer.append(TCPFrame.build(from: client, 40000, to: server, 4118, sequence: 99, flags: TCPFrame.syn))
            writer.append(TCPFrame.build(from: client, 40000, to: server, 4118, sequence: 100, payload: pair.clientHello))
            writer.append(TCPFrame.build(from: server, 4118, to: client, 40000, sequence: 5000, payload: pair.serverHelloRecord))
        }
        let file = try writer.write("many-batches.pcap")
        defer { try? FileManager.default.removeItem(at: file) }
        let output = try Helloscope.run(["analyze", "--quiet", "--json", "-", file.path]).stdout
        let lines = try Helloscope.jsonLines(output)
        #expect(lines.count == sessions)
        for (index, line) in lines.enumerated() {
            #expect(line["client"] as? String == "10.216.\(1 + index >> 8).\(index & 0xff)")
            for field in ["ja3", "ja3_string", "ja4", "ja4_r", "ja3s", "ja3s_string", "version"] {
                #expect(line[field] as? String == alone[index % 4][field] as? String, "session \(index): \(field)")
            }
        }
        // When the output thread falls behind, the tracker hashes the sessions it queues and
        // the writer writes their raw strings again: either way, the same lines.
        for hashing in ["tracker", "writer"] {
            let forced = try Helloscope.run(["analyze", "--quiet", "--json", "-", file.path],
                                            environment: ["HELLOSCOPE_FINGERPRINT_HASHING": hashing])
            #expect(forced.stdout == output, "hashed on the \(hashing)")
        }
    }
    /// Sessions still pending when the input ends come out as the tracker finishes, while the
    /// output thread may still be writing: it holds them in the tracker's session slots, so
    /// the tracker must wait for it before its pool goes. 22 000 answered hellos move output
    /// to the thread; then 12 000 that no server answers end all at once at the end.
    @Test func sessionsEndingWithTheInputAllComeOutFromTheOutputThread() throws {
        let (alone, hellos) = try realHellosAlone()
        var writer = PcapWriter()
        let answered = 22_000, unanswered = 12_000
        for index in 0 ..< answered + unanswered {
            let client: [UInt8] = [10, index < answered ? 216 : 217, UInt8(1 + index >> 8), UInt8(index & 0xff)]
            let pair = hellos[index % 4]
            writer.append(TCPFrame.build(from: client, 40000, to: server, 4118, sequence: 99, flags: TCPFrame.syn))
            writer.append(TCPFrame.build(from: client, 40000, to: server, 4118, sequence: 100, payload: pair.clientHello))
            if index < answered {
                writer.append(TCPFrame.build(from: server, 4118, to: client, 40000, sequence: 5000, payload: pair.serverHelloRecord))
            }
        }
        let file = try writer.write("pending-at-end.pcap")
        defer { try? FileManager.default.removeItem(at: file) }
        let result = try Helloscope.run(["analyze", "--quiet", "--json", "-", file.path])
        #expect(result.status == 0)
        let lines = try Helloscope.jsonLines(result.stdout)
        #expect(lines.count == answered + unanswered)
        let pending = lines.dropFirst(answered)
        #expect(pending.allSatisfy { $0["status"] as? String == "no_server_hello" })
        let clients = Set(pending.compactMap { $0["client"] as? String })
        #expect(clients.count == unanswered && clients.allSatisfy { $0.hasPrefix("10.217.") })
        for line in pending {
            let client = try #require(line["client"] as? String)
            let parts = client.split(separator: ".").compactMap { Int($0) }
            let index = (parts[2] - 1) << 8 | parts[3]
            for field in ["ja3", "ja3_string", "ja4", "ja4_r"] {
                #expect(line[field] as? String == alone[index % 4][field] as? String, "\(client): \(field)")
            }
        }
    }
}
