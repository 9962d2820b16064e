import Testing
@testable import HelloWire
import FrameTestSupport

// `FrameDecoder.decode` takes the commonest Ethernet frames (at most one VLAN tag, IPv4 without
// options or IPv6 without extension headers, then TCP) in one straight pass, and every other
// frame through the layers. The two must agree on every frame: here on frames of each shape
// the straight pass takes or declines, on every prefix of each, and on random rewrites
// (xorshift64*, fixed seed) of the header bytes where the pass decides.

/// What a decoded frame says, for comparing two decodes.
private func said(_ outcome: FrameOutcome) -> String {
    switch outcome {
    case .skipped(let reason):
        return "skipped \(reason)"
    case .segment(let s):
        return "\(s.source) \(s.destination) \(s.sourcePort) \(s.destinationPort) \(s.sequence) \(s.flags.rawValue) "
            + "\(s.payload) cut \(s.payloadCut) v6 \(s.isIPv6) vlans \(s.vlans.count) \(s.vlans.outer) \(s.vlans.inner) "
            + "encap \(s.encapsulation.rawValue)"
    }
}

/// `decode(_:storingAt:)`'s outcome, read back from a cache line that held other bytes before.
private func stored(_ decoder: FrameDecoder, _ frame: [UInt8]) -> FrameOutcome {
    let line = UnsafeMutableRawPointer.allocate(byteCount: 64, alignment: 64)
    defer { line.deallocate() }
    line.initializeMemory(as: UInt8.self, repeating: 0xa5, count: 64)
    decoder.decode(frame.span.bytes, storingAt: line)
    return line.load(as: FrameOutcome.self)
}

private let payload: [UInt8] = Array(repeating: 0x16, count: 30)
private let tcp = FrameBuilder.tcp(40_000, 4119, sequence: 7, flags: 0x18, payload)

/// Frames of every shape near the straight pass's: the ones it takes and the ones it must leave.
private let shapes: [(name: String, frame: [UInt8])] = [
    ("IPv4", FrameBuilder.ethernet(0x0800, FrameBuilder.ipv4("10.0.0.1", "10.0.0.2", protocol: 6, tcp))),
    ("IPv4, don't fragment", {
        var frame = FrameBuilder.ethernet(0x0800, FrameBuilder.ipv4("10.0.0.1", "10.0.0.2", protocol: 6, tcp))
        frame[20] |= 0x40
        return frame
    }()),
    ("IPv4, first fragment", FrameBuilder.ethernet(0x0800, FrameBuilder.ipv4("10.0.0.1", "10.0.0.2", protocol: 6, tcp, moreFragments: true))),
    ("IPv4, later fragment", FrameBuilder.ethernet(0x0800, FrameBuilder.ipv4("10.0.0.1", "10.0.0.2", protocol: 6, tcp, fragmentOffset: 64))),
    ("IPv4 with options", FrameBuilder.ethernet(0x0800, FrameBuilder.ipv4("10.0.0.1", "10.0.0.2", protocol: 6, tcp, options: [1, 1, 1, 0]))),
    ("IPv4, Ethernet padding", FrameBuilder.ethernet(0x0800, FrameBuilder.ipv4("10.0.0.1", "10.0.0.2", protocol: 6,
                                                                                FrameBuilder.tcp(1, 2, sequence: 3, flags: 0x10))) + [0, 0, 0, 0, 0, 0]),
    ("IPv4, cut by the snap length", FrameBuilder.ethernet(0x0800, FrameBuilder.ipv4("10.0.0.1", "10.0.0.2", protocol: 6, tcp, totalLength: 400))),
    ("IPv4, TCP options", FrameBuilder.ethernet(0x0800, FrameBuilder.ipv4("10.0.0.1", "10.0.0.2", protocol: 6,
                                                                           FrameBuilder.tcp(1, 2, sequence: 3, flags: 0x18, payload, dataOffsetWords: 8)))),
    ("IPv4, UDP", FrameBuilder.ethernet(0x0800, FrameBuilder.ipv4("10.0.0.1", "10.0.0.2", protocol: 17, FrameBuilder.udp(1, 2, payload)))),
    ("802.1Q, IPv4", FrameBuilder.ethernet(0x0800, FrameBuilder.ipv4("10.0.0.1", "10.0.0.2", protocol: 6, tcp), tags: [(0x8100, 1022)])),
    ("802.1ad, IPv4", FrameBuilder.ethernet(0x0800, FrameBuilder.ipv4("10.0.0.1", "10.0.0.2", protocol: 6, tcp), tags: [(0x88a8, 7)])),
    ("QinQ, IPv4", FrameBuilder.ethernet(0x0800, FrameBuilder.ipv4("10.0.0.1", "10.0.0.2", protocol: 6, tcp), tags: [(0x88a8, 7), (0x8100, 100)])),
    ("IPv6", FrameBuilder.ethernet(0x86dd, FrameBuilder.ipv6("2001:db8::1", "2001:db8::2", nextHeader: 6, tcp))),
    ("802.1Q, IPv6", FrameBuilder.ethernet(0x86dd, FrameBuilder.ipv6("2001:db8::1", "2001:db8::2", nextHeader: 6, tcp), tags: [(0x8100, 10)])),
    ("IPv6, hop-by-hop options", FrameBuilder.ethernet(0x86dd, FrameBuilder.ipv6("2001:db8::1", "2001:db8::2", nextHeader: 0,
                                                                                  [6, 0, 1, 4, 0, 0, 0, 0] + tcp))),
    ("IPv6, jumbogram length", {
        var frame = FrameBuilder.ethernet(0x86dd, FrameBuilder.ipv6("2001:db8::1", "2001:db8::2", nextHeader: 6, tcp))
        (frame[18], frame[19]) = (0, 0)
        return frame
    }()),
    ("IPv4 in GRE", FrameBuilder.ethernet(0x0800, FrameBuilder.ipv4("10.9.0.1", "10.9.0.2", protocol: 47,
        FrameBuilder.gre(protocolType: 0x0800, FrameBuilder.ipv4("10.0.0.1", "10.0.0.2", protocol: 6, tcp))))),
]

