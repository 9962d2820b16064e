import Crypto
import Foundation
import Testing

/// Traffic and files chosen to hurt: each must give a clear result, keep what came before,
/// stay within its bounds and never crash.
@Suite struct HostileInputTests {
    let client: [UInt8] = [10, 213, 20, 2]
    let server: [UInt8] = [10, 213, 20, 1]

    /// Runs analyze with an inventory, returning the sessions and the counters.
    func analyze(_ file: URL, _ extra: [String] = []) throws -> (Helloscope.Result, [[String: Any]], [String: Int]) {
        let inventory = Helloscope.temporaryFile(file.lastPathComponent + ".inventory.json")
        defer { try? FileManager.default.removeItem(at: inventory) }
        let result = try Helloscope.run(["analyze", "--quiet", "--json", "-", "--inventory", inventory.path] + extra + [file.path])
        let document = (try? JSONSerialization.jsonObject(with: Data(contentsOf: inventory))) as? [String: Any]
        return (result, try Helloscope.jsonLines(result.stdout), document?["counters"] as? [String: Int] ?? [:])
    }

    mutating func session(_ writer: inout PcapWriter, port: UInt16, hellos: RealHellos, clientSegments: [[UInt8]]? = nil) {
        writer.append(TCPFrame.build(from: client, port, to: server, 4118, sequence: 99, flags: TCPFrame.syn))
        var sequence: UInt32 = 100
        for chunk in clientSegments ?? [hellos.clientHello] {
            writer.append(TCPFrame.build(from: client, port, to: server, 4118, sequence: sequence, payload: chunk))
            sequence &+= UInt32(chunk.count)
        }
        writer.append(TCPFrame.build(from: server, 4118, to: client, port, sequence: 5000, payload: hellos.serverHelloRecord))
    }

    @Test mutating func synFloodStaysUnderTheCapAndKeepsRealSessions() throws {
        let hellos = try RealHellos.from("ds-agent-4118.pcap", session: 2)
        var writer = PcapWriter()
        // Under a sanitizer (scripts/sanitize.sh) a fifth of the flood: that run looks for memory
        // errors, not scale, and the full flood there takes most of its time.
        let sanitized = ProcessInfo.processInfo.environment["HELLOSCOPE_SANITIZER"] != nil
        let floodFlows = sanitized ? 200_000 : 1_000_000, realSessions = 40
        for index in 0 ..< floodFlows {
            let source: [UInt8] = [10, 214, UInt8(index >> 16 & 0xff), UInt8(index >> 8 & 0xff)]
            writer.append(TCPFrame.build(from: source, UInt16(1024 + index & 0x7fff), to: server, 443,
                                         sequence: UInt32(index), flags: TCPFrame.syn))
            if index % (floodFlows / realSessions) == 0 { session(&writer, port: UInt16(30000 + index / 1000), hellos: hellos) }
        }
        let file = try writer.write("flood.pcap")
        defer { try? FileManager.default.removeItem(at: file) }
        let (result, sessions, counters) = try analyze(file, ["--max-flows", "10000"])
        #expect(result.status == 0)
        #expect(sessions.count == realSessions)
        #expect(sessions.allSatisfy { $0["status"] as? String == "negotiated" && $0["version"] as? String == "TLSv1.2" })
        #expect((counters["flows_evicted"] ?? 0) >= floodFlows + realSessions - 10_000)
        #expect((counters["flows"] ?? 0) == floodFlows + realSessions)
        // Peak memory with the cap: measured by the kernel for the child process. Not under a
        // sanitizer: its shadow memory and quarantine are in the RSS.
        if !sanitized {
            let rss = try peakResidentKiB(["analyze", "--quiet", "--max-flows", "10000", file.path])
            #expect(rss < 96 * 1024, "peak RSS \(rss) KiB")
        }
    }

