import Foundation
import HelloWire

// Test helpers for HelloWireTests and HelloFlowsTests: a frame builder (every layer written
// from its RFC's header diagram, not from the decoder), TLS message builders, a classic-pcap
// reader, hex parsing and a seeded PRNG.

// MARK: Bytes

public func be16(_ value: UInt16) -> [UInt8] { [UInt8(value >> 8), UInt8(value & 0xff)] }
public func be24(_ value: Int) -> [UInt8] { [UInt8((value >> 16) & 0xff), UInt8((value >> 8) & 0xff), UInt8(value & 0xff)] }
public func be32(_ value: UInt32) -> [UInt8] { [UInt8(value >> 24), UInt8((value >> 16) & 0xff), UInt8((value >> 8) & 0xff), UInt8(value & 0xff)] }

/// Bytes from hex text; whitespace and newlines are ignored.
public func hexBytes(_ text: String) -> [UInt8] {
    let digits = text.unicodeScalars.filter { !$0.properties.isWhitespace }.map { Character($0) }
    precondition(digits.count % 2 == 0, "odd number of hex digits")
    return stride(from: 0, to: digits.count, by: 2).map { UInt8(String(digits[$0 ... $0 + 1]), radix: 16)! }
}

/// A dotted quad as 4 bytes (written here, not with `IPAddress`, so the decoder's parser is not the oracle).
public func ipv4Bytes(_ text: String) -> [UInt8] {
    let parts = text.split(separator: ".").map { UInt8($0)! }
    precondition(parts.count == 4)
    return parts
}

/// IPv6 text (with at most one `::`) as 16 bytes.
public func ipv6Bytes(_ text: String) -> [UInt8] {
    func groups(_ part: Substring) -> [UInt16] {
        part.isEmpty ? [] : part.split(separator: ":", omittingEmptySubsequences: false).map { UInt16($0, radix: 16)! }
    }
    var all: [UInt16]
    if let gap = text.range(of: "::") {
        let head = groups(text[..<gap.lowerBound]), tail = groups(text[gap.upperBound...])
        all = head + [UInt16](repeating: 0, count: 8 - head.count - tail.count) + tail
    } else {
        all = groups(Substring(text))
    }
    precondition(all.count == 8)
    return all.flatMap(be16)
}

/// xorshift64* (Vigna 2016): a fixed seed gives the same sequence on every run.
public struct XorShift: Sendable {
    public var state: UInt64
    public init(seed: UInt64) { state = seed == 0 ? 0x9e37_79b9_7f4a_7c15 : seed }
    public mutating func next() -> UInt64 {
        state ^= state >> 12
        state ^= state << 25
        state ^= state >> 27
        return state &* 0x2545_f491_4f6c_dd1d
    }
    public mutating func below(_ bound: Int) -> Int { Int(next() % UInt64(bound)) }
}

// MARK: Frames

public enum FrameBuilder {
    public static let clientMAC: [UInt8] = [0x02, 0x00, 0x00, 0x00, 0x00, 0x02]
    public static let serverMAC: [UInt8] = [0x02, 0x00, 0x00, 0x00, 0x00, 0x01]

    /// Ethernet II (IEEE 802.3 clause 3.2.6) with optional 802.1Q/802.1ad tags, outermost first.
    public static func ethernet(_ type: UInt16, _ payload: [UInt8], tags: [(tpid: UInt16, id: UInt16)] = []) -> [UInt8] {
        var frame = serverMAC + clientMAC
        for tag in tags { frame += be16(tag.tpid) + be16(tag.id & 0x0fff) }   // PCP 0, DEI 0
        return frame + be16(type) + payload
    }