@Suite("Straight pass for the commonest frames")
struct StraightPassTests {
    let decoder = FrameDecoder(linkType: .ethernet)

    @Test("each shape, and every prefix of it, decodes as through the layers")
    func shapesAndPrefixes() {
        for (name, frame) in shapes {
            for length in 0 ... frame.count {
                let prefix = Array(frame.prefix(length))
                let straight = said(decoder.decode(prefix.span.bytes))
                let layered = said(decoder.decodeInLayers(prefix.span.bytes))
                #expect(straight == layered, "\(name), first \(length) bytes")
                #expect(said(stored(decoder, prefix)) == straight, "\(name), first \(length) bytes, stored in place")
            }
        }
    }

    @Test("the shapes the straight pass takes give the segment the frame holds")
    func segmentsOfPlainShapes() throws {
        for (name, frame) in shapes where ["IPv4", "802.1Q, IPv4", "IPv6", "802.1Q, IPv6"].contains(name) {
            guard case .segment(let segment) = decoder.decode(frame.span.bytes) else {
                Issue.record("\(name): no segment")
                continue
            }
            #expect(segment.sourcePort == 40_000 && segment.destinationPort == 4119 && segment.sequence == 7, "\(name)")
            #expect(segment.flags == [.psh, .ack], "\(name)")
            #expect(Array(frame[segment.payload]) == payload, "\(name)")
            #expect(segment.isIPv6 == name.hasSuffix("IPv6"), "\(name)")
            #expect(segment.vlans.flowID == (name == "802.1Q, IPv4" ? 1022 : name == "802.1Q, IPv6" ? 10 : 0), "\(name)")
        }
    }

    @Test("stored in place, a decoded segment keeps its flow's placement")
    func storedPlacement() {
        let placing = FrameDecoder(linkType: .ethernet, placing: FlowHash(words: (0x1234_5678_9abc_def0, 3, 5, 7, 11)))
        for (name, frame) in shapes {
            let returned = placing.decode(frame.span.bytes)
            let inPlace = stored(placing, frame)
            #expect(said(inPlace) == said(returned), "\(name)")
            if case .segment(let a) = returned, case .segment(let b) = inPlace {
                #expect(a.flowPlacement == b.flowPlacement, "\(name)")
                #expect(a.isBare || a.flowPlacement != 0, "\(name): placed")
            }
        }
    }

    @Test("random rewrites of the header bytes decode as through the layers")
    func rewrittenHeaders() {
        var random = XorShift(seed: 0x5eed_5eed)
        // Values that steer the pass: EtherTypes' and tags' bytes, versions and lengths, TCP.
        let steering: [UInt8] = [0x00, 0x01, 0x05, 0x06, 0x08, 0x11, 0x20, 0x3f, 0x40, 0x45, 0x46, 0x4f,
                                 0x50, 0x60, 0x81, 0x86, 0x88, 0x91, 0xa8, 0xbf, 0xdd, 0xf0, 0xff]
        for (name, frame) in shapes {
            for round in 0 ..< 2_000 {
                var rewritten = frame
                for _ in 0 ..< 1 + random.below(3) {
                    let at = random.below(min(rewritten.count, 80))
                    rewritten[at] = random.below(4) == 0 ? UInt8(truncatingIfNeeded: random.next()) : steering[random.below(steering.count)]
                }
                if random.below(4) == 0 { rewritten = Array(rewritten.prefix(random.below(rewritten.count + 1))) }
                let straight = said(decoder.decode(rewritten.span.bytes))
                let layered = said(decoder.decodeInLayers(rewritten.span.bytes))
                #expect(straight == layered, "\(name), rewrite \(round): \(rewritten.prefix(80).map { String($0, radix: 16) })")
                #expect(said(stored(decoder, rewritten)) == straight, "\(name), rewrite \(round), stored in place")
            }
        }
    }
}
