import Testing
import HelloWire
import FrameTestSupport

// Hostile input made from valid bytes: every prefix of the RFC 8448 §3 ClientHello, and
// random byte flips (xorshift64*, fixed seeds) of that record and of an Ethernet frame
// from Captures/vlan-4122.pcap (frame 4, the ClientHello). Nothing may trap, and every
// range a decoder returns must lie inside the bytes it was given.

/// Whether `range` lies inside `bounds`.
private func inside(_ range: Range<Int>?, _ bounds: Range<Int>) -> Bool {
    // An empty range (an absent field's default) indexes nothing.
    guard let range, !range.isEmpty else { return true }
    return range.lowerBound >= bounds.lowerBound && range.upperBound <= bounds.upperBound
}

/// Every range a ClientHello hands out, for the containment checks.
private func ranges(_ hello: ClientHello) -> [Range<Int>?] {
    let e = hello.extensions
    return [hello.random, hello.sessionID, hello.cipherSuites, hello.compressionMethods, e.all, e.serverName,
            e.supportedVersions, e.supportedGroups, e.signatureAlgorithms, e.applicationProtocols, e.keyShare, e.ecPointFormats]
}

private func ranges(_ hello: ServerHello) -> [Range<Int>?] {
    let e = hello.extensions
    return [hello.random, hello.sessionID, e.all, e.supportedVersions, e.keyShare, e.applicationProtocols]
}

