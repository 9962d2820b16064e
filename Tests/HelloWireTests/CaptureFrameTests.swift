import Testing
import HelloWire
import FrameTestSupport

// Real frames from Captures/ (OpenSSL 3.0 s_server/s_client, tcpdump; see Captures/README.md),
// read with the test's own classic-pcap reader and compared with tshark's view of them
// (CaptureFixtures.swift).

enum LoadedCaptures {
    static let names = ["vlan-4122.pcap", "ipv6-4118.pcap", "sll2-any-4119.pcap", "ds-heartbeat-4120.pcap", "ds-relay-4122.pcap"]
    static let files: [String: PcapFile] = {
        var files: [String: PcapFile] = [:]
        for name in names { files[name] = try? PcapFile(named: name) }
        return files
    }()

    static func frame(_ file: String, _ number: Int) throws -> PcapFile.Record {
        let pcap = try #require(files[file], "\(file) did not load")
        return pcap.records[number - 1]
    }

    static func decoder(_ file: String) throws -> FrameDecoder {
        let pcap = try #require(files[file])
        return FrameDecoder(linkType: LinkType(rawValue: Int32(pcap.linkType)))
    }
}

/// What tshark says of the hellos in those captures:
/// `tshark -r <file> -T fields -e tls.handshake.version -e tls.handshake.ciphersuite
///  -e tls.handshake.extensions_server_name -e tls.handshake.extensions.supported_version
///  -e tls.handshake.extension.type 'tls.handshake.type==1 || tls.handshake.type==2'`.
struct HelloFact: Sendable, CustomTestStringConvertible {
    var file: String
    var frame: Int
    var isClient: Bool
    var legacyVersion: UInt16
    var ciphers: [UInt16]            // ClientHello: all offered; ServerHello: the chosen one
    var serverName: String?
    var supportedVersions: [UInt16]  // empty: no supported_versions extension
    var extensionCount: Int
    var testDescription: String { "\(file)#\(frame)" }
}

let legacyOpenSSLSuites: [UInt16] = [
    0xc02c, 0xc030, 0x009f, 0xcca9, 0xcca8, 0xccaa, 0xc02b, 0xc02f, 0x009e, 0xc024, 0xc028, 0x006b, 0xc023, 0xc027,
    0x0067, 0xc00a, 0xc014, 0x0039, 0xc009, 0xc013, 0x0033, 0x009d, 0x009c, 0x003d, 0x003c, 0x0035, 0x002f, 0x00ff,
]
let tls10OpenSSLSuites: [UInt16] = [0xc00a, 0xc014, 0x0039, 0xc009, 0xc013, 0x0033, 0x0035, 0x002f, 0x00ff]

let tsharkHelloFacts: [HelloFact] = [
    HelloFact(file: "vlan-4122.pcap", frame: 4, isClient: true, legacyVersion: 0x0303, ciphers: legacyOpenSSLSuites,
              serverName: nil, supportedVersions: [], extensionCount: 6),
    HelloFact(file: "vlan-4122.pcap", frame: 6, isClient: false, legacyVersion: 0x0303, ciphers: [0xc030],
              serverName: nil, supportedVersions: [], extensionCount: 4),
    HelloFact(file: "ipv6-4118.pcap", frame: 4, isClient: true, legacyVersion: 0x0303, ciphers: legacyOpenSSLSuites,
              serverName: nil, supportedVersions: [], extensionCount: 6),
    HelloFact(file: "ipv6-4118.pcap", frame: 18, isClient: true, legacyVersion: 0x0301, ciphers: tls10OpenSSLSuites,
              serverName: nil, supportedVersions: [], extensionCount: 5),
    HelloFact(file: "ipv6-4118.pcap", frame: 20, isClient: false, legacyVersion: 0x0301, ciphers: [0xc014],
              serverName: nil, supportedVersions: [], extensionCount: 5),
    HelloFact(file: "sll2-any-4119.pcap", frame: 4, isClient: true, legacyVersion: 0x0303, ciphers: legacyOpenSSLSuites,
              serverName: nil, supportedVersions: [], extensionCount: 6),
    HelloFact(file: "sll2-any-4119.pcap", frame: 6, isClient: false, legacyVersion: 0x0303, ciphers: [0xc030],
              serverName: nil, supportedVersions: [], extensionCount: 4),
    HelloFact(file: "ds-heartbeat-4120.pcap", frame: 4, isClient: true, legacyVersion: 0x0301, ciphers: tls10OpenSSLSuites,
              serverName: "agents.deepsecurity.trendmicro.com", supportedVersions: [], extensionCount: 6),
    HelloFact(file: "ds-heartbeat-4120.pcap", frame: 18, isClient: true, legacyVersion: 0x0303, ciphers: legacyOpenSSLSuites,
              serverName: "agents.deepsecurity.trendmicro.com", supportedVersions: [], extensionCount: 7),
    HelloFact(file: "ds-relay-4122.pcap", frame: 18, isClient: true, legacyVersion: 0x0303,
              ciphers: [0x1302, 0x1303, 0x1301, 0x00ff], serverName: nil, supportedVersions: [0x0304], extensionCount: 9),
    HelloFact(file: "ds-relay-4122.pcap", frame: 20, isClient: false, legacyVersion: 0x0303, ciphers: [0x1302],
              serverName: nil, supportedVersions: [0x0304], extensionCount: 2),
]

