import Testing
import HelloWire
import FrameTestSupport

// Hand-built frames (FrameBuilder.swift, each layer written from its RFC/draft diagram)
// for the tunnels and link types the decoder claims; the innermost TCP segment must come
// out with its own addresses, ports and payload.

private let innerPayload: [UInt8] = [0x16, 0x03, 0x01, 0x00, 0x01, 0xee]
private let innerTCP = FrameBuilder.tcp(40000, 4118, sequence: 0x0102_0304, acknowledgment: 9, flags: TCPFlag.psh | TCPFlag.ack, innerPayload)
private let innerIPv4 = FrameBuilder.ipv4("192.0.2.1", "198.51.100.2", protocol: 6, innerTCP)
private let innerIPv6 = FrameBuilder.ipv6("2001:db8::1", "2001:db8:0:1::2", nextHeader: 6, innerTCP)
private let innerEthernet = FrameBuilder.ethernet(0x0800, innerIPv4)

/// An outer IPv4 packet between two tunnel endpoints.
private func outer(_ proto: UInt8, _ payload: [UInt8]) -> [UInt8] {
    FrameBuilder.ethernet(0x0800, FrameBuilder.ipv4("203.0.113.1", "203.0.113.2", protocol: proto, payload))
}

private func decode(_ frame: [UInt8], _ link: LinkType = .ethernet) -> FrameOutcome {
    FrameDecoder(linkType: link).decode(frame.span.bytes)
}

/// Checks the segment is the inner one and returns it for layer-specific checks.
@discardableResult
private func expectInner(_ frame: [UInt8], _ link: LinkType = .ethernet, ipv6: Bool = false,
                         sourceLocation: SourceLocation = #_sourceLocation) -> TCPSegment? {
    guard case .segment(let segment) = decode(frame, link) else {
        Issue.record("no segment: \(decode(frame, link))", sourceLocation: sourceLocation)
        return nil
    }
    #expect(segment.source.description == (ipv6 ? "2001:db8::1" : "192.0.2.1"), sourceLocation: sourceLocation)
    #expect(segment.destination.description == (ipv6 ? "2001:db8:0:1::2" : "198.51.100.2"), sourceLocation: sourceLocation)
    #expect(segment.isIPv6 == ipv6, sourceLocation: sourceLocation)
    #expect(segment.sourcePort == 40000 && segment.destinationPort == 4118, sourceLocation: sourceLocation)
    #expect(segment.sequence == 0x0102_0304, sourceLocation: sourceLocation)
    #expect(segment.flags == [.psh, .ack], sourceLocation: sourceLocation)
    #expect(segment.payload.upperBound == frame.count, sourceLocation: sourceLocation)
    #expect(Array(frame[segment.payload]) == innerPayload, sourceLocation: sourceLocation)
    #expect(!segment.payloadCut, sourceLocation: sourceLocation)
    return segment
}

private func skipReason(_ outcome: FrameOutcome) -> FrameSkip? {
    if case .skipped(let reason) = outcome { return reason }
    return nil
}

@Suite("Encapsulations")
struct EncapsulationTests {
    @Test("plain Ethernet / IPv4 / TCP and Ethernet / IPv6 / TCP")
    func plain() {
        #expect(expectInner(innerEthernet)?.encapsulation == [])
        #expect(expectInner(FrameBuilder.ethernet(0x86dd, innerIPv6), ipv6: true)?.encapsulation == [])
    }