    @Test func fullInventoryCountsNewEndpointsAndKeepsRoomForEarlyTLS() throws {
        let modern = try RealHellos.from("ds-agent-4118.pcap", session: 2)   // TLS 1.2
        let early = try RealHellos.from("ds-agent-4118.pcap", session: 0)    // TLS 1.0
        var writer = PcapWriter()
        let cleanClients = 300, earlyClients = 20
        for index in 0 ..< cleanClients + earlyClients {
            let source: [UInt8] = [10, 215, UInt8(index >> 8), UInt8(index & 0xff)]
            let hellos = index < cleanClients ? modern : early
            writer.append(TCPFrame.build(from: source, 40000, to: server, 4118, sequence: 99, flags: TCPFrame.syn))
            writer.append(TCPFrame.build(from: source, 40000, to: server, 4118, sequence: 100, payload: hellos.clientHello))
            writer.append(TCPFrame.build(from: server, 4118, to: source, 40000, sequence: 5000, payload: hellos.serverHelloRecord))
        }
        let file = try writer.write("many-endpoints.pcap")
        let inventory = Helloscope.temporaryFile("many-endpoints.inventory.json")
        defer { try? FileManager.default.removeItem(at: file); try? FileManager.default.removeItem(at: inventory) }
        // 160 listed: the server and the first 159 clients; then the early-TLS clients take
        // the reserve of 160 / 8 = 20.
        let result = try Helloscope.run(["analyze", "--max-endpoints", "160", "--inventory", inventory.path,
                                         "--json", "-", file.path])
        #expect(result.status == 0)
        #expect(try Helloscope.jsonLines(result.stdout).count == cleanClients + earlyClients)
        let document = try #require(JSONSerialization.jsonObject(with: Data(contentsOf: inventory)) as? [String: Any])
        let endpoints = try #require(document["endpoints"] as? [[String: Any]])
        #expect(endpoints.count == 160 + earlyClients)
        #expect(document["endpoints_dropped"] as? Int == cleanClients - 159)
        #expect(document["early_tls_endpoints_dropped"] as? Int == 0)
        #expect(document["max_endpoints"] as? Int == 160)
        let listedClients = Set(endpoints.filter { $0["side"] as? String == "client" }.compactMap { $0["address"] as? String })
        let earlyAddresses = (cleanClients ..< cleanClients + earlyClients).map { "10.215.\($0 >> 8).\($0 & 0xff)" }
        #expect(earlyAddresses.allSatisfy(listedClients.contains))
        #expect(document["endpoints_to_upgrade"] as? Int == earlyClients)
        #expect(result.stderr.contains("warning: inventory full (--max-endpoints 160): 141 endpoint sightings not listed, 0 of them in early-TLS sessions"))

        let tight = try Helloscope.run(["analyze", "--quiet", "--max-endpoints", "8", "--inventory", inventory.path, file.path])
        #expect(tight.status == 0)
        let tightDocument = try #require(JSONSerialization.jsonObject(with: Data(contentsOf: inventory)) as? [String: Any])
        #expect((tightDocument["endpoints"] as? [[String: Any]])?.count == 9)
        #expect(tightDocument["early_tls_endpoints_dropped"] as? Int == earlyClients - 1)
        #expect(try Helloscope.run(["analyze", "--max-endpoints", "0", file.path]).status == 64)
    }

    @Test mutating func helloClaimingMegabytesIsCountedNotBuffered() throws {
        var hello = try RealHellos.from("ds-agent-4118.pcap", session: 2).clientHello
        hello[6] = 0xff; hello[7] = 0xff; hello[8] = 0xff       // handshake length: 16 MiB
        var writer = PcapWriter()
        writer.append(TCPFrame.build(from: client, 40000, to: server, 4118, sequence: 100, payload: hello))
        let file = try writer.write("huge-hello.pcap")
        defer { try? FileManager.default.removeItem(at: file) }
        let (result, sessions, counters) = try analyze(file)
        #expect(result.status == 0)
        #expect(counters["hellos_over_reassembly_bound"] == 1)
        #expect(sessions.first?["status"] as? String == "incomplete")
        #expect(sessions.first?["client_hello"] as? String == "over_bound")
    }

    @Test mutating func helloDribbledOneBytePerSegmentStillClassifies() throws {
        let hellos = try RealHellos.from("ds-agent-4118.pcap", session: 0)
        var writer = PcapWriter()
        session(&writer, port: 40001, hellos: hellos, clientSegments: hellos.clientHello.map { [$0] })
        let file = try writer.write("dribble.pcap")
        defer { try? FileManager.default.removeItem(at: file) }
        let (_, sessions, counters) = try analyze(file)
        #expect(sessions.count == 1)
        #expect(sessions.first?["version"] as? String == "TLSv1.0")
        #expect(sessions.first?["client_hello_segments"] as? Int == hellos.clientHello.count)
        #expect(counters["reassembly_started"] == 1)
    }

