import Foundation
import Testing

/// Damaged capture files: a message naming the file and where it broke, every result
/// before the damage kept, never a crash.
@Suite struct CorruptFileTests {
    let client: [UInt8] = [10, 213, 21, 2]
    let server: [UInt8] = [10, 213, 21, 1]

    /// One complete TLS 1.2 session (real OpenSSL hellos), then whatever `damage` appends.
    func file(_ name: String, damage: (inout PcapWriter) -> Void) throws -> URL {
        let hellos = try RealHellos.from("ds-agent-4118.pcap", session: 2)
        var writer = PcapWriter()
        writer.append(TCPFrame.build(from: client, 41000, to: server, 4118, sequence: 100, payload: hellos.clientHello))
        writer.append(TCPFrame.build(from: server, 4118, to: client, 41000, sequence: 900, payload: hellos.serverHelloRecord))
        damage(&writer)
        return try writer.write(name)
    }

    func analyze(_ url: URL) throws -> (Helloscope.Result, [[String: Any]]) {
        let result = try Helloscope.run(["analyze", "--quiet", "--json", "-", url.path])
        return (result, try Helloscope.jsonLines(result.stdout))
    }

    @Test func wrongMagicIsUnreadableInput() throws {
        var bytes = try Data(contentsOf: try file("magic.pcap") { _ in })
        bytes[0] = 0x00; bytes[1] = 0x11
        let url = Helloscope.temporaryFile("bad-magic.pcap")
        try bytes.write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        let result = try Helloscope.run(["analyze", url.path])
        #expect(result.status == 66)
        #expect(result.stderr.contains("bad-magic.pcap"))
        #expect(result.stderr.split(separator: "\n").count == 1)
    }

    @Test func truncatedGlobalHeaderIsUnreadableInput() throws {
        let url = Helloscope.temporaryFile("short-header.pcap")
        try Data(try Data(contentsOf: try file("header.pcap") { _ in }).prefix(10)).write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        let result = try Helloscope.run(["analyze", url.path])
        #expect(result.status == 66)
        #expect(result.stderr.contains("short-header.pcap"))
    }

    @Test func absurdCapturedLengthStopsWithAWarningAndKeepsTheSession() throws {
        let url = try file("absurd-caplen.pcap") { writer in
            writer.append([UInt8](repeating: 0, count: 60), capturedLength: 0x7fff_fff0)
        }
        defer { try? FileManager.default.removeItem(at: url) }
        let (result, sessions) = try analyze(url)
        #expect(result.status == 0)
        #expect(result.stderr.contains("absurd-caplen.pcap: stopped at packet 3"))
        #expect(sessions.count == 1)
        #expect(sessions.first?["version"] as? String == "TLSv1.2")
    }

    @Test func capturedLengthOverTheSnapLengthIsReported() throws {
        var writer = PcapWriter(snapLength: 128)
        let hellos = try RealHellos.from("ds-agent-4118.pcap", session: 2)
        writer.append(TCPFrame.build(from: client, 41001, to: server, 4118, sequence: 100, payload: hellos.clientHello))
        let url = try writer.write("over-snaplen.pcap")
        defer { try? FileManager.default.removeItem(at: url) }
        let (result, _) = try analyze(url)
        // libpcap accepts records up to its own maximum; either way: no crash, a clear outcome.
        #expect(result.status == 0)
        #expect(result.stderr.isEmpty || result.stderr.contains("over-snaplen.pcap"))
    }

    @Test func zeroLengthRecordsAreSkipped() throws {
        let url = try file("zero-length.pcap") { writer in
            for _ in 0 ..< 100 { writer.append([]) }
        }
        defer { try? FileManager.default.removeItem(at: url) }
        let (result, sessions) = try analyze(url)
        #expect(result.status == 0)
        #expect(sessions.count == 1)
    }

    @Test func timestampsGoingBackwardsStillClassify() throws {
        let hellos = try RealHellos.from("ds-agent-4118.pcap", session: 0)
        var writer = PcapWriter()
        writer.append(TCPFrame.build(from: client, 41002, to: server, 4118, sequence: 100, payload: hellos.clientHello), at: 2_000_000_000)
        writer.append(TCPFrame.build(from: server, 4118, to: client, 41002, sequence: 900, payload: hellos.serverHelloRecord), at: 1_000_000_000)
        let url = try writer.write("backwards.pcap")
        defer { try? FileManager.default.removeItem(at: url) }
        let (result, sessions) = try analyze(url)
        #expect(result.status == 0)
        #expect(sessions.first?["version"] as? String == "TLSv1.0")
    }

    @Test func fileEndingMidHandshakeReportsTheClientHello() throws {
        let hellos = try RealHellos.from("ds-agent-4118.pcap", session: 0)
        var writer = PcapWriter()
        writer.append(TCPFrame.build(from: client, 41003, to: server, 4118, sequence: 100, payload: Array(hellos.clientHello.prefix(40))))
        let url = try writer.write("mid-hello.pcap")
        defer { try? FileManager.default.removeItem(at: url) }
        let (result, sessions) = try analyze(url)
        #expect(result.status == 0)
        #expect(sessions.first?["status"] as? String == "incomplete")
        #expect(sessions.first?["client_hello"] as? String == "gap")
    }

    @Test func pcapngWithUnknownAndOversizedBlocks() throws {
        // Section header, interface description, an unknown block (type 0x0bad), one enhanced
        // packet block with a real ClientHello frame, then a block claiming 256 MiB.
        let hellos = try RealHellos.from("ds-agent-4118.pcap", session: 0)
        let frame = TCPFrame.build(from: client, 41004, to: server, 4118, sequence: 100, payload: hellos.clientHello)
        var data = Data()
        func u32(_ value: UInt32) { withUnsafeBytes(of: value.littleEndian) { data.append(contentsOf: $0) } }
        func u16(_ value: UInt16) { withUnsafeBytes(of: value.littleEndian) { data.append(contentsOf: $0) } }
        u32(0x0a0d_0d0a); u32(28); u32(0x1a2b_3c4d); u16(1); u16(0); u32(0xffff_ffff); u32(0xffff_ffff); u32(28)
        u32(1); u32(20); u16(1); u16(0); u32(0); u32(20)
        u32(0x0bad); u32(16); u32(0xdead_beef); u32(16)
        let padded = (frame.count + 3) & ~3
        u32(6); u32(UInt32(32 + padded)); u32(0); u32(0); u32(0); u32(UInt32(frame.count)); u32(UInt32(frame.count))
        data.append(contentsOf: frame + [UInt8](repeating: 0, count: padded - frame.count)); u32(UInt32(32 + padded))
        u32(6); u32(0x1000_0000); u32(0)
        let url = Helloscope.temporaryFile("blocks.pcapng")
        try data.write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        let (result, sessions) = try analyze(url)
        #expect(result.status == 0)
        #expect(result.stderr.contains("blocks.pcapng"))
        #expect(sessions.count == 1)
        #expect(sessions.first?["client_max_version"] as? String == "TLSv1.0")
    }
}