    @Test("802.1Q single tag, and QinQ (802.1ad 0x88a8 outer, 802.1Q inner)")
    func vlanTags() throws {
        let single = try #require(expectInner(FrameBuilder.ethernet(0x0800, innerIPv4, tags: [(0x8100, 213)])))
        #expect(single.vlans.count == 1 && single.vlans.outer == 213 && single.vlans.flowID == 213)
        let qinq = try #require(expectInner(FrameBuilder.ethernet(0x0800, innerIPv4, tags: [(0x88a8, 100), (0x8100, 213)])))
        #expect(qinq.vlans.count == 2)
        #expect(qinq.vlans.outer == 100)
        #expect(qinq.vlans.inner == 213)
        #expect(qinq.vlans.flowID == 213)   // the customer tag keys the flow
        #expect(qinq.encapsulation == [])
        // 12-bit ids: PCP and DEI bits in the TCI are not part of the id.
        var withPriority = FrameBuilder.ethernet(0x0800, innerIPv4, tags: [(0x8100, 5)])
        withPriority[14] |= 0xe0 | 0x10
        #expect(expectInner(withPriority)?.vlans.outer == 5)
    }

    @Test("MPLS with two labels (RFC 3032), bottom-of-stack on the second")
    func mpls() {
        let frame = FrameBuilder.ethernet(0x8847, FrameBuilder.mpls(labels: [16, 1_048_575], innerIPv4))
        #expect(expectInner(frame)?.encapsulation == [.mpls])
        let v6 = FrameBuilder.ethernet(0x8847, FrameBuilder.mpls(labels: [100, 200], innerIPv6))
        #expect(expectInner(v6, ipv6: true)?.encapsulation == [.mpls])
    }

    @Test("PPPoE session (RFC 2516) carrying IPv4 (PPP 0x0021) and IPv6 (0x0057)")
    func pppoe() {
        let v4 = FrameBuilder.ethernet(0x8864, FrameBuilder.pppoeSession(sessionID: 0x1234, pppProtocol: 0x0021, innerIPv4))
        #expect(expectInner(v4)?.encapsulation == [.pppoe])
        let v6 = FrameBuilder.ethernet(0x8864, FrameBuilder.pppoeSession(sessionID: 0x1234, pppProtocol: 0x0057, innerIPv6))
        #expect(expectInner(v6, ipv6: true)?.encapsulation == [.pppoe])
        // LCP (0xc021) carries no IP.
        let lcp = FrameBuilder.ethernet(0x8864, FrameBuilder.pppoeSession(sessionID: 1, pppProtocol: 0xc021, [1, 1, 0, 4]))
        #expect(skipReason(decode(lcp)) == .notIP)
    }

    @Test("IPv4-in-IPv4 (protocol 4) and 6in4 (protocol 41)")
    func ipInIP() {
        #expect(expectInner(outer(4, innerIPv4))?.encapsulation == [.ipInIP])
        #expect(expectInner(outer(41, innerIPv6), ipv6: true)?.encapsulation == [.sixIn4])
    }

    @Test("GRE with key and sequence number (RFC 2890) carrying IPv4, and plain GRE carrying IPv6")
    func gre() {
        let keyed = outer(47, FrameBuilder.gre(protocolType: 0x0800, key: 0xcafe_f00d, sequence: 77, innerIPv4))
        #expect(expectInner(keyed)?.encapsulation == [.gre])
        let plain = outer(47, FrameBuilder.gre(protocolType: 0x86dd, innerIPv6))
        #expect(expectInner(plain, ipv6: true)?.encapsulation == [.gre])
        let bridged = outer(47, FrameBuilder.gre(protocolType: 0x6558, key: 1, innerEthernet))
        #expect(expectInner(bridged)?.encapsulation == [.gre])
    }

    @Test("ERSPAN type II: GRE 0x88be with a sequence number, 8-byte header, then the mirrored frame")
    func erspan2() throws {
        let mirrored = FrameBuilder.ethernet(0x0800, innerIPv4, tags: [(0x8100, 42)])
        let frame = outer(47, FrameBuilder.gre(protocolType: 0x88be, sequence: 1, FrameBuilder.erspan2(sessionID: 5, mirrored)))
        let segment = try #require(expectInner(frame))
        #expect(segment.encapsulation == [.gre, .erspan2])
        #expect(segment.vlans.outer == 42)
    }