    /// IPv4 header (RFC 791 §3.1) with a correct header checksum.
    public static func ipv4(
        _ source: String, _ destination: String, protocol proto: UInt8, _ payload: [UInt8],
        fragmentOffset: Int = 0, moreFragments: Bool = false, options: [UInt8] = [], totalLength: Int? = nil
    ) -> [UInt8] {
        precondition(options.count % 4 == 0)
        let headerLength = 20 + options.count
        let total = totalLength ?? headerLength + payload.count
        var header: [UInt8] = [0x40 | UInt8(headerLength / 4), 0]
        header += be16(UInt16(total)) + be16(0x1234)
        header += be16((moreFragments ? 0x2000 : 0) | UInt16(fragmentOffset / 8))
        header += [64, proto, 0, 0] + ipv4Bytes(source) + ipv4Bytes(destination) + options
        var sum: UInt32 = 0
        for index in stride(from: 0, to: header.count, by: 2) { sum += UInt32(header[index]) << 8 | UInt32(header[index + 1]) }
        while sum > 0xffff { sum = (sum & 0xffff) + (sum >> 16) }
        let checksum = be16(~UInt16(sum))
        header[10] = checksum[0]
        header[11] = checksum[1]
        return header + payload
    }

    /// IPv6 fixed header (RFC 8200 §3).
    public static func ipv6(_ source: String, _ destination: String, nextHeader: UInt8, _ payload: [UInt8]) -> [UInt8] {
        [0x60, 0, 0, 0] + be16(UInt16(payload.count)) + [nextHeader, 64] + ipv6Bytes(source) + ipv6Bytes(destination) + payload
    }

    /// TCP header (RFC 9293 §3.1); checksum left 0 (nothing here verifies it).
    public static func tcp(
        _ sourcePort: UInt16, _ destinationPort: UInt16, sequence: UInt32, acknowledgment: UInt32 = 0,
        flags: UInt8, _ payload: [UInt8] = [], dataOffsetWords: UInt8 = 5
    ) -> [UInt8] {
        var header = be16(sourcePort) + be16(destinationPort) + be32(sequence) + be32(acknowledgment)
        header += [dataOffsetWords << 4, flags] + be16(65535) + [0, 0, 0, 0]
        if dataOffsetWords > 5 { header += [UInt8](repeating: 1, count: Int(dataOffsetWords - 5) * 4) }   // NOP options
        return header + payload
    }

    /// UDP header (RFC 768); checksum 0 ("not computed").
    public static func udp(_ sourcePort: UInt16, _ destinationPort: UInt16, _ payload: [UInt8]) -> [UInt8] {
        be16(sourcePort) + be16(destinationPort) + be16(UInt16(8 + payload.count)) + [0, 0] + payload
    }

    /// GRE (RFC 2784 §2.1 with RFC 2890 §2 key and sequence number).
    public static func gre(protocolType: UInt16, key: UInt32? = nil, sequence: UInt32? = nil, _ payload: [UInt8]) -> [UInt8] {
        var flags: UInt16 = 0
        if key != nil { flags |= 0x2000 }
        if sequence != nil { flags |= 0x1000 }
        var header = be16(flags) + be16(protocolType)
        if let key { header += be32(key) }
        if let sequence { header += be32(sequence) }
        return header + payload
    }

    /// MPLS label stack entries (RFC 3032 §2.1): label, TC 0, S on the last, TTL 64.
    public static func mpls(labels: [UInt32], _ payload: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        for (index, label) in labels.enumerated() {
            let bottom: UInt32 = index == labels.count - 1 ? 1 : 0
            out += be32(label << 12 | bottom << 8 | 64)
        }
        return out + payload
    }

    /// PPPoE session stage (RFC 2516 §4): ver/type 0x11, code 0, session id, length, then PPP protocol.
    public static func pppoeSession(sessionID: UInt16, pppProtocol: UInt16, _ payload: [UInt8]) -> [UInt8] {
        [0x11, 0x00] + be16(sessionID) + be16(UInt16(payload.count + 2)) + be16(pppProtocol) + payload
    }

    /// ERSPAN type II header (draft-foschiano-erspan-03 §4.1): Ver=1, VLAN, COS/En/T, session id, index.
    public static func erspan2(sessionID: UInt16, _ innerFrame: [UInt8]) -> [UInt8] {
        be16(0x1000 | 0) + be16(sessionID & 0x03ff) + be32(0x0000_0007) + innerFrame
    }

