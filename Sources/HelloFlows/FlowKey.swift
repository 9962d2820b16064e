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

    /// A fast 64-bit mix of the key (a multiply-xorshift finaliser per word). Not keyed:
    /// see the README's note on hash flooding.
    @inline(__always)
    public var slotHash: UInt64 {
        var hash: UInt64 = 0x9e37_79b9_7f4a_7c15
        @inline(__always) func mix(_ value: UInt64) {
            hash = (hash ^ value) &* 0xff51_afd7_ed55_8ccd
            hash ^= hash >> 32
        }
        mix(lowAddress.high)
        mix(lowAddress.low)
        mix(highAddress.high)
        mix(highAddress.low)
        mix(UInt64(lowPort) << 32 | UInt64(highPort) << 16 | UInt64(vlan))
        hash = (hash ^ (hash >> 29)) &* 0xc4ce_b9fe_1a85_ec53
        return hash ^ (hash >> 32)
    }
}
