/// The keyed hash that places a flow in a flow table: computed where a frame is decoded, as a
/// network card computes its receive-side hash, while the segment's fields are still at hand.
/// Worked out in a pass of its own over the decoded frame, it read the 64-byte value back
/// right after the decoder stored it, and waited on those stores (a third of the reading
/// thread's perf samples on the handshake workload).
///
/// NH, the hash under UMAC (RFC 4418): the key's 32-bit words are added to the flow's, and the
/// sums multiplied in pairs and added up. For any two flows, at most one key in 2³² makes them
/// collide in all 64 bits, and it costs five multiplications. A bijective finaliser then
/// spreads every bit into the top ones, which place the flow. The flow is its two endpoints in
/// a fixed order (lower address and port first) and its innermost VLAN id, so both directions
/// hash alike.
public struct FlowHash: Sendable {
    @usableFromInline let words: (UInt64, UInt64, UInt64, UInt64, UInt64)

    public init(words: (UInt64, UInt64, UInt64, UInt64, UInt64)) {
        self.words = words
    }

    @inlinable @inline(__always)
    public func hash(lowAddress: IPAddress, highAddress: IPAddress, lowPort: UInt16, highPort: UInt16, vlan: UInt16) -> UInt64 {
        @inline(__always) func pair(_ message: UInt64, _ secret: UInt64) -> UInt64 {
            let first = UInt32(truncatingIfNeeded: message) &+ UInt32(truncatingIfNeeded: secret)
            let second = UInt32(truncatingIfNeeded: message >> 32) &+ UInt32(truncatingIfNeeded: secret >> 32)
            return UInt64(first) &* UInt64(second)
        }
        let ports = UInt64(lowPort) << 32 | UInt64(highPort) << 16 | UInt64(vlan)
        var hash = pair(lowAddress.high, words.0) &+ pair(lowAddress.low, words.1)
            &+ pair(highAddress.high, words.2) &+ pair(highAddress.low, words.3) &+ pair(ports, words.4)
        hash = (hash ^ (hash >> 33)) &* 0xff51_afd7_ed55_8ccd
        hash = (hash ^ (hash >> 33)) &* 0xc4ce_b9fe_1a85_ec53
        return hash ^ (hash >> 33)
    }

    /// The top 32 bits of the hash of `segment`'s flow: all that places it.
    @inlinable @inline(__always)
    public func placement(of segment: TCPSegment) -> UInt32 {
        let vlan = segment.vlans.flowID
        let hash = (segment.source, segment.sourcePort) <= (segment.destination, segment.destinationPort)
            ? self.hash(lowAddress: segment.source, highAddress: segment.destination,
                        lowPort: segment.sourcePort, highPort: segment.destinationPort, vlan: vlan)
            : self.hash(lowAddress: segment.destination, highAddress: segment.source,
                        lowPort: segment.destinationPort, highPort: segment.sourcePort, vlan: vlan)
        return UInt32(truncatingIfNeeded: hash >> 32)
    }
}
