import Foundation
import Testing

/// `--evidence DIR`: the handshake packets of early-TLS sessions, and only those, in rotating
/// pcap files. Live on a veth pair of its own (hs-ev-a/b, 10.213.9.x, via scripts/live-test.sh),
/// and offline on captures built from real OpenSSL hellos, where counting is exact.
@Suite(.serialized) struct EvidenceTests {
    // MARK: Live

    /// A TLS 1.0 and a TLS 1.2 session from real OpenSSL: the evidence holds the first,
    /// from its SYN, with its original timestamps, and nothing of the second.
    @Test(arguments: [1, 2])
    func liveEvidenceHoldsOnlyTheEarlySession(workers: Int) throws {
        guard LiveCaptureTests.canRun else { return }
        let evidence = Helloscope.temporaryFile("evidence-live-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: evidence) }
        let started = Date()
        let run = try LiveCaptureTests.live(
            ["stacks", "--workers", "\(workers)", "--evidence", evidence.path],
            environment: ["LIVE_NET": "ev", "SESSIONS": "4118 -tls1,4118 -tls1_2"])
        #expect(run.status == 0, "stderr: \(run.stderr)")
        #expect(run.ran.count == 2)
        let early = try #require(run.sessions.first { $0["version"] as? String == "TLSv1.0" }, "sessions: \(run.sessions)")
        let modern = try #require(run.sessions.first { $0["version"] as? String == "TLSv1.2" }, "sessions: \(run.sessions)")
        let earlyPort = try #require(early["client_port"] as? Int)
        let modernPort = try #require(modern["client_port"] as? Int)

        let files = Self.evidenceFiles(in: evidence)
        #expect(files.count == 1)
        let file = try #require(files.first)
        // helloscope reads back exactly the TLS 1.0 session.
        let reread = try Helloscope.run(["analyze", "--quiet", "--json", "-", file.path])
        #expect(reread.status == 0 && !reread.stderr.contains("warning"), "stderr: \(reread.stderr)")
        let sessions = try Helloscope.jsonLines(reread.stdout)
        #expect(sessions.count == 1)
        #expect(sessions.first?["version"] as? String == "TLSv1.0")
        #expect(sessions.first?["client_port"] as? Int == earlyPort)
        #expect(sessions.first?["server_port"] as? Int == 4118)
        #expect(sessions.first?["status"] as? String == "negotiated")

        // Packet by packet: nanosecond pcap, Ethernet, only that connection, from its SYN.
        let pcap = try PcapFile(file)
        #expect(pcap.nanoseconds && pcap.linkType == 1)
        let ports = pcap.packets.compactMap(\.tcpPorts)
        #expect(ports.count == pcap.packets.count)
        #expect(ports.allSatisfy { Set([$0.source, $0.destination]) == [UInt16(earlyPort), 4118] })
        #expect(!ports.contains { $0.source == UInt16(modernPort) || $0.destination == UInt16(modernPort) })
        #expect(pcap.packets.first?.tcpFlags == 0x02, "the first packet is the SYN")
        #expect(pcap.packets.contains { $0.tlsHandshakeType == 1 } && pcap.packets.contains { $0.tlsHandshakeType == 2 })
        #expect(pcap.packets.allSatisfy { $0.date >= started.addingTimeInterval(-1) && $0.date <= Date() })
        #expect(zip(pcap.packets, pcap.packets.dropFirst()).allSatisfy { $0.nanos <= $1.nanos })

        // tshark (the tool an auditor would use) agrees: one ServerHello, choosing TLS 1.0.
        let tshark = try Self.tool("tshark", ["-r", file.path, "-d", "tcp.port==4118,tls", "-Y", "tls.handshake.type == 2", "-T", "fields",
                                              "-e", "tcp.dstport", "-e", "tls.handshake.version"])
        #expect(tshark.trimmingCharacters(in: .whitespacesAndNewlines) == "\(earlyPort)\t0x0301")

        let final = try #require(run.stats.last { $0["type"] as? String == "final_stats" })
        let counts = try #require(final["evidence"] as? [String: Any])
        #expect(counts["sessions_written"] as? Int == 1)
        #expect(counts["packets_written"] as? Int == pcap.packets.count)
        #expect(counts["write_errors"] as? Int == 0)
    }

    // MARK: Offline: rotation, full disk, bad directories

    /// A small size limit and file count: never more files than allowed, none larger than
    /// the limit, the oldest (also one left by an earlier run) removed first, and what is
    /// left is exactly the newest early sessions, packet for packet, timestamps included.
    @Test func rotationKeepsTheNewestFilesWithinTheBounds() throws {
        let workload = try SyntheticSessions(early: 120, modern: 40)
        defer { try? FileManager.default.removeItem(at: workload.capture) }
        let evidence = Helloscope.temporaryFile("evidence-rotate-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: evidence, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: evidence) }
        let leftOver = evidence.appendingPathComponent("evidence-20000101T000000Z-000001.pcap")
        try Data(count: 24).write(to: leftOver)

        let json = Helloscope.temporaryFile("evidence-rotate-\(UUID().uuidString).jsonl")
        defer { try? FileManager.default.removeItem(at: json) }
        let result = try Helloscope.run(["analyze", "--json", json.path, "--evidence", evidence.path,
                                         "--evidence-file-size", "64K", "--evidence-files", "3", workload.capture.path])
        #expect(result.status == 0, "stderr: \(result.stderr)")
        #expect(try Helloscope.jsonLines(String(contentsOf: json, encoding: .utf8)).count == 160)
        #expect(result.stdout.contains("120 early-TLS session(s), 600 packets written"), "\(result.stdout)")
        #expect(result.stdout.contains("0 write error(s)"))

        let files = Self.evidenceFiles(in: evidence)
        #expect(files.count == 3)
        #expect(!FileManager.default.fileExists(atPath: leftOver.path))
        for file in files {
            let size = try #require(try FileManager.default.attributesOfItem(atPath: file.path)[.size] as? Int)
            #expect(size <= 64 << 10, "\(file.lastPathComponent): \(size) bytes")
        }
        let reread = try Helloscope.run(["analyze", "--quiet", "--json", "-"] + files.map(\.path))
        #expect(reread.status == 0 && !reread.stderr.contains("warning"), "stderr: \(reread.stderr)")
        let kept = try Helloscope.jsonLines(reread.stdout)
        #expect(kept.allSatisfy { $0["version"] as? String == "TLSv1.0" })
        let keptPorts = kept.compactMap { $0["client_port"] as? Int }
        #expect(keptPorts.count > 40 && keptPorts.count < 120)
        #expect(keptPorts == Array(workload.earlyPorts.suffix(keptPorts.count)))

        // Byte for byte and stamp for stamp what the source held for those connections.
        let source = try PcapFile(workload.capture).packets.filter { packet in
            packet.tcpPorts.map { keptPorts.contains(Int($0.source)) || keptPorts.contains(Int($0.destination)) } ?? false
        }
        let written = try files.flatMap { try PcapFile($0).packets }
        #expect(written.map(\.bytes) == source.map(\.bytes))
        #expect(written.map(\.nanos) == source.map(\.nanos))
    }

    /// A full disk (a 64 KiB tmpfs): each session that does not fit is counted, one line on
    /// stderr says so, analysis goes on to the end, and the file left is whole.
    @Test func fullDiskIsCountedAndAnalysisContinues() throws {
        guard LiveCaptureTests.canRun else { return }
        let workload = try SyntheticSessions(early: 120, modern: 40)
        defer { try? FileManager.default.removeItem(at: workload.capture) }
        try Self.withSmallFileSystem("evidence-full") { mountPoint in try fullDisk(workload, mountPoint) }
    }

    private func fullDisk(_ workload: SyntheticSessions, _ mountPoint: URL) throws {
        let json = Helloscope.temporaryFile("evidence-full-\(UUID().uuidString).jsonl")
        defer { try? FileManager.default.removeItem(at: json) }
        let result = try Helloscope.run(["analyze", "--json", json.path, "--evidence", mountPoint.path,
                                         "--evidence-file-size", "1M", workload.capture.path])
        #expect(result.status == 0, "stderr: \(result.stderr)")
        #expect(try Helloscope.jsonLines(String(contentsOf: json, encoding: .utf8)).count == 160)
        #expect(result.stderr.components(separatedBy: "evidence: write failed").count == 2, "one line: \(result.stderr)")
        #expect(result.stderr.contains("No space left on device"))
        let written = try #require(Self.number(before: " early-TLS session(s)", in: result.stdout), "\(result.stdout)")
        let errors = try #require(Self.number(before: " write error(s)", in: result.stdout))
        #expect(written > 0 && errors > 0 && written + errors == 120)

        // Every file left is whole (cut back to its last whole session) and holds only early
        // sessions, as many as were counted written, in order.
        let files = Self.evidenceFiles(in: mountPoint)
        #expect(!files.isEmpty)
        for file in files { _ = try PcapFile(file) }
        let reread = try Helloscope.run(["analyze", "--quiet", "--json", "-"] + files.map(\.path))
        #expect(reread.status == 0 && !reread.stderr.contains("warning"), "stderr: \(reread.stderr)")
        let kept = try Helloscope.jsonLines(reread.stdout)
        #expect(kept.count == written)
        let keptPorts = kept.compactMap { $0["client_port"] as? Int }
        #expect(keptPorts == keptPorts.sorted() && Set(keptPorts).isSubset(of: workload.earlyPorts))
    }

    @Test func unwritableDirectoryIsAClearErrorAtStart() throws {
        let plainFile = Helloscope.temporaryFile("evidence-not-a-dir-\(UUID().uuidString)")
        try Data("x".utf8).write(to: plainFile)
        defer { try? FileManager.default.removeItem(at: plainFile) }
        let capture = Helloscope.captures.appendingPathComponent("server-pinned-tls10.pcap").path

        let notADirectory = try Helloscope.run(["analyze", "--evidence", plainFile.path, capture])
        #expect(notADirectory.status == 74)
        #expect(notADirectory.stderr.contains("--evidence \(plainFile.path): not a directory"), "\(notADirectory.stderr)")

        let underAFile = try Helloscope.run(["analyze", "--evidence", plainFile.path + "/evidence", capture])
        #expect(underAFile.status == 74)
        #expect(underAFile.stderr.contains("--evidence"), "\(underAFile.stderr)")

        let tooSmall = try Helloscope.run(["analyze", "--evidence", "/tmp", "--evidence-file-size", "10K", capture])
        #expect(tooSmall.status == 64)
        #expect(tooSmall.stderr.contains("--evidence-file-size"))

        guard LiveCaptureTests.canRun else { return }
        // Live: refused before the first packet, not at the first early session.
        let started = Date()
        let live = try Helloscope.run(["capture", "-i", "lo", "--workers", "1", "--duration", "5", "--evidence", plainFile.path])
        #expect(live.status == 74)
        #expect(live.stderr.contains("not a directory"), "\(live.stderr)")
        #expect(Date().timeIntervalSince(started) < 4)
    }

    /// A directory that does not exist yet is made; the analyze path writes the bundled
    /// early captures' sessions and no others.
    @Test func bundledCapturesGiveOnlyTheirEarlySessions() throws {
        let evidence = Helloscope.temporaryFile("evidence-bundled-\(UUID().uuidString)/a/b")
        defer { try? FileManager.default.removeItem(at: evidence.deletingLastPathComponent().deletingLastPathComponent()) }
        let captures = ["ds-agent-4118.pcap", "server-pinned-tls10.pcap", "refused-early-only.pcap", "dsaas-443.pcapng"]
            .map { Helloscope.captures.appendingPathComponent($0).path }
        let result = try Helloscope.run(["analyze", "--quiet", "--json", "-", "--evidence", evidence.path] + captures)
        #expect(result.status == 0, "stderr: \(result.stderr)")
        let wanted = try Helloscope.jsonLines(result.stdout)
            .filter { ["early_tls_negotiated", "early_only_refused"].contains($0["verdict"] as? String) }
        #expect(wanted.count >= 3)
        let files = Self.evidenceFiles(in: evidence)
        #expect(files.count == 1)
        let reread = try Helloscope.run(["analyze", "--quiet", "--json", "-"] + files.map(\.path))
        func identity(_ session: [String: Any]) -> String {
            ["client", "client_port", "server", "server_port", "version", "status", "verdict"].map { "\(session[$0] ?? "nil")" }.joined(separator: " ")
        }
        #expect(try Helloscope.jsonLines(reread.stdout).map(identity).sorted() == wanted.map(identity).sorted())
    }

    // MARK: Helpers

    static func evidenceFiles(in directory: URL) -> [URL] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return names.filter { $0.hasPrefix("evidence-") && $0.hasSuffix(".pcap") }.sorted().map { directory.appendingPathComponent($0) }
    }

    /// The number before `suffix` on the summary's "Evidence (DIR): ..." line.
    static func number(before suffix: String, in text: String) -> Int? {
        guard let line = text.split(separator: "\n").last(where: { $0.hasPrefix("Evidence (") }),
              let range = line.range(of: suffix) else { return nil }
        let text = line
        return Int(text[..<range.lowerBound].reversed().prefix { $0.isNumber }.reversed().map(String.init).joined())
    }

    /// Runs `body` with a 64 KiB tmpfs mounted for it (root only), then takes it away.
    static func withSmallFileSystem(_ name: String, _ body: (URL) throws -> Void) throws {
        let mountPoint = Helloscope.temporaryFile("\(name)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: mountPoint, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: mountPoint) }
        _ = try tool("mount", ["-t", "tmpfs", "-o", "size=64k", "tmpfs", mountPoint.path])
        defer { _ = try? tool("umount", [mountPoint.path]) }
        try body(mountPoint)
    }

    /// Runs a system tool; a missing one fails the test (these tests run under CI as root).
    static func tool(_ name: String, _ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [name] + arguments
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "\(name) \(arguments.joined(separator: " ")) failed (missing?)")
        return String(decoding: data, as: UTF8.self)
    }
}

/// Sessions around real OpenSSL hellos (TLS 1.0 from server-pinned-tls10.pcap, TLS 1.2 from
/// ds-agent-4118.pcap): SYN, SYN-ACK, ACK, ClientHello, ServerHello each; every fourth is TLS 1.2.
struct SyntheticSessions {
    var capture: URL
    var earlyPorts: [Int] = []

