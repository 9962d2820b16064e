/// Decodes one captured frame from its link layer down to the innermost TCP header:
/// Ethernet with 802.1Q/802.1ad tags, Linux SLL/SLL2, BSD NULL/LOOP, raw IP; then MPLS,
/// PPPoE, IPv4/IPv6 (with extension headers), IP-in-IP, 6in4, GRE, ERSPAN I–III, VXLAN
/// and GTP-U. Reads the frame in place and allocates nothing. Does not reassemble IP
/// fragments (a first fragment is decoded as far as it goes, later ones are skipped).
public struct FrameDecoder: Sendable {
    public let linkType: LinkType
    /// Bounds the tunnel nesting a hostile frame can make us walk.
    public static let maximumLayers = 16

    public static let vxlanPort: UInt16 = 4789
    public static let gtpUserPort: UInt16 = 2152

    /// Places each segment's flow (`TCPSegment.flowPlacement`, for all but bare ones) as it
    /// is decoded; nil: no placement.
    public let flowHash: FlowHash?

    public init(linkType: LinkType, placing flowHash: FlowHash? = nil) {
        self.linkType = linkType
        self.flowHash = flowHash
    }

    @inline(__always)
    private func place(_ segment: inout TCPSegment) {
        if let flowHash, !segment.isBare { segment.flowPlacement = flowHash.placement(of: segment) }
    }

    private enum Layer {
        case ethernet(Int)
        case etherType(UInt16, Int)
        case ipByVersion(Int)
        case ipv4(Int)
        case ipv6(Int)
        case skipped(FrameSkip)
    }

    /// `decode`, its outcome stored at `destination` (aligned for a `FrameOutcome`, as a
    /// pipelined reader's ring line is) by this call. Returned instead, the outcome came back
    /// through a 64-byte temporary on the caller's stack, written field by field and copied in
    /// 16-byte loads, which cannot take their bytes from those narrower stores still in flight
    /// and wait for them to reach the cache, behind the stores into the ring's lines: perf put
    /// 88 % of that closure's samples on the first of them. Where the host puts the reader's
    /// and the tracker's CPUs far apart, those stores wait on the other CPU, and this call took
    /// 0.06 s off an imix run (16 of 16 pairs) and 0.03 s off a handshake run (18 of 24).
    public func decode(_ frame: borrowing RawSpan, storingAt destination: UnsafeMutableRawPointer) {
        destination.storeBytes(of: decode(frame), as: FrameOutcome.self)
    }

    @inline(__always)
    public func decode(_ frame: borrowing RawSpan) -> FrameOutcome {
        if linkType == .ethernet, var segment = Self.plainEthernetTCP(frame) {
            place(&segment)
            return .segment(segment)
        }
        return decodeInLayers(frame)
    }

    /// `decode` without its straight pass for the commonest frames (`plainEthernetTCP`), which
    /// must agree with this on every frame (the tests hold them to it).
    func decodeInLayers(_ frame: borrowing RawSpan) -> FrameOutcome {
        var segment = TCPSegment()
        // The end of the innermost header's claimed extent; trailing Ethernet padding and
        // tunnel trailers lie beyond it.
        var end = frame.byteCount
        // Most frames on most links: untagged Ethernet, then IPv4. Straight to the same
        // IPv4 and TCP steps the walk below would reach, without the walk.
        if linkType == .ethernet, end >= 34, frame.loadUInt16(12) == 0x0800 {
            switch decodeIPv4(at: 14, end: &end, frame, &segment) {
            case .tcp(let tcpStart): return decodeTCP(at: tcpStart, end: end, frame, &segment)
            case .next(let next): return walk(from: next, end: end, frame, &segment)
            }
        }
        return walk(from: firstLayer(frame), end: end, frame, &segment)
    }