    @Test mutating func overlappingAndOutOfWindowSegmentsDoNotConfuseIt() throws {
        let hellos = try RealHellos.from("ds-agent-4118.pcap", session: 3)
        var writer = PcapWriter()
        var random = SplitMix(seed: 7)
        let hello = hellos.clientHello
        writer.append(TCPFrame.build(from: client, 40002, to: server, 4118, sequence: 99, flags: TCPFrame.syn))
        // 5000 pieces: random overlapping slices of the hello, and junk far outside the window.
        for _ in 0 ..< 5000 {
            if random.next() % 4 == 0 {
                writer.append(TCPFrame.build(from: client, 40002, to: server, 4118, sequence: UInt32(truncatingIfNeeded: random.next()),
                                             payload: [UInt8](repeating: 0x16, count: 40)))
            } else {
                let start = Int(random.next() % UInt64(hello.count))
                let end = min(hello.count, start + 1 + Int(random.next() % 64))
                writer.append(TCPFrame.build(from: client, 40002, to: server, 4118, sequence: 100 + UInt32(start), payload: Array(hello[start ..< end])))
            }
        }
        writer.append(TCPFrame.build(from: client, 40002, to: server, 4118, sequence: 100, payload: hello))
        writer.append(TCPFrame.build(from: server, 4118, to: client, 40002, sequence: 5000, payload: hellos.serverHelloRecord))
        let file = try writer.write("overlap.pcap")
        defer { try? FileManager.default.removeItem(at: file) }
        let (result, sessions, counters) = try analyze(file)
        #expect(result.status == 0)
        #expect(sessions.count == 1)
        #expect(sessions.first?["version"] as? String == "TLSv1.3")
        #expect((counters["segments_out_of_window"] ?? 0) + (counters["segments_retransmitted"] ?? 0) > 0)
    }

    @Test mutating func extensionOverrunningItsParentIsMalformedNotACrash() throws {
        let hellos = try RealHellos.from("ds-agent-4118.pcap", session: 3)
        var hello = hellos.clientHello
        // Find the extensions block: record(5) + handshake(4) + version(2) + random(32) + session id + suites + compression.
        var at = 5 + 4 + 2 + 32
        at += 1 + Int(hello[at])
        at += 2 + (Int(hello[at]) << 8 | Int(hello[at + 1]))
        at += 1 + Int(hello[at])
        let firstExtension = at + 2
        hello[firstExtension + 2] = 0x7f   // first extension's length now runs past the block
        var writer = PcapWriter()
        session(&writer, port: 40003, hellos: RealHellos(clientHello: hello, serverHello: hellos.serverHello))
        let file = try writer.write("overrun.pcap")
        defer { try? FileManager.default.removeItem(at: file) }
        let (result, sessions, counters) = try analyze(file)
        #expect(result.status == 0)
        #expect(sessions.count == 1)
        #expect((counters["extensions_malformed"] ?? 0) >= 1)
        #expect(sessions.first?["version"] as? String == "TLSv1.3")
    }

    @Test mutating func retransmittedSessionIsOneSession() throws {
        let hellos = try RealHellos.from("ds-agent-4118.pcap", session: 1)
        var once = PcapWriter()
        session(&once, port: 40004, hellos: hellos)
        // Every frame twice, as a span port behind a retransmitting sender shows it.
        var twice = PcapWriter()
        var at = 24
        let bytes = [UInt8](once.data)
        while at + 16 <= bytes.count {
            let length = Int(bytes[at + 8]) | Int(bytes[at + 9]) << 8
            let frame = Array(bytes[at + 16 ..< at + 16 + length])
            twice.append(frame); twice.append(frame)
            at += 16 + length
        }
        let file = try twice.write("retransmitted.pcap")
        defer { try? FileManager.default.removeItem(at: file) }
        let (_, sessions, counters) = try analyze(file)
        #expect(sessions.count == 1)
        #expect(sessions.first?["version"] as? String == "TLSv1.1")
        #expect(counters["sessions"] == 1)
    }

    /// A hello with longer lists than a session keeps: a scanner offering 150 suites, or 75
    /// extensions. The fingerprints must still be those of the whole hello (as tshark's), and
    /// the raw strings, which could only be made of the kept part, are null: a shortened
    /// `ja3_string` would not hash to the `ja3` beside it.
    @Test mutating func oversizedHelloListsKeepWholeFingerprintsAndNoShortenedStrings() throws {
        let serverHello = try RealHellos.from("ds-agent-4118.pcap", session: 3).serverHelloRecord
        let shapes = [(ciphers: 10, extraExtensions: 0), (ciphers: 150, extraExtensions: 0), (ciphers: 10, extraExtensions: 70)]
        var writer = PcapWriter()
        var expected: [String] = []
        for (index, shape) in shapes.enumerated() {
            let (hello, ja3String) = Self.clientHello(ciphers: shape.ciphers, extraExtensions: shape.extraExtensions)
            expected.append(ja3String)
            session(&writer, port: UInt16(41000 + index), hellos: RealHellos(clientHello: hello, serverHello: serverHello))
        }
        let file = try writer.write("oversized-lists.pcap")
        defer { try? FileManager.default.removeItem(at: file) }
        let (_, sessions, counters) = try analyze(file)
        try #require(sessions.count == 3)
        #expect(counters["fingerprint_lists_cut"] == 2)
        func md5(_ text: String) -> String { Insecure.MD5.hash(data: Data(text.utf8)).map { String(format: "%02x", $0) }.joined() }
        for (index, session) in sessions.enumerated() {
            #expect(session["ja3"] as? String == md5(expected[index]), "session \(index)")
            let ja3s = try #require(session["ja3s_string"] as? String)
            #expect(session["ja3s"] as? String == md5(ja3s))
        }
        #expect(sessions[0]["ja3_string"] as? String == expected[0])
        #expect((sessions[0]["ja4_r"] as? String)?.hasPrefix("t13d100500_") == true)
        for session in sessions[1...] {
            #expect(session["ja3_string"] is NSNull)
            #expect(session["ja4_r"] is NSNull)
        }
        // JA4 counts the whole lists (capped at 99 by its definition), not the kept ones.
        #expect((sessions[1]["ja4"] as? String)?.hasPrefix("t13d990500_") == true)
        #expect((sessions[2]["ja4"] as? String)?.hasPrefix("t13d107500_") == true)
    }