    /// ERSPAN type III header (draft-foschiano-erspan-03 §4.2): 12 bytes, the O bit (last
    /// bit) announcing the 8-byte platform-specific sub-header.
    public static func erspan3(sessionID: UInt16, platformSubHeader: Bool, _ innerFrame: [UInt8]) -> [UInt8] {
        var header = be16(0x2000 | 0) + be16(sessionID & 0x03ff) + be32(0xdead_beef)   // ver 2, timestamp
        header += be16(0) + [0, 0x00 | (platformSubHeader ? 0x01 : 0x00)]               // SGT, P/FT/HwID/D/Gra/O
        if platformSubHeader { header += [0x04, 0x00, 0x00, 0x00, 0xca, 0xfe, 0xba, 0xbe] }   // 8 opaque bytes
        return header + innerFrame
    }

    /// VXLAN header (RFC 7348 §5): I flag, VNI.
    public static func vxlan(vni: UInt32, _ innerFrame: [UInt8]) -> [UInt8] {
        [0x08, 0, 0, 0] + Array(be32(vni << 8)) + innerFrame
    }

    /// GTP-U G-PDU (3GPP TS 29.281 §5.1) with one PDU Session Container extension header
    /// (type 0x85, §5.2.2.7) when `withExtension`.
    public static func gtpU(teid: UInt32, withExtension: Bool, _ innerPacket: [UInt8]) -> [UInt8] {
        if withExtension {
            let ext: [UInt8] = [0x01, 0x00, 0x09, 0x00]                  // length 1 (4 bytes), QFI 9, next type 0
            let length = UInt16(4 + ext.count + innerPacket.count)        // after the mandatory 8 bytes
            return [0x34, 0xff] + be16(length) + be32(teid) + [0x00, 0x00, 0x00, 0x85] + ext + innerPacket
        }
        return [0x30, 0xff] + be16(UInt16(innerPacket.count)) + be32(teid) + innerPacket
    }

    /// Ethernet / IPv4 / TCP, the shape most tests need.
    public static func tcpOverIPv4(
        _ source: String, _ sourcePort: UInt16, _ destination: String, _ destinationPort: UInt16,
        sequence: UInt32, acknowledgment: UInt32 = 0, flags: UInt8 = TCPFlag.psh | TCPFlag.ack, _ payload: [UInt8] = []
    ) -> [UInt8] {
        ethernet(0x0800, ipv4(source, destination, protocol: 6,
                              tcp(sourcePort, destinationPort, sequence: sequence, acknowledgment: acknowledgment,
                                  flags: flags, payload)))
    }
}

public enum TCPFlag {
    public static let fin: UInt8 = 0x01, syn: UInt8 = 0x02, rst: UInt8 = 0x04, psh: UInt8 = 0x08, ack: UInt8 = 0x10
}

// MARK: TLS messages

public enum TLSBuilder {
    /// TLS record (RFC 8446 §5.1).
    public static func record(_ fragment: [UInt8], type contentType: UInt8 = 22, version: UInt16 = 0x0301) -> [UInt8] {
        [contentType] + be16(version) + be16(UInt16(fragment.count)) + fragment
    }

    /// Handshake message header (RFC 8446 §4): type and 24-bit length.
    public static func handshake(_ type: UInt8, _ body: [UInt8]) -> [UInt8] { [type] + be24(body.count) + body }

    public static func extensionBlock(_ extensions: [(UInt16, [UInt8])]) -> [UInt8] {
        let block = extensions.flatMap { be16($0.0) + be16(UInt16($0.1.count)) + $0.1 }
        return be16(UInt16(block.count)) + block
    }