    /// The commonest frames of all, Ethernet with at most one VLAN tag, then an IPv4 header
    /// without options that is not a fragment or an IPv6 header without extension headers,
    /// then TCP, decoded in one straight pass: the same segment `walk` makes of them, from a
    /// bounds check per layer instead of one per field and without the layers' enums in
    /// between (callgrind: 223 instructions a packet through `decodeIPv4` and `decodeTCP`).
    /// Nil for any other frame, or one whose lengths disagree, which the general path decodes.
    @inline(__always)
    private static func plainEthernetTCP(_ frame: borrowing RawSpan) -> TCPSegment? {
        let capturedEnd = frame.byteCount
        // The shortest: Ethernet, IPv4 and TCP headers.
        guard capturedEnd >= 54 else { return nil }
        return frame.withUnsafeBytes { bytes -> TCPSegment? in
            @inline(__always) func load16(_ offset: Int) -> UInt16 { UInt16(bigEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt16.self)) }
            @inline(__always) func load32(_ offset: Int) -> UInt32 { UInt32(bigEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt32.self)) }
            @inline(__always) func load64(_ offset: Int) -> UInt64 { UInt64(bigEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self)) }
            var segment = TCPSegment()
            var etherType = load16(12)
            var ip = 14
            if etherType == 0x8100 || etherType == 0x88a8 || etherType == 0x9100 {
                segment.vlans.push(load16(14) & 0x0fff)
                etherType = load16(16)
                ip = 18
            }
            var end = capturedEnd
            let tcp: Int
            if etherType == 0x0800 {
                // Version 4 with a 20-byte header; no fragment bits but DF; TCP.
                guard ip + 40 <= end, bytes[ip] == 0x45, load16(ip + 6) & 0xbfff == 0, bytes[ip + 9] == 6 else { return nil }
                let totalLength = Int(load16(ip + 2))
                guard totalLength >= 40 else { return nil }
                let claimedEnd = ip + totalLength
                if claimedEnd < end { end = claimedEnd } else if claimedEnd > end { segment.payloadCut = true }
                segment.source = IPAddress(ipv4: load32(ip + 12))
                segment.destination = IPAddress(ipv4: load32(ip + 16))
                tcp = ip + 20
            } else if etherType == 0x86dd {
                // Version 6, TCP next, and a payload length that holds a TCP header (not 0,
                // a jumbogram's).
                guard ip + 60 <= end, bytes[ip] >> 4 == 6, bytes[ip + 6] == 6 else { return nil }
                let payloadLength = Int(load16(ip + 4))
                guard payloadLength >= 20 else { return nil }
                let claimedEnd = ip + 40 + payloadLength
                if claimedEnd < end { end = claimedEnd } else if claimedEnd > end { segment.payloadCut = true }
                segment.isIPv6 = true
                segment.source = IPAddress(high: load64(ip + 8), low: load64(ip + 16))
                segment.destination = IPAddress(high: load64(ip + 24), low: load64(ip + 32))
                tcp = ip + 40
            } else {
                return nil
            }
            let headerLength = Int(bytes[tcp + 12] >> 4) * 4
            guard headerLength >= 20, tcp + headerLength <= end else { return nil }
            segment.sourcePort = load16(tcp)
            segment.destinationPort = load16(tcp + 2)
            segment.sequence = load32(tcp + 4)
            segment.flags = TCPFlags(rawValue: bytes[tcp + 13] & 0x1f)
            segment.payload = tcp + headerLength ..< end
            return segment
        }
    }

    private func walk(from first: Layer, end: Int, _ frame: borrowing RawSpan, _ segment: inout TCPSegment) -> FrameOutcome {
        var end = end
        var layer = first
        for _ in 0 ..< Self.maximumLayers {
            switch layer {
            case .skipped(let reason):
                return .skipped(reason)
            case .ethernet(let at):
                guard at + 14 <= end else { return .skipped(.truncated) }
                layer = .etherType(frame.loadUInt16(at + 12), at + 14)
            case .etherType(let type, let at):
                layer = decodeEtherType(type, at: at, end: end, frame, &segment)
            case .ipByVersion(let at):
                guard at < end else { return .skipped(.truncated) }
                switch frame.loadUInt8(at) >> 4 {
                case 4: layer = .ipv4(at)
                case 6: layer = .ipv6(at)
                default: return .skipped(.notIP)
                }
            case .ipv4(let at):
                switch decodeIPv4(at: at, end: &end, frame, &segment) {
                case .tcp(let tcpStart): return decodeTCP(at: tcpStart, end: end, frame, &segment)
                case .next(let next): layer = next
                }
            case .ipv6(let at):
                switch decodeIPv6(at: at, end: &end, frame, &segment) {
                case .tcp(let tcpStart): return decodeTCP(at: tcpStart, end: end, frame, &segment)
                case .next(let next): layer = next
                }
            }
        }
        return .skipped(.tooDeep)
    }

    private func firstLayer(_ frame: borrowing RawSpan) -> Layer {
        switch linkType {
        case .ethernet:
            return .ethernet(0)
        case .raw, .rawOpenBSD, .rawIPv4, .rawIPv6:
            return .ipByVersion(0)
        case .null, .loop:
            guard frame.byteCount >= 4 else { return .skipped(.truncated) }
            // NULL writes the family in the capturing host's byte order; LOOP in network
            // order. Accept either order for both: families are small numbers.
            var family = frame.loadUInt32(0)
            if family > 0xffff { family = family.byteSwapped }
            switch family {
            case 2: return .ipv4(4)
            case 10, 24, 28, 30: return .ipv6(4)   // AF_INET6 on Linux, BSDs, Darwin
            default: return .skipped(.notIP)
            }
        case .linuxSLL:
            guard frame.byteCount >= 16 else { return .skipped(.truncated) }
            return .etherType(frame.loadUInt16(14), 16)
        case .linuxSLL2:
            guard frame.byteCount >= 20 else { return .skipped(.truncated) }
            return .etherType(frame.loadUInt16(0), 20)
        default:
            return .skipped(.notIP)
        }
    }

    private func decodeEtherType(
        _ type: UInt16, at: Int, end: Int, _ frame: borrowing RawSpan, _ segment: inout TCPSegment
    ) -> Layer {
        switch type {
        case 0x0800:
            return .ipv4(at)
        case 0x86dd:
            return .ipv6(at)
        case 0x8100, 0x88a8, 0x9100:
            guard at + 4 <= end else { return .skipped(.truncated) }
            segment.vlans.push(frame.loadUInt16(at) & 0x0fff)
            return .etherType(frame.loadUInt16(at + 2), at + 4)
        case 0x8847, 0x8848:
            segment.encapsulation.insert(.mpls)
            var offset = at
            // Labels until bottom-of-stack; the hop limit is `maximumLayers`-like: a stack
            // longer than the frame ends as truncated.
            while true {
                guard offset + 4 <= end else { return .skipped(.truncated) }
                let bottom = frame.loadUInt8(offset + 2) & 0x01 != 0
                offset += 4
                if bottom { break }
            }
            guard offset < end else { return .skipped(.truncated) }
            switch frame.loadUInt8(offset) >> 4 {
            case 4: return .ipv4(offset)
            case 6: return .ipv6(offset)
            case 0: return .ethernet(offset + 4)   // pseudowire control word, then Ethernet
            default: return .skipped(.notIP)
            }
        case 0x8864:
            // PPPoE session header (RFC 2516) then the PPP protocol field.
            guard at + 8 <= end else { return .skipped(.truncated) }
            segment.encapsulation.insert(.pppoe)
            switch frame.loadUInt16(at + 6) {
            case 0x0021: return .ipv4(at + 8)
            case 0x0057: return .ipv6(at + 8)
            default: return .skipped(.notIP)
            }
        default:
            return .skipped(.notIP)
        }
    }

    private enum IPResult {
        case tcp(Int)
        case next(Layer)
    }

    private func decodeIPv4(
        at: Int, end: inout Int, _ frame: borrowing RawSpan, _ segment: inout TCPSegment
    ) -> IPResult {
        guard at + 20 <= end else { return .next(.skipped(.truncated)) }
        let versionAndLength = frame.loadUInt8(at)
        let headerLength = Int(versionAndLength & 0x0f) * 4
        guard versionAndLength >> 4 == 4, headerLength >= 20 else { return .next(.skipped(.malformed)) }
        let totalLength = Int(frame.loadUInt16(at + 2))
        guard totalLength >= headerLength else { return .next(.skipped(.malformed)) }
        guard at + headerLength <= end else { return .next(.skipped(.truncated)) }
        // A total length beyond what was captured means the snap length cut it.
        let claimedEnd = at + totalLength
        if claimedEnd < end { end = claimedEnd } else if claimedEnd > end { segment.payloadCut = true }
        let fragment = frame.loadUInt16(at + 6)
        if fragment & 0x1fff != 0 { return .next(.skipped(.laterFragment)) }
        segment.isIPv6 = false
        segment.source = IPAddress(ipv4: frame.loadUInt32(at + 12))
        segment.destination = IPAddress(ipv4: frame.loadUInt32(at + 16))
        return nextProtocol(frame.loadUInt8(at + 9), at: at + headerLength, end: end, frame, &segment)
    }

    private func decodeIPv6(
        at: Int, end: inout Int, _ frame: borrowing RawSpan, _ segment: inout TCPSegment
    ) -> IPResult {
        guard at + 40 <= end else { return .next(.skipped(.truncated)) }
        guard frame.loadUInt8(at) >> 4 == 6 else { return .next(.skipped(.malformed)) }
        let payloadLength = Int(frame.loadUInt16(at + 4))
        // Payload length 0 is a jumbogram (RFC 2675): trust the captured length instead.
        if payloadLength > 0 {
            let claimedEnd = at + 40 + payloadLength
            if claimedEnd < end { end = claimedEnd } else if claimedEnd > end { segment.payloadCut = true }
        }
        segment.isIPv6 = true
        segment.source = IPAddress(high: frame.loadUInt64(at + 8), low: frame.loadUInt64(at + 16))
        segment.destination = IPAddress(high: frame.loadUInt64(at + 24), low: frame.loadUInt64(at + 32))
        var nextHeader = frame.loadUInt8(at + 6)
        var offset = at + 40
        // Extension headers (RFC 8200 §4); each one at least 8 bytes, so the frame bounds the walk.
        while true {
            switch nextHeader {
            case 0, 43, 60:   // hop-by-hop, routing, destination options
                guard offset + 8 <= end else { return .next(.skipped(.truncated)) }
                nextHeader = frame.loadUInt8(offset)
                offset += (Int(frame.loadUInt8(offset + 1)) + 1) * 8
            case 44:          // fragment
                guard offset + 8 <= end else { return .next(.skipped(.truncated)) }
                if frame.loadUInt16(offset + 2) & 0xfff8 != 0 { return .next(.skipped(.laterFragment)) }
                nextHeader = frame.loadUInt8(offset)
                offset += 8
            case 51:          // authentication header: length in 4-byte units, minus 2
                guard offset + 8 <= end else { return .next(.skipped(.truncated)) }
                nextHeader = frame.loadUInt8(offset)
                offset += (Int(frame.loadUInt8(offset + 1)) + 2) * 4
            default:
                guard offset <= end else { return .next(.skipped(.truncated)) }
                return nextProtocol(nextHeader, at: offset, end: end, frame, &segment)
            }
        }
    }

    private func nextProtocol(
        _ proto: UInt8, at: Int, end: Int, _ frame: borrowing RawSpan, _ segment: inout TCPSegment
    ) -> IPResult {
        switch proto {
        case 6:
            return .tcp(at)
        case 4:
            segment.encapsulation.insert(.ipInIP)
            return .next(.ipv4(at))
        case 41:
            segment.encapsulation.insert(segment.isIPv6 ? .ipInIP : .sixIn4)
            return .next(.ipv6(at))
        case 47:
            return .next(decodeGRE(at: at, end: end, frame, &segment))
        case 17:
            return .next(decodeUDPTunnel(at: at, end: end, frame, &segment))
        default:
            return .next(.skipped(.notTCP))
        }
    }

    /// GRE (RFC 2784, RFC 2890) and the ERSPAN types carried in it.
    private func decodeGRE(
        at: Int, end: Int, _ frame: borrowing RawSpan, _ segment: inout TCPSegment
    ) -> Layer {
        guard at + 4 <= end else { return .skipped(.truncated) }
        let flags = frame.loadUInt16(at)
        guard flags & 0x0007 == 0 else { return .skipped(.notTCP) }   // version 1 is PPTP
        let protocolType = frame.loadUInt16(at + 2)
        let hasSequence = flags & 0x1000 != 0
        var offset = at + 4
        if flags & 0x8000 != 0 { offset += 4 }   // checksum + reserved
        if flags & 0x2000 != 0 { offset += 4 }   // key
        if hasSequence { offset += 4 }
        guard offset <= end else { return .skipped(.truncated) }
        segment.encapsulation.insert(.gre)
        switch protocolType {
        case 0x0800: return .ipv4(offset)
        case 0x86dd: return .ipv6(offset)
        case 0x6558: return .ethernet(offset)   // transparent Ethernet bridging
        case 0x88be:
            // Type I has no sequence number and no ERSPAN header; type II has both.
            if hasSequence {
                segment.encapsulation.insert(.erspan2)
                return .ethernet(offset + 8)
            }
            segment.encapsulation.insert(.erspan1)
            return .ethernet(offset)
        case 0x22eb:
            guard offset + 12 <= end else { return .skipped(.truncated) }
            segment.encapsulation.insert(.erspan3)
            // The O flag (last bit of the header) announces an 8-byte platform sub-header.
            let hasPlatformHeader = frame.loadUInt8(offset + 11) & 0x01 != 0
            return .ethernet(offset + 12 + (hasPlatformHeader ? 8 : 0))
        default:
            return .skipped(.notTCP)
        }
    }

    /// VXLAN (RFC 7348) and GTP-U (3GPP TS 29.281) over UDP, recognised by port.
    private func decodeUDPTunnel(
        at: Int, end: Int, _ frame: borrowing RawSpan, _ segment: inout TCPSegment
    ) -> Layer {
        guard at + 8 <= end else { return .skipped(.truncated) }
        let sourcePort = frame.loadUInt16(at)
        let destinationPort = frame.loadUInt16(at + 2)
        let payload = at + 8
        if destinationPort == Self.vxlanPort {
            guard payload + 8 <= end else { return .skipped(.truncated) }
            guard frame.loadUInt8(payload) & 0x08 != 0 else { return .skipped(.notTCP) }
            segment.encapsulation.insert(.vxlan)
            return .ethernet(payload + 8)
        }
        if destinationPort == Self.gtpUserPort || sourcePort == Self.gtpUserPort {
            guard payload + 8 <= end else { return .skipped(.truncated) }
            let flags = frame.loadUInt8(payload)
            // Version 1, protocol type GTP, message type G-PDU: anything else carries no user IP.
            guard flags >> 5 == 1, flags & 0x10 != 0, frame.loadUInt8(payload + 1) == 0xff else {
                return .skipped(.notTCP)
            }
            var offset = payload + 8
            if flags & 0x07 != 0 {
                guard offset + 4 <= end else { return .skipped(.truncated) }
                var nextExtension = frame.loadUInt8(offset + 3)
                offset += 4
                if flags & 0x04 != 0 {
                    // Extension headers: length in 4-byte units, next type in the last byte.
                    while nextExtension != 0 {
                        guard offset < end else { return .skipped(.truncated) }
                        let length = Int(frame.loadUInt8(offset)) * 4
                        guard length > 0 else { return .skipped(.malformed) }
                        guard offset + length <= end else { return .skipped(.truncated) }
                        nextExtension = frame.loadUInt8(offset + length - 1)
                        offset += length
                    }
                }
            }
            segment.encapsulation.insert(.gtpU)
            return .ipByVersion(offset)
        }
        return .skipped(.notTCP)
    }

    private func decodeTCP(
        at: Int, end: Int, _ frame: borrowing RawSpan, _ segment: inout TCPSegment
    ) -> FrameOutcome {
        guard at + 20 <= end else { return .skipped(.truncated) }
        let headerLength = Int(frame.loadUInt8(at + 12) >> 4) * 4
        guard headerLength >= 20 else { return .skipped(.malformed) }
        guard at + headerLength <= end else {
            // The IP length says the header is longer than the packet: a lie, unless the
            // snap length cut the frame.
            return .skipped(segment.payloadCut ? .truncated : .malformed)
        }
        segment.sourcePort = frame.loadUInt16(at)
        segment.destinationPort = frame.loadUInt16(at + 2)
        segment.sequence = frame.loadUInt32(at + 4)
        segment.flags = TCPFlags(rawValue: frame.loadUInt8(at + 13) & 0x1f)
        segment.payload = at + headerLength ..< end
        place(&segment)
        return .segment(segment)
    }
}