    @Test("ERSPAN type III: 12-byte header, with and without the 8-byte platform sub-header", arguments: [false, true])
    func erspan3(platform: Bool) {
        let frame = outer(47, FrameBuilder.gre(protocolType: 0x22eb, sequence: 9,
                                              FrameBuilder.erspan3(sessionID: 7, platformSubHeader: platform, innerEthernet)))
        #expect(expectInner(frame)?.encapsulation == [.gre, .erspan3])
    }

    @Test("VXLAN (RFC 7348) to UDP 4789")
    func vxlan() {
        let frame = outer(17, FrameBuilder.udp(51_234, 4789, FrameBuilder.vxlan(vni: 5001, innerEthernet)))
        #expect(expectInner(frame)?.encapsulation == [.vxlan])
        // Not port 4789: ordinary UDP, no TCP in it.
        let other = outer(17, FrameBuilder.udp(51_234, 4790, FrameBuilder.vxlan(vni: 5001, innerEthernet)))
        #expect(skipReason(decode(other)) == .notTCP)
    }

    @Test("GTP-U G-PDU to UDP 2152, with and without an extension header", arguments: [false, true])
    func gtpU(withExtension: Bool) {
        let frame = outer(17, FrameBuilder.udp(2152, 2152, FrameBuilder.gtpU(teid: 0x0000_abcd, withExtension: withExtension, innerIPv4)))
        #expect(expectInner(frame)?.encapsulation == [.gtpU])
        let v6 = outer(17, FrameBuilder.udp(2152, 2152, FrameBuilder.gtpU(teid: 1, withExtension: withExtension, innerIPv6)))
        #expect(expectInner(v6, ipv6: true)?.encapsulation == [.gtpU])
    }

    @Test("nested: VXLAN carrying QinQ carrying GRE carrying IPv4")
    func nested() throws {
        let tunnelled = FrameBuilder.ethernet(0x0800, FrameBuilder.ipv4("10.9.9.1", "10.9.9.2", protocol: 47,
                                                                         FrameBuilder.gre(protocolType: 0x0800, innerIPv4)),
                                              tags: [(0x88a8, 300), (0x8100, 301)])
        let segment = try #require(expectInner(outer(17, FrameBuilder.udp(1, 4789, FrameBuilder.vxlan(vni: 1, tunnelled)))))
        #expect(segment.encapsulation == [.vxlan, .gre])
        #expect(segment.vlans.flowID == 301)
    }

    @Test("BSD NULL link: host-order family 2 (IPv4), 24 and 30 (IPv6 on BSDs and Darwin); LOOP in network order")
    func nullLink() {
        #expect(expectInner([2, 0, 0, 0] + innerIPv4, .null) != nil)
        #expect(expectInner([24, 0, 0, 0] + innerIPv6, .null, ipv6: true) != nil)
        #expect(expectInner([30, 0, 0, 0] + innerIPv6, .null, ipv6: true) != nil)
        #expect(expectInner([0, 0, 0, 2] + innerIPv4, .loop) != nil)
        #expect(skipReason(decode([7, 0, 0, 0] + innerIPv4, .null)) == .notIP)
        #expect(skipReason(decode([2, 0], .null)) == .truncated)
    }

    @Test("raw IP link types", arguments: [LinkType.raw, .rawOpenBSD, .rawIPv4])
    func rawIPv4(link: LinkType) {
        #expect(expectInner(innerIPv4, link) != nil)
    }

    @Test("raw IPv6 and Linux SLL (v1)")
    func rawIPv6AndSLL() {
        #expect(expectInner(innerIPv6, .rawIPv6, ipv6: true) != nil)
        // SLL v1: packet type, ARPHRD, address length, 8 address bytes, protocol (tcpdump's LINKTYPE_LINUX_SLL).
        let sll: [UInt8] = [0, 0, 0, 1, 0, 6] + FrameBuilder.clientMAC + [0, 0] + be16(0x0800)
        #expect(expectInner(sll + innerIPv4, .linuxSLL) != nil)
        #expect(skipReason(decode(innerIPv4, LinkType(rawValue: 147))) == .notIP)
    }