    /// ClientHello body (RFC 8446 §4.1.2 / RFC 5246 §7.4.1.2); `extensions: nil` omits the block.
    public static func clientHelloBody(
        version: UInt16, ciphers: [UInt16], sessionID: [UInt8] = [], extensions: [(UInt16, [UInt8])]? = []
    ) -> [UInt8] {
        var body = be16(version) + [UInt8](repeating: 0x5a, count: 32) + [UInt8(sessionID.count)] + sessionID
        body += be16(UInt16(ciphers.count * 2)) + ciphers.flatMap(be16) + [1, 0]
        if let extensions { body += extensionBlock(extensions) }
        return body
    }

    /// ServerHello body (RFC 8446 §4.1.3).
    public static func serverHelloBody(
        version: UInt16, cipher: UInt16, sessionID: [UInt8] = [], extensions: [(UInt16, [UInt8])]? = nil
    ) -> [UInt8] {
        var body = be16(version) + [UInt8](repeating: 0xa5, count: 32) + [UInt8(sessionID.count)] + sessionID
        body += be16(cipher) + [0]
        if let extensions { body += extensionBlock(extensions) }
        return body
    }

    /// server_name (RFC 6066 §3) with one host_name.
    public static func serverName(_ name: String) -> (UInt16, [UInt8]) {
        let host = Array(name.utf8)
        let entry = [0] + be16(UInt16(host.count)) + host
        return (0, be16(UInt16(entry.count)) + entry)
    }

    /// supported_versions in a ClientHello (RFC 8446 §4.2.1).
    public static func supportedVersions(_ versions: [UInt16]) -> (UInt16, [UInt8]) {
        (43, [UInt8(versions.count * 2)] + versions.flatMap(be16))
    }
}

// MARK: Captures

public enum Captures {
    public static let directory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Captures")
}

/// A classic pcap file (the libpcap format, draft-ietf-opsawg-pcap §4–5): 24-byte global
/// header, then 16-byte record headers. Magic a1b2c3d4 means microseconds, a1b23c4d
/// nanoseconds; the magic's byte order gives the file's.
public struct PcapFile: Sendable {
    public struct Record: Sendable {
        public var timestampNanos: Int64
        public var wireLength: Int
        public var bytes: [UInt8]
    }

    public var linkType: UInt32
    public var snapLength: UInt32
    public var records: [Record] = []

    public enum Failure: Error { case notPcap, truncated }

    public init(named name: String) throws {
        try self.init(bytes: [UInt8](Data(contentsOf: Captures.directory.appendingPathComponent(name))))
    }

    public init(bytes: [UInt8]) throws {
        guard bytes.count >= 24 else { throw Failure.truncated }
        func little32(_ at: Int) -> UInt32 {
            UInt32(bytes[at]) | UInt32(bytes[at + 1]) << 8 | UInt32(bytes[at + 2]) << 16 | UInt32(bytes[at + 3]) << 24
        }
        let magic = little32(0)
        let swapped: Bool
        let nanos: Bool
        switch magic {
        case 0xa1b2_c3d4: (swapped, nanos) = (false, false)
        case 0xa1b2_3c4d: (swapped, nanos) = (false, true)
        case 0xd4c3_b2a1: (swapped, nanos) = (true, false)
        case 0x4d3c_b2a1: (swapped, nanos) = (true, true)
        default: throw Failure.notPcap
        }
        func word(_ at: Int) -> UInt32 { swapped ? little32(at).byteSwapped : little32(at) }
        snapLength = word(16)
        linkType = word(20) & 0x0fff_ffff   // the upper bits carry FCS information
        var at = 24
        while at < bytes.count {
            guard at + 16 <= bytes.count else { throw Failure.truncated }
            let seconds = Int64(word(at)), fraction = Int64(word(at + 4))
            let captured = Int(word(at + 8)), wire = Int(word(at + 12))
            guard at + 16 + captured <= bytes.count else { throw Failure.truncated }
            records.append(Record(timestampNanos: seconds * 1_000_000_000 + (nanos ? fraction : fraction * 1000),
                                  wireLength: wire, bytes: Array(bytes[at + 16 ..< at + 16 + captured])))
            at += 16 + captured
        }
    }
}