@Suite("Frames from Captures/")
struct CaptureFrameTests {
    @Test("the pcap files load with the link types capinfos reports")
    func linkTypes() throws {
        #expect(LoadedCaptures.files.count == LoadedCaptures.names.count)
        #expect(try LoadedCaptures.decoder("vlan-4122.pcap").linkType == .ethernet)
        #expect(try LoadedCaptures.decoder("sll2-any-4119.pcap").linkType == .linuxSLL2)
        #expect(LoadedCaptures.files["vlan-4122.pcap"]?.records.count == 14)
        #expect(LoadedCaptures.files["ipv6-4118.pcap"]?.records.count == 28)
        // Nanosecond pcap (magic a1b23c4d): tshark's frame.time_epoch 1795917759.319825061.
        #expect(LoadedCaptures.files["ds-heartbeat-4120.pcap"]?.records.first?.timestampNanos == 1_795_917_759_319_825_061)
        // Microsecond pcap: tshark's frame.time_epoch 1795917774.413532000.
        #expect(LoadedCaptures.files["vlan-4122.pcap"]?.records.first?.timestampNanos == 1_795_917_774_413_532_000)
    }

    @Test("each frame decodes to what tshark shows", arguments: tsharkFrameFacts)
    func frameMatchesTshark(_ fact: CaptureFrameFact) throws {
        let record = try LoadedCaptures.frame(fact.file, fact.number)
        let decoder = try LoadedCaptures.decoder(fact.file)
        guard case .segment(let segment) = decoder.decode(record.bytes.span.bytes) else {
            Issue.record("\(fact.testDescription) did not decode to a TCP segment")
            return
        }
        #expect(segment.source.description == fact.source)
        #expect(segment.destination.description == fact.destination)
        #expect(segment.source == IPAddress(fact.source))
        #expect(segment.isIPv6 == fact.source.contains(":"))
        #expect(segment.sourcePort == fact.sourcePort)
        #expect(segment.destinationPort == fact.destinationPort)
        #expect(segment.sequence == fact.sequence)
        #expect(segment.flags.rawValue == fact.flags & 0x1f)
        #expect(segment.payload.count == fact.payloadLength)
        #expect(segment.payload.upperBound <= record.bytes.count)
        #expect(!segment.payloadCut)
        #expect(segment.encapsulation.isEmpty)
        if fact.vlan == 0 {
            #expect(segment.vlans.count == 0)
            #expect(segment.vlans.flowID == 0)
        } else {
            #expect(segment.vlans.count == 1)
            #expect(segment.vlans.outer == fact.vlan)
            #expect(segment.vlans.flowID == fact.vlan)
        }
    }

    @Test("hellos in those frames read as tshark reads them", arguments: tsharkHelloFacts)
    func helloMatchesTshark(_ fact: HelloFact) throws {
        let record = try LoadedCaptures.frame(fact.file, fact.frame)
        let bytes = record.bytes
        let span = bytes.span.bytes
        guard case .segment(let segment) = try LoadedCaptures.decoder(fact.file).decode(span) else {
            Issue.record("no segment")
            return
        }
        // Each of these hellos fits its segment; the scanner works on the payload alone.
        let payload = Array(bytes[segment.payload])
        let payloadSpan = payload.span.bytes
        let event = HandshakeScanner(limit: 16_384).scan(payloadSpan, from: 0, isStreamStart: true)
        if fact.isClient {
            guard case .clientHello(let body, _) = event else {
                Issue.record("expected a ClientHello, got \(event)")
                return
            }
            let hello = try ClientHello(decoding: payloadSpan, body: body)
            #expect(hello.legacyVersion.rawValue == fact.legacyVersion)
            #expect(words(payload, hello.cipherSuites) == fact.ciphers)
            #expect(hello.extensions.count == fact.extensionCount)
            #expect(hello.extensions.malformedExtensions == 0)
            #expect(hello.extensions.serverName.map { String(decoding: payload[$0], as: UTF8.self) } == fact.serverName)
            #expect(hello.extensions.supportedVersions.map { words(payload, $0) } ?? [] == fact.supportedVersions)
            let offer = hello.offeredVersions(payloadSpan)
            #expect(offer.versions.map(\.rawValue) == (fact.supportedVersions.isEmpty ? [fact.legacyVersion] : fact.supportedVersions))
        } else {
            guard case .serverHello(let body, let resumeAt) = event else {
                Issue.record("expected a ServerHello, got \(event)")
                return
            }
            #expect(resumeAt <= payload.count)
            let hello = try ServerHello(decoding: payloadSpan, body: body)
            #expect(hello.legacyVersion.rawValue == fact.legacyVersion)
            #expect([hello.cipherSuite.rawValue] == fact.ciphers)
            #expect(hello.extensions.count == fact.extensionCount)
            #expect(hello.selectedVersion.map { [$0.rawValue] } ?? [] == fact.supportedVersions)
            #expect(!hello.isHelloRetryRequest)
        }
    }

    @Test("decoding a frame in place: the payload range indexes the frame, not a copy")
    func payloadIsInPlace() throws {
        // vlan-4122.pcap frame 4: 14 Ethernet + 4 802.1Q + 20 IPv4 + 32 TCP (timestamps) = 70.
        let record = try LoadedCaptures.frame("vlan-4122.pcap", 4)
        guard case .segment(let segment) = FrameDecoder(linkType: .ethernet).decode(record.bytes.span.bytes) else {
            Issue.record("no segment")
            return
        }
        #expect(segment.payload == 70 ..< 258)
        #expect(record.bytes[70] == 0x16)   // the handshake record starts there
    }
}