    /// `distinctClients`: each session from a client address of its own (10.214.x.y), not all
    /// from one.
    init(early: Int, modern: Int, distinctClients: Bool = false) throws {
        let tls10 = try RealHellos.from("server-pinned-tls10.pcap")
        let tls12 = try RealHellos.from("ds-agent-4118.pcap", session: 2)
        let server: [UInt8] = [10, 213, 99, 1]
        var writer = PcapWriter()
        var made = (early: 0, modern: 0)
        var port: UInt16 = 40_000
        while made.early < early || made.modern < modern {
            let isModern = made.modern < modern && (made.early >= early || (made.early + made.modern) % 4 == 3)
            let hellos = isModern ? tls12 : tls10
            port += 1
            let number = made.early + made.modern + 1
            let client: [UInt8] = distinctClients ? [10, 214, UInt8(number >> 8), UInt8(number & 0xff)] : [10, 213, 99, 2]
            writer.append(TCPFrame.build(from: client, port, to: server, 4118, sequence: 100, flags: TCPFrame.syn))
            writer.append(TCPFrame.build(from: server, 4118, to: client, port, sequence: 500, flags: 0x12))
            writer.append(TCPFrame.build(from: client, port, to: server, 4118, sequence: 101, flags: TCPFrame.ack))
            writer.append(TCPFrame.build(from: client, port, to: server, 4118, sequence: 101, payload: hellos.clientHello))
            writer.append(TCPFrame.build(from: server, 4118, to: client, port, sequence: 501, payload: hellos.serverHello))
            if isModern { made.modern += 1 } else { made.early += 1; earlyPorts.append(Int(port)) }
        }
        capture = try writer.write("evidence-synthetic-\(UUID().uuidString).pcap")
    }
}

/// A classic pcap file read back whole (µs or ns), for checking evidence packet by packet.
struct PcapFile {
    struct Packet {
        var nanos: Int64
        var wireLength: Int
        var bytes: [UInt8]