    /// The SNI is the client's to choose, bytes and all: quotes, backslashes, control bytes and
    /// bytes that are not UTF-8 must come out escaped (each byte not printable ASCII as \u00XX),
    /// so every line stays valid JSON and says which bytes were sent; a plain name beside it
    /// comes out as it is.
    @Test mutating func hostileServerNameStaysValidJSON() throws {
        let serverHello = try RealHellos.from("ds-agent-4118.pcap", session: 3).serverHelloRecord
        let hostile: [UInt8] = Array("a\"b\\c".utf8) + [0x01, 0x0a, 0x1f, 0x7f, 0xc3, 0x28, 0xff] + Array(".example".utf8)
        let names = [Array("plain.example".utf8), hostile]
        var writer = PcapWriter()
        for (index, name) in names.enumerated() {
            let hello = Self.clientHello(ciphers: 5, extraExtensions: 0, serverName: name).hello
            session(&writer, port: UInt16(42000 + index), hellos: RealHellos(clientHello: hello, serverHello: serverHello))
        }
        let file = try writer.write("hostile-sni.pcap")
        defer { try? FileManager.default.removeItem(at: file) }
        let (result, sessions, _) = try analyze(file)
        try #require(sessions.count == 2)
        #expect(sessions[0]["sni"] as? String == "plain.example")
        // Read back, each escaped byte is the character of that code point.
        #expect(sessions[1]["sni"] as? String == String(String.UnicodeScalarView(hostile.map { Unicode.Scalar($0) })))
        let line = try #require(result.stdout.split(separator: "\n").last)
        #expect(line.contains(#""sni":"a\"b\\c\u0001\u000a\u001f\u007f\u00c3(\u00ff.example""#))
    }

    /// A TLS 1.3 ClientHello with `ciphers` suites (the three TLS 1.3 ones first), SNI,
    /// groups, point formats, signature algorithms, supported versions and `extraExtensions`
    /// empty extensions of unassigned types; and its JA3 string.
    static func clientHello(ciphers count: Int, extraExtensions: Int, serverName name: [UInt8] = Array("oversized.example".utf8))
        -> (hello: [UInt8], ja3String: String) {
        func be16(_ value: Int) -> [UInt8] { [UInt8(value >> 8 & 0xff), UInt8(value & 0xff)] }
        func ext(_ type: Int, _ body: [UInt8]) -> [UInt8] { be16(type) + be16(body.count) + body }
        let ciphers = [0x1301, 0x1302, 0x1303] + (0 ..< count - 3).map { 0x0100 + $0 }
        let extensions: [(type: Int, body: [UInt8])] = [
            (0, be16(name.count + 3) + [0] + be16(name.count) + name),
            (10, be16(4) + be16(29) + be16(23)),
            (11, [1, 0]),
            (13, be16(4) + be16(0x0403) + be16(0x0804)),
            (43, [4] + be16(0x0304) + be16(0x0303)),
        ] + (0 ..< extraExtensions).map { (type: 0x1000 + $0, body: [UInt8]()) }
        let extensionBytes = extensions.flatMap { ext($0.type, $0.body) }
        var body = be16(0x0303) + [UInt8](repeating: 7, count: 32) + [0]
        body += be16(ciphers.count * 2) + ciphers.flatMap(be16) + [1, 0] + be16(extensionBytes.count) + extensionBytes
        let handshake = [1, 0] + be16(body.count) + body
        let ja3 = ["771", ciphers.map(String.init).joined(separator: "-"),
                   extensions.map { String($0.type) }.joined(separator: "-"), "29-23", "0"].joined(separator: ",")
        return ([0x16, 3, 1] + be16(handshake.count) + handshake, ja3)
    }

    func peakResidentKiB(_ arguments: [String]) throws -> Int {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/time")
        process.arguments = ["-f", "%M", Helloscope.binary.path] + arguments
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let text = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return Int(text.split(separator: "\n").last.map(String.init) ?? "") ?? .max
    }
}

/// A fixed-seed generator, so every run sends the same hostile segments.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
}