/// Scans `bytes` and decodes whatever hello comes out, checking every range; returns the event.
@discardableResult
private func scanAndDecode(_ bytes: [UInt8], sourceLocation: SourceLocation = #_sourceLocation) -> StreamEvent {
    let span = bytes.span.bytes
    let whole = 0 ..< bytes.count
    let scanner = HandshakeScanner(limit: 16_384)
    let event = scanner.scan(span, from: 0, isStreamStart: true)
    switch event {
    case .clientHello(let body, _):
        #expect(inside(body, whole), sourceLocation: sourceLocation)
        if let hello = try? ClientHello(decoding: span, body: body) {
            for range in ranges(hello) { #expect(inside(range, body), sourceLocation: sourceLocation) }
            let offer = hello.offeredVersions(span)
            #expect(offer.stored <= OfferedVersions.capacity, sourceLocation: sourceLocation)
        }
    case .serverHello(let body, _):
        #expect(inside(body, whole), sourceLocation: sourceLocation)
        if let hello = try? ServerHello(decoding: span, body: body) {
            for range in ranges(hello) { #expect(inside(range, body), sourceLocation: sourceLocation) }
        }
    case .sslv2ClientHello(let message, _):
        #expect(inside(message, whole), sourceLocation: sourceLocation)
        if let hello = try? ClientHello(decodingSSLv2: span, message: message) {
            for range in ranges(hello) { #expect(inside(range, message), sourceLocation: sourceLocation) }
        }
    case .sslv2ServerHello(let message, _):
        #expect(inside(message, whole), sourceLocation: sourceLocation)
        if let hello = try? ServerHello(decodingSSLv2: span, message: message) {
            for range in ranges(hello) { #expect(inside(range, message), sourceLocation: sourceLocation) }
        }
    case .helloSpansRecords(let first):
        #expect(whole.contains(first), sourceLocation: sourceLocation)
        let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: 16_384, alignment: 1)
        defer { scratch.deallocate() }
        if case .complete(let length, _) = scanner.gather(span, firstRecord: first, into: scratch) {
            #expect(length >= 4 && length <= scratch.count, sourceLocation: sourceLocation)
        }
    case .needMore(let from):
        #expect(from >= 0 && from <= bytes.count, sourceLocation: sourceLocation)
    case .alert, .midstream, .helloTooLarge, .notTLS:
        break
    }
    return event
}

@Suite("Prefixes and byte flips")
struct RobustnessTests {
    @Test("every proper prefix of a ClientHello record makes the scanner wait, never a hello")
    func scannerPrefixes() {
        let record = RFC8448.clientHelloRecord
        let scanner = HandshakeScanner(limit: 16_384)
        for length in 0 ..< record.count {
            let prefix = Array(record[..<length])
            let event = scanner.scan(prefix.span.bytes, from: 0, isStreamStart: true)
            #expect(event == .needMore(from: 0), "prefix of \(length) bytes")
        }
        // And from an offset: the same record after 3 bytes of an earlier record's tail.
        let shifted: [UInt8] = [0xaa, 0xbb, 0xcc] + record
        for length in 3 ..< shifted.count {
            let event = scanner.scan(Array(shifted[..<length]).span.bytes, from: 3, isStreamStart: false)
            #expect(event == .needMore(from: 3), "prefix of \(length) bytes from offset 3")
        }
    }

    @Test("every proper prefix of a ServerHello record makes the scanner wait")
    func serverPrefixes() {
        let record = RFC8448.serverHelloRecord
        for length in 0 ..< record.count {
            let event = HandshakeScanner(limit: 16_384).scan(Array(record[..<length]).span.bytes, from: 0, isStreamStart: true)
            #expect(event == .needMore(from: 0), "prefix of \(length) bytes")
        }
    }

    @Test("every shortened ClientHello body is malformed, except the one ending after compression_methods")
    func clientHelloBodyPrefixes() throws {
        let message = RFC8448.clientHello
        let body = Array(message[4...])
        // Up to and including compression_methods: version 2 + random 32 + session id 1
        // + suites 2+6 + compression 1+1 = 45 bytes. A body ending there is a complete
        // hello without extensions (RFC 5246 §7.4.1.2), so it must decode; every other
        // cut leaves a vector whose length says more bytes follow.
        let withoutExtensions = 45
        for length in 0 ..< body.count {
            let prefix = Array(body[..<length])
            let span = prefix.span.bytes
            if length == withoutExtensions {
                let hello = try ClientHello(decoding: span, body: 0 ..< length)
                #expect(hello.extensions.count == 0)
                #expect(hello.offeredVersions(span).versions == [.tls12])
                continue
            }
            let error = #expect(throws: DecodeError.self, "body of \(length) bytes") {
                _ = try ClientHello(decoding: span, body: 0 ..< length)
            }
            // The outer length said the message was complete: a shortfall is `malformed`.
            if case .malformed(let at, _)? = error {
                #expect(at >= 0 && at <= length)
            } else {
                Issue.record("body of \(length) bytes: \(String(describing: error)), not malformed")
            }
        }
    }

    @Test("every shortened ServerHello body is malformed, except the one ending after compression_method")
    func serverHelloBodyPrefixes() throws {
        let body = Array(RFC8448.serverHello[4...])
        let withoutExtensions = 2 + 32 + 1 + 2 + 1
        for length in 0 ..< body.count {
            let prefix = Array(body[..<length])
            let span = prefix.span.bytes
            if length == withoutExtensions {
                #expect(try ServerHello(decoding: span, body: 0 ..< length).selectedVersion == nil)
                continue
            }
            #expect(throws: DecodeError.self, "body of \(length) bytes") {
                _ = try ServerHello(decoding: span, body: 0 ..< length)
            }
        }
    }

    @Test("every prefix of a real Ethernet frame decodes or is skipped, with the payload inside")
    func framePrefixes() throws {
        let frame = try LoadedCaptures.frame("vlan-4122.pcap", 4).bytes
        for length in 0 ... frame.count {
            let prefix = Array(frame[..<length])
            switch FrameDecoder(linkType: .ethernet).decode(prefix.span.bytes) {
            case .segment(let segment):
                #expect(inside(segment.payload, 0 ..< length))
                #expect(segment.payloadCut == (length < frame.count))
                #expect(length >= 70)
            case .skipped(let reason):
                #expect(reason == .truncated, "prefix \(length)")
                #expect(length < 70)
            }
        }
    }

    @Test("5000 random byte flips of the RFC 8448 ClientHello record: no trap, ranges inside")
    func flipClientHello() {
        var random = XorShift(seed: 0x8448_0003)
        let original = RFC8448.clientHelloRecord
        var sawHello = 0
        for _ in 0 ..< 5000 {
            var bytes = original
            for _ in 0 ... random.below(4) {
                bytes[random.below(bytes.count)] ^= UInt8(1 + random.below(255))
            }
            if case .clientHello = scanAndDecode(bytes) { sawHello += 1 }
        }
        // Most flips land in the random, key share or lists: the hello still frames.
        #expect(sawHello > 1000)
    }

    @Test("5000 random byte flips of an SSLv2 hello and of a split record pair")
    func flipOtherShapes() {
        var random = XorShift(seed: 0x55_4c_32)
        let shapes = [SSLv2.clientHelloRecord, SSLv2.serverHelloRecord, SplitRecords.clientHelloInTwoRecords, RFC8448.helloRetryRecord]
        for index in 0 ..< 5000 {
            var bytes = shapes[index % shapes.count]
            for _ in 0 ... random.below(3) {
                bytes[random.below(bytes.count)] ^= UInt8(1 + random.below(255))
            }
            scanAndDecode(bytes)
        }
    }

    @Test("5000 random byte flips of a real Ethernet frame: no trap, payload inside the frame")
    func flipEthernetFrame() throws {
        let original = try LoadedCaptures.frame("vlan-4122.pcap", 4).bytes
        var random = XorShift(seed: 0x0213_4122)
        var segments = 0
        for iteration in 0 ..< 5000 {
            var bytes = original
            // Flips in the first 70 bytes (the headers) half the time, anywhere otherwise.
            let span = iteration % 2 == 0 ? 70 : bytes.count
            for _ in 0 ... random.below(4) {
                bytes[random.below(span)] ^= UInt8(1 + random.below(255))
            }
            if iteration % 3 == 0 { bytes.removeLast(random.below(bytes.count)) }
            for link in [LinkType.ethernet, .null, .linuxSLL, .linuxSLL2, .raw] {
                switch FrameDecoder(linkType: link).decode(bytes.span.bytes) {
                case .segment(let segment):
                    if link == .ethernet { segments += 1 }
                    #expect(inside(segment.payload, 0 ..< bytes.count))
                    if !segment.payload.isEmpty { scanAndDecode(Array(bytes[segment.payload])) }
                case .skipped:
                    break
                }
            }
        }
        #expect(segments > 500)
    }

    @Test("5000 random flips of tunnel frames (GRE/ERSPAN/VXLAN/GTP-U/MPLS): no trap")
    func flipTunnels() {
        let inner = FrameBuilder.tcpOverIPv4("192.0.2.1", 1, "192.0.2.2", 2, sequence: 1, RFC8448.clientHelloRecord)
        let innerIP = Array(inner[14...])
        func outer(_ proto: UInt8, _ payload: [UInt8]) -> [UInt8] {
            FrameBuilder.ethernet(0x0800, FrameBuilder.ipv4("203.0.113.1", "203.0.113.2", protocol: proto, payload))
        }
        let shapes: [[UInt8]] = [
            outer(47, FrameBuilder.gre(protocolType: 0x88be, sequence: 1, FrameBuilder.erspan2(sessionID: 1, inner))),
            outer(47, FrameBuilder.gre(protocolType: 0x22eb, sequence: 1, FrameBuilder.erspan3(sessionID: 1, platformSubHeader: true, inner))),
            outer(17, FrameBuilder.udp(1, 4789, FrameBuilder.vxlan(vni: 1, inner))),
            outer(17, FrameBuilder.udp(2152, 2152, FrameBuilder.gtpU(teid: 1, withExtension: true, innerIP))),
            FrameBuilder.ethernet(0x8847, FrameBuilder.mpls(labels: [1, 2], innerIP)),
            FrameBuilder.ethernet(0x86dd, FrameBuilder.ipv6("2001:db8::1", "2001:db8::2", nextHeader: 0,
                                                            [6, 0, 1, 4, 0, 0, 0, 0] + Array(innerIP[20...]))),
        ]
        var random = XorShift(seed: 0x7e_e7)
        for index in 0 ..< 5000 {
            var bytes = shapes[index % shapes.count]
            for _ in 0 ... random.below(3) {
                bytes[random.below(min(bytes.count, 120))] ^= UInt8(1 + random.below(255))
            }
            if case .segment(let segment) = FrameDecoder(linkType: .ethernet).decode(bytes.span.bytes) {
                #expect(inside(segment.payload, 0 ..< bytes.count))
            }
        }
    }
}
