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
/// the placement cannot be aimed.
///
/// NH, the hash under UMAC (RFC 4418): the key's 32-bit words are added to the flow key's, and
/// the sums multiplied in pairs and added up. For any two flow keys, at most one key in 2³²
/// makes them collide in all 64 bits, and it costs five multiplications, as the unkeyed mix it
/// replaced did. A bijective finaliser then spreads every bit into the top ones, which place
/// the flow (`FlowTable.home`).
public struct FlowHashKey: Sendable {
    private let words: (UInt64, UInt64, UInt64, UInt64, UInt64)

    public init<Generator: RandomNumberGenerator>(using generator: inout Generator) {
        words = (generator.next(), generator.next(), generator.next(), generator.next(), generator.next())
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
        @inline(__always) func pair(_ message: UInt64, _ secret: UInt64) -> UInt64 {
            let first = UInt32(truncatingIfNeeded: message) &+ UInt32(truncatingIfNeeded: secret)
            let second = UInt32(truncatingIfNeeded: message >> 32) &+ UInt32(truncatingIfNeeded: secret >> 32)
            return UInt64(first) &* UInt64(second)
        }
        let ports = UInt64(key.lowPort) << 32 | UInt64(key.highPort) << 16 | UInt64(key.vlan)
        var hash = pair(key.lowAddress.high, words.0) &+ pair(key.lowAddress.low, words.1)
            &+ pair(key.highAddress.high, words.2) &+ pair(key.highAddress.low, words.3) &+ pair(ports, words.4)
        hash = (hash ^ (hash >> 33)) &* 0xff51_afd7_ed55_8ccd
        hash = (hash ^ (hash >> 33)) &* 0xc4ce_b9fe_1a85_ec53
        return hash ^ (hash >> 33)
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
