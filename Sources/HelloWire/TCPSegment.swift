/// The link types HelloScope decodes, by their libpcap DLT values.
public struct LinkType: RawRepresentable, Hashable, Sendable {
    public var rawValue: Int32
    public init(rawValue: Int32) { self.rawValue = rawValue }

    public static let null = LinkType(rawValue: 0)          // BSD loopback, host-order family
    public static let ethernet = LinkType(rawValue: 1)
    public static let raw = LinkType(rawValue: 12)          // DLT_RAW on Linux (LINKTYPE_RAW 101)
    public static let rawOpenBSD = LinkType(rawValue: 14)
    public static let loop = LinkType(rawValue: 108)        // OpenBSD loopback, network-order family
    public static let linuxSLL = LinkType(rawValue: 113)
    public static let rawIPv4 = LinkType(rawValue: 228)
    public static let rawIPv6 = LinkType(rawValue: 229)
    public static let linuxSLL2 = LinkType(rawValue: 276)

    public var isSupported: Bool {
        switch self {
        case .null, .ethernet, .raw, .rawOpenBSD, .loop, .linuxSLL, .rawIPv4, .rawIPv6, .linuxSLL2: true
        default: false
        }
    }
}

/// TCP header flags (RFC 9293 §3.1).
public struct TCPFlags: OptionSet, Sendable, BitwiseCopyable {
    public var rawValue: UInt8
    @inlinable public init(rawValue: UInt8) { self.rawValue = rawValue }
    // Inlinable constants, not `static let`s: from another module each use of a `static let`
    // is a call to its accessor, and the tracker asks for three per packet (perf: 65 samples
    // of a handshake run's 5 600 in those accessors).
    @inlinable public static var fin: TCPFlags { TCPFlags(rawValue: 0x01) }
    @inlinable public static var syn: TCPFlags { TCPFlags(rawValue: 0x02) }
    @inlinable public static var rst: TCPFlags { TCPFlags(rawValue: 0x04) }
    @inlinable public static var psh: TCPFlags { TCPFlags(rawValue: 0x08) }
    @inlinable public static var ack: TCPFlags { TCPFlags(rawValue: 0x10) }
}

/// The tunnels and shims a frame came through, as a set (order on the wire is not kept).
public struct Encapsulation: OptionSet, Hashable, Sendable, BitwiseCopyable {
    public var rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }
    public static let mpls = Encapsulation(rawValue: 1 << 0)
    public static let pppoe = Encapsulation(rawValue: 1 << 1)
    public static let ipInIP = Encapsulation(rawValue: 1 << 2)     // IPv4 or IPv6 inside IPv4/IPv6
    public static let sixIn4 = Encapsulation(rawValue: 1 << 3)     // IPv6 inside IPv4 (protocol 41)
    public static let gre = Encapsulation(rawValue: 1 << 4)
    public static let erspan1 = Encapsulation(rawValue: 1 << 5)
    public static let erspan2 = Encapsulation(rawValue: 1 << 6)
    public static let erspan3 = Encapsulation(rawValue: 1 << 7)
    public static let vxlan = Encapsulation(rawValue: 1 << 8)
    public static let gtpU = Encapsulation(rawValue: 1 << 9)

    /// Names in a fixed order, as the JSON lists them.
    public static let named: [(Encapsulation, StaticString)] = [
        (.mpls, "mpls"), (.pppoe, "pppoe"), (.ipInIP, "ip-in-ip"), (.sixIn4, "6in4"),
        (.gre, "gre"), (.erspan1, "erspan1"), (.erspan2, "erspan2"), (.erspan3, "erspan3"),
        (.vxlan, "vxlan"), (.gtpU, "gtp-u"),
    ]
}

/// Up to two 802.1Q/802.1ad ids, outermost first; deeper tags are decoded but not kept.
public struct VLANStack: Hashable, Sendable, BitwiseCopyable {
    public var count: UInt8 = 0
    public var outer: UInt16 = 0
    public var inner: UInt16 = 0

    public init() {}

    mutating func push(_ id: UInt16) {
        switch count {
        case 0: outer = id
        case 1: inner = id
        default: break
        }
        count &+= 1
    }

    /// The id that keys a flow: the innermost one kept (QinQ customer tag), 0 without tags.
    public var flowID: UInt16 {
        switch count {
        case 0: 0
        case 1: outer
        default: inner
        }
    }
}

/// One TCP segment found in a frame: scalars and a payload range into that frame.
/// Addresses and ports are the innermost ones when the frame was tunnelled.
public struct TCPSegment: Sendable, BitwiseCopyable {
    public var source = IPAddress(high: 0, low: 0)
    public var destination = IPAddress(high: 0, low: 0)
    public var sourcePort: UInt16 = 0
    public var destinationPort: UInt16 = 0
    public var sequence: UInt32 = 0
    /// Not set by the decoder: room for a flow tracker to note where its table places this
    /// segment's flow, worked out on the reader's thread (`FlowPlacer`). Its four bytes held
    /// the acknowledgment number, which nothing read.
    public var flowPlacement: UInt32 = 0
    /// The payload's byte range in the frame. Kept as two 32-bit integers: `Range` is not
    /// `BitwiseCopyable`, and a decoded segment crosses threads as plain bytes, in a ring
    /// entry of one cache line (64 bytes; with `Int` bounds it was 74, and every entry the
    /// reader wrote and the tracker read spanned two). Frames are at most 256 KiB.
    public var payload: Range<Int> {
        get { Int(payloadStart) ..< Int(payloadEnd) }
        set { (payloadStart, payloadEnd) = (UInt32(newValue.lowerBound), UInt32(newValue.upperBound)) }
    }
    private var payloadStart: UInt32 = 0
    private var payloadEnd: UInt32 = 0
    public var flags = TCPFlags()
    /// The capture's snap length cut this segment's payload short.
    public var payloadCut = false
    public var isIPv6 = false
    public var vlans = VLANStack()
    public var encapsulation = Encapsulation()

    public init() {}
}

/// Why a frame yielded no TCP segment; each is a counter.
public enum FrameSkip: Int, CaseIterable, Sendable, BitwiseCopyable {
    case notIP            // ARP, LLDP, STP ...: nothing for us
    case notTCP           // UDP, ICMP ... (after tunnels were tried)
    case laterFragment    // IP fragment with a non-zero offset: no TCP header in it
    case truncated        // snap length cut the frame before the TCP header ended
    case malformed        // a header contradicts itself (bad IHL, data offset ...)
    case tooDeep          // more nested tunnels than `FrameDecoder.maximumLayers`

    public var counterName: StaticString {
        switch self {
        case .notIP: "not_ip"
        case .notTCP: "not_tcp"
        case .laterFragment: "ip_later_fragments"
        case .truncated: "truncated_headers"
        case .malformed: "malformed_headers"
        case .tooDeep: "too_many_layers"
        }
    }
}

extension TCPSegment {
    /// No payload, and no SYN, FIN or RST (an ACK, a window update): nothing about a hello or
    /// the end of a flow, so the tracker does not look its flow up. A quarter of the handshake
    /// workload's packets, each a cache miss in a table larger than the caches. It does not
    /// keep its flow from idling out; the data it acknowledges does.
    @inlinable @inline(__always)
    public var isBare: Bool {
        payload.isEmpty && flags.isDisjoint(with: [.syn, .fin, .rst])
    }
}

public enum FrameOutcome: Sendable, BitwiseCopyable {
    case segment(TCPSegment)
    case skipped(FrameSkip)
}
