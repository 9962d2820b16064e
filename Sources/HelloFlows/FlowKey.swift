import HelloWire

/// A TCP connection's identity: both endpoints in a fixed order (lower address/port
/// first) and the innermost VLAN id, so A→B and B→A find the same entry.
public struct FlowKey: Hashable, Comparable, Sendable {
    public var lowAddress: IPAddress
    public var highAddress: IPAddress
    public var lowPort: UInt16
    public var highPort: UInt16
    public var vlan: UInt16

    public static func < (lhs: FlowKey, rhs: FlowKey) -> Bool {
        (lhs.lowAddress, lhs.highAddress, lhs.lowPort, lhs.highPort, lhs.vlan)
            < (rhs.lowAddress, rhs.highAddress, rhs.lowPort, rhs.highPort, rhs.vlan)
    }

    /// The key of `segment`'s connection, and whether its sender is the low endpoint.
    @inline(__always)
    public static func of(_ segment: TCPSegment) -> (key: FlowKey, fromLow: Bool) {
        let sourceFirst = (segment.source, segment.sourcePort) <= (segment.destination, segment.destinationPort)
        let vlan = segment.vlans.flowID
        if sourceFirst {
            return (FlowKey(lowAddress: segment.source, highAddress: segment.destination,
                            lowPort: segment.sourcePort, highPort: segment.destinationPort, vlan: vlan), true)
        }
        return (FlowKey(lowAddress: segment.destination, highAddress: segment.source,
                        lowPort: segment.destinationPort, highPort: segment.sourcePort, vlan: vlan), false)
    }
}

/// The secret that places flows in a flow table. The sender picks addresses and ports, so with
/// a hash anyone can compute, a flood can aim every flow at one slot: each look-up then walks
/// the whole run (50 000 such flows cost over a billion probes). Keyed at random per table,
/// the placement cannot be aimed. The hash itself is `FlowHash` (NH), which the frame decoder
/// also runs, so that it places each segment as it decodes it.
public struct FlowHashKey: Sendable {
    public let flowHash: FlowHash

    public init<Generator: RandomNumberGenerator>(using generator: inout Generator) {
        flowHash = FlowHash(words: (generator.next(), generator.next(), generator.next(), generator.next(), generator.next()))
    }

    /// The same key in every run, for runs that must repeat exactly (a fuzzer's, a test's).
    public init(seed: UInt64) {
        var generator = SplitMix64(state: seed)
        self.init(using: &generator)
    }

    /// A key from the system's random source.
    public static func random() -> FlowHashKey {
        var generator = SystemRandomNumberGenerator()
        return FlowHashKey(using: &generator)
    }

    @inline(__always)
    public func hash(_ key: FlowKey) -> UInt64 {
        flowHash.hash(lowAddress: key.lowAddress, highAddress: key.highAddress, lowPort: key.lowPort, highPort: key.highPort, vlan: key.vlan)
    }

    /// The hash's top 32 bits, all that places a flow (`FlowTable.home`).
    @inline(__always)
    public func placement(_ key: FlowKey) -> UInt32 {
        UInt32(truncatingIfNeeded: hash(key) >> 32)
    }
}

/// A fixed sequence of well-mixed 64-bit numbers from a seed (Steele, Lea and Flood's SplitMix64).
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64

    mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var value = state
        value = (value ^ (value >> 30)) &* 0xbf58_476d_1ce4_e5b9
        value = (value ^ (value >> 27)) &* 0x94d0_49bb_1331_11eb
        return value ^ (value >> 31)
    }
}