    @Test("IPv4 fragments: a later fragment is skipped, a first fragment (MF set) decodes")
    func fragments() {
        let later = FrameBuilder.ethernet(0x0800, FrameBuilder.ipv4("192.0.2.1", "198.51.100.2", protocol: 6,
                                                                   [UInt8](repeating: 0xab, count: 40), fragmentOffset: 1480))
        #expect(skipReason(decode(later)) == .laterFragment)
        let laterLast = FrameBuilder.ethernet(0x0800, FrameBuilder.ipv4("192.0.2.1", "198.51.100.2", protocol: 6,
                                                                       innerTCP, fragmentOffset: 8, moreFragments: false))
        #expect(skipReason(decode(laterLast)) == .laterFragment)
        let first = FrameBuilder.ethernet(0x0800, FrameBuilder.ipv4("192.0.2.1", "198.51.100.2", protocol: 6,
                                                                   innerTCP, moreFragments: true))
        #expect(expectInner(first) != nil)
    }

    @Test("IPv6 extension headers (hop-by-hop, destination options) before TCP; a later IPv6 fragment is skipped")
    func ipv6Extensions() {
        let hopByHop: [UInt8] = [60, 0, 1, 4, 0, 0, 0, 0]          // next: destination options; PadN
        let destination: [UInt8] = [6, 0, 1, 4, 0, 0, 0, 0]        // next: TCP
        let packet = FrameBuilder.ipv6("2001:db8::1", "2001:db8:0:1::2", nextHeader: 0, hopByHop + destination + innerTCP)
        #expect(expectInner(FrameBuilder.ethernet(0x86dd, packet), ipv6: true) != nil)
        let laterFragment: [UInt8] = [6, 0] + be16(185 << 3) + be32(0x1111)  // offset 185×8, M=0
        let fragment = FrameBuilder.ipv6("2001:db8::1", "2001:db8:0:1::2", nextHeader: 44, laterFragment + [1, 2, 3, 4])
        #expect(skipReason(decode(FrameBuilder.ethernet(0x86dd, fragment))) == .laterFragment)
        let firstFragment: [UInt8] = [6, 0] + be16(0x0001) + be32(0x1111)     // offset 0, M=1
        let first = FrameBuilder.ipv6("2001:db8::1", "2001:db8:0:1::2", nextHeader: 44, firstFragment + innerTCP)
        #expect(expectInner(FrameBuilder.ethernet(0x86dd, first), ipv6: true) != nil)
    }

    @Test("TCP data offset below 5 words is malformed", arguments: [UInt8(0), 1, 4])
    func tcpDataOffset(words: UInt8) {
        let frame = FrameBuilder.ethernet(0x0800, FrameBuilder.ipv4("192.0.2.1", "198.51.100.2", protocol: 6,
            FrameBuilder.tcp(1, 2, sequence: 0, flags: TCPFlag.ack, innerPayload, dataOffsetWords: words)))
        #expect(skipReason(decode(frame)) == .malformed)
    }

    @Test("TCP options are skipped by the data offset")
    func tcpOptions() throws {
        let frame = FrameBuilder.ethernet(0x0800, FrameBuilder.ipv4("192.0.2.1", "198.51.100.2", protocol: 6,
            FrameBuilder.tcp(40000, 4118, sequence: 0x0102_0304, acknowledgment: 9, flags: TCPFlag.psh | TCPFlag.ack,
                             innerPayload, dataOffsetWords: 8)))
        #expect(expectInner(frame)?.payload.lowerBound == 14 + 20 + 32)
    }

    @Test("a data offset past the IP length is malformed when nothing was cut")
    func tcpHeaderPastPacket() {
        let frame = FrameBuilder.ethernet(0x0800, FrameBuilder.ipv4("192.0.2.1", "198.51.100.2", protocol: 6,
            FrameBuilder.tcp(1, 2, sequence: 0, flags: TCPFlag.ack, [], dataOffsetWords: 5) + [], totalLength: 40))
        var lying = frame
        lying[14 + 20 + 12] = 15 << 4   // claims 60 bytes of header in a 20-byte TCP segment
        #expect(skipReason(decode(lying)) == .malformed)
    }