        var date: Date { Date(timeIntervalSince1970: Double(nanos) / 1e9) }

        /// Ethernet, IPv4, TCP only (what these tests make).
        private var tcpStart: Int? {
            guard bytes.count >= 54, bytes[12] == 0x08, bytes[13] == 0x00, bytes[23] == 6 else { return nil }
            return 14 + Int(bytes[14] & 0x0f) * 4
        }

        var tcpPorts: (source: UInt16, destination: UInt16)? {
            tcpStart.map { (UInt16(bytes[$0]) << 8 | UInt16(bytes[$0 + 1]), UInt16(bytes[$0 + 2]) << 8 | UInt16(bytes[$0 + 3])) }
        }

        var tcpFlags: UInt8? { tcpStart.map { bytes[$0 + 13] & 0x3f } }

        /// The handshake type of a TLS handshake record starting the payload, if any.
        var tlsHandshakeType: UInt8? {
            guard let tcp = tcpStart else { return nil }
            let payload = tcp + Int(bytes[tcp + 12] >> 4) * 4
            guard bytes.count > payload + 5, bytes[payload] == 0x16 else { return nil }
            return bytes[payload + 5]
        }
    }

    var nanoseconds: Bool
    var linkType: UInt32
    var packets: [Packet] = []

    init(_ url: URL) throws {
        let data = [UInt8](try Data(contentsOf: url))
        func word(_ at: Int) -> UInt32 {
            UInt32(data[at]) | UInt32(data[at + 1]) << 8 | UInt32(data[at + 2]) << 16 | UInt32(data[at + 3]) << 24
        }
        try #require(data.count >= 24)
        let magic = word(0)
        try #require(magic == 0xa1b2_c3d4 || magic == 0xa1b2_3c4d, "little-endian classic pcap")
        nanoseconds = magic == 0xa1b2_3c4d
        linkType = word(20)
        var at = 24
        while at < data.count {
            try #require(at + 16 <= data.count, "a whole record header at \(at)")
            let captured = Int(word(at + 8))
            try #require(at + 16 + captured <= data.count, "a whole record at \(at)")
            let fraction = Int64(word(at + 4))
            packets.append(Packet(nanos: Int64(word(at)) * 1_000_000_000 + (nanoseconds ? fraction : fraction * 1000),
                                  wireLength: Int(word(at + 12)), bytes: Array(data[at + 16 ..< at + 16 + captured])))
            at += 16 + captured
        }
    }
}