    @Test("snap length: a cut payload is flagged, a cut header is truncated")
    func snapLength() throws {
        let payload = [UInt8](repeating: 0x42, count: 400)
        let full = FrameBuilder.tcpOverIPv4("192.0.2.1", 40000, "198.51.100.2", 4118, sequence: 1, payload)
        // Cut inside the payload: the layers come back, with what was captured.
        let cut = Array(full[..<(14 + 20 + 20 + 100)])
        guard case .segment(let segment) = decode(cut) else {
            Issue.record("a frame cut in its payload must still decode")
            return
        }
        #expect(segment.payloadCut)
        #expect(segment.payload == 54 ..< 154)
        #expect(segment.destinationPort == 4118)
        // Cut inside the TCP header, inside the IPv4 header, inside Ethernet.
        #expect(skipReason(decode(Array(full[..<(14 + 20 + 10)]))) == .truncated)
        #expect(skipReason(decode(Array(full[..<(14 + 10)]))) == .truncated)
        #expect(skipReason(decode(Array(full[..<10]))) == .truncated)
        #expect(skipReason(decode([])) == .truncated)
        // Inside a tunnel too.
        let tunnelled = outer(47, FrameBuilder.gre(protocolType: 0x0800, key: 1, innerIPv4 + payload))
        guard case .segment(let inner) = decode(Array(tunnelled[..<(tunnelled.count - 300)])) else {
            Issue.record("a tunnelled frame cut in its payload must still decode")
            return
        }
        #expect(inner.payloadCut)
    }

    @Test("Ethernet padding after a short packet is not payload")
    func ethernetPadding() throws {
        let ack = FrameBuilder.tcpOverIPv4("192.0.2.1", 40000, "198.51.100.2", 4118, sequence: 1, flags: TCPFlag.ack)
        #expect(ack.count == 54)
        let padded = ack + [0, 0, 0, 0, 0, 0]   // to the 60-byte minimum
        guard case .segment(let segment) = decode(padded) else {
            Issue.record("no segment")
            return
        }
        #expect(segment.payload.isEmpty)
        #expect(!segment.payloadCut)
    }

    @Test("not IP, not TCP, and tunnels nested past the layer bound")
    func skips() {
        #expect(skipReason(decode(FrameBuilder.ethernet(0x0806, [UInt8](repeating: 0, count: 28)))) == .notIP)   // ARP
        let udp = FrameBuilder.ethernet(0x0800, FrameBuilder.ipv4("192.0.2.1", "198.51.100.2", protocol: 17,
                                                                 FrameBuilder.udp(53, 53, [0, 0, 0, 0])))
        #expect(skipReason(decode(udp)) == .notTCP)
        let icmp = FrameBuilder.ethernet(0x0800, FrameBuilder.ipv4("192.0.2.1", "198.51.100.2", protocol: 1, [8, 0, 0, 0]))
        #expect(skipReason(decode(icmp)) == .notTCP)
        var packet = innerIPv4
        for _ in 0 ..< FrameDecoder.maximumLayers + 2 {
            packet = FrameBuilder.ipv4("203.0.113.1", "203.0.113.2", protocol: 4, packet)
        }
        #expect(skipReason(decode(FrameBuilder.ethernet(0x0800, packet))) == .tooDeep)
        // A bad IHL and a version that is not 4 inside an IPv4 EtherType are malformed.
        var badIHL = innerEthernet
        badIHL[14] = 0x44
        #expect(skipReason(decode(badIHL)) == .malformed)
        var badVersion = innerEthernet
        badVersion[14] = 0x65
        #expect(skipReason(decode(badVersion)) == .malformed)
    }
}
