import Testing
@testable import HelloFlows
import HelloWire
import FrameTestSupport

@Suite struct FlowTableTests {
    /// A key the tests know, as an attacker would know an unkeyed hash.
    let known = FlowHashKey(seed: 1)

    func key(_ index: Int) -> FlowKey {
        FlowKey(lowAddress: IPAddress(ipv4: 0x0a00_0000 + UInt32(index)), highAddress: IPAddress(ipv4: 0x0ad5_0001),
                lowPort: UInt16(1024 + index % 60_000), highPort: 443, vlan: 0)
    }

    /// `count` keys whose hashes fall in the lowest (or highest) 1/512 of the range: at every
    /// table size their homes lie within the first (or last) 1/512 of the slots, so they make
    /// long probe runs at slot 0 (or wrapping past the last slot into slot 0). These are the
    /// flows that growing in place cannot move on its way down and must set aside.
    func clusteredKeys(_ count: Int, high: Bool, from start: Int) -> [FlowKey] {
        var keys: [FlowKey] = []
        var index = start
        while keys.count < count {
            let candidate = key(index)
            let top = known.hash(candidate) >> 32
            if high ? top >= UInt64(UInt32.max) - (1 << 23) : top < (1 << 23) { keys.append(candidate) }
            index += 1
        }
        return keys
    }

    @Test("the table grows with its flows up to its final size and keeps every flow")
    func growthKeepsEveryFlow() {
        let cap = 100_000
        var table = FlowTable(maximumFlows: cap)
        let initial = table.slotCount, final = table.finalSlotCount
        #expect(initial == FlowTable.initialSlots)
        var sizes = [initial]
        for index in 0 ..< cap {
            let (slot, found) = table.find(key(index))
            #expect(!found)
            _ = table.insert(key(index), at: slot)
            if table.slotCount != sizes.last { sizes.append(table.slotCount) }
        }
        #expect(sizes.last == final)
        #expect(sizes == sizes.sorted())
        let full = table.isFull
        #expect(full)
        var missing = 0
        for index in 0 ..< cap where !table.find(key(index)).found { missing += 1 }
        #expect(missing == 0)
        let strangerFound = table.find(key(cap)).found
        #expect(!strangerFound)
    }

    @Test("flows in long probe runs at slot 0 and wrapping past the last slot survive every growth, and removal after it")
    func growthInPlaceKeepsClusteredFlows() {
        let low = clusteredKeys(600, high: false, from: 0)
        let high = clusteredKeys(600, high: true, from: 10_000_000)
        let spread = (0 ..< 15_000).map { key(20_000_000 + $0) }
        // Interleaved, so that the clusters are already long when the table grows.
        var keys: [FlowKey] = []
        for index in 0 ..< spread.count {
            keys.append(spread[index])
            if index < low.count { keys.append(low[index]); keys.append(high[index]) }
        }
        var table = FlowTable(maximumFlows: 40_000, hashKey: known)
        var growths = 0
        for key in keys {
            let before = table.slotCount
            let (slot, found) = table.find(key)
            #expect(!found)
            _ = table.insert(key, at: slot)
            if table.slotCount != before { growths += 1 }
        }
        #expect(growths >= 3)
        #expect(table.slotCount == table.finalSlotCount)
        #expect(table.count == keys.count)
        #expect(keys.filter { !table.find($0).found }.isEmpty)
        // Backward-shift deletion relies on every flow sitting in the probe run of its home.
        for key in keys.enumerated().filter({ $0.offset % 2 == 0 }).map(\.element) {
            let (slot, found) = table.find(key)
            #expect(found)
            table.remove(slot)
        }
        let kept = keys.enumerated().filter { $0.offset % 2 == 1 }.map(\.element)
        let removed = keys.enumerated().filter { $0.offset % 2 == 0 }.map(\.element)
        #expect(table.count == kept.count)
        #expect(kept.filter { !table.find($0).found }.isEmpty)
        #expect(removed.filter { table.find($0).found }.isEmpty)
    }

    @Test("flows aimed at one slot under a known hash key spread out under the table's own")
    func keyedHashDefeatsAimedFlows() {
        // 2 000 flows whose hashes under `known` lie in the lowest 1/512 of the range: as an
        // unkeyed hash let anyone pick them.
        let aimed = clusteredKeys(2_000, high: false, from: 0)
        var exposed = FlowTable(maximumFlows: 262_144, hashKey: known)
        var secret = FlowTable(maximumFlows: 262_144, hashKey: FlowHashKey(seed: 2))
        var chosenAtRandom = FlowTable(maximumFlows: 262_144)
        for key in aimed {
            _ = exposed.insert(key, at: exposed.find(key).slot)
            _ = secret.insert(key, at: secret.find(key).slot)
            _ = chosenAtRandom.insert(key, at: chosenAtRandom.find(key).slot)
        }
        let exposedLongest = aimed.map { exposed.probes($0) }.max() ?? 0
        let secretLongest = aimed.map { secret.probes($0) }.max() ?? 0
        let exposedTotal = aimed.reduce(0) { $0 + exposed.probes($1) }
        let secretTotal = aimed.reduce(0) { $0 + secret.probes($1) }
        let randomTotal = aimed.reduce(0) { $0 + chosenAtRandom.probes($1) }
        // Under the known key they pile up in one run: the last of them walks nearly all of it.
        #expect(exposedLongest > 1_500)
        #expect(exposedTotal > 1_000_000)
        // Under a key the sender does not know, the same flows spread over the table: short runs.
        #expect(secretLongest < 64)
        #expect(secretTotal < 2 * aimed.count)
        // A key drawn at random differs per run: only the average is sure to be short.
        #expect(randomTotal < 4 * aimed.count)
        // Each table draws its own key.
        let first = FlowHashKey.random(), second = FlowHashKey.random()
        #expect(aimed.prefix(8).map { first.hash($0) } != aimed.prefix(8).map { second.hash($0) })
    }
}

/// The reader places each segment as it decodes it (`FrameDecoder(linkType:placing:)`); the
/// tracker finds and moves flows by their keys (`FlowHashKey.placement`). A segment placed one
/// way and looked up the other would miss its flow, or open a second one.
@Suite struct DecodedPlacementTests {
    @Test("a decoder placing flows gives every segment but a bare one its key's placement, either way round")
    func decoderPlacesAsTheTableDoes() {
        var random = XorShift(seed: 0x91ace)
        let key = FlowHashKey(seed: 19)
        let placing = FrameDecoder(linkType: .ethernet, placing: key.flowHash)
        let plain = FrameDecoder(linkType: .ethernet)
        func address(_ v6: Bool) -> String {
            v6 ? "2001:db8:\(random.below(3)):\(String(random.below(65_536), radix: 16))::\(random.below(4) + 1)"
                : "10.\(random.below(3)).\(random.below(256)).\(random.below(4) + 1)"
        }
        let flags: [UInt8] = [TCPFlag.ack, TCPFlag.syn, TCPFlag.syn | TCPFlag.ack, TCPFlag.psh | TCPFlag.ack, TCPFlag.fin | TCPFlag.ack, TCPFlag.rst]
        var placed = 0, bare = 0
        for _ in 0 ..< 4_000 {
            let v6 = random.below(3) == 0
            let (source, destination) = (address(v6), address(v6))
            // Ports often equal, so that the order of the endpoints falls to the port, or to nothing.
            let sourcePort = UInt16(random.below(4) == 0 ? 443 : 1 + random.below(65_535))
            let destinationPort = UInt16(random.below(2) == 0 ? 443 : 1 + random.below(65_535))
            let payload: [UInt8] = random.below(2) == 0 ? [] : [0x16, 0x03, 0x01]
            let tcp = FrameBuilder.tcp(sourcePort, destinationPort, sequence: UInt32(random.below(1 << 30)),
                                       flags: flags[random.below(flags.count)], payload)
            let packet = v6 ? FrameBuilder.ipv6(source, destination, nextHeader: 6, tcp)
                : FrameBuilder.ipv4(source, destination, protocol: 6, tcp)
            let tags: [(tpid: UInt16, id: UInt16)] = (0 ..< random.below(3)).map { _ in (0x8100, UInt16(1 + random.below(4_000))) }
            var frame = FrameBuilder.ethernet(v6 ? 0x86dd : 0x0800, packet, tags: tags)
            // Some inside a VXLAN tunnel: the inner flow is the one placed.
            if random.below(4) == 0 {
                frame = FrameBuilder.ethernet(0x0800, FrameBuilder.ipv4("192.0.2.1", "192.0.2.2", protocol: 17,
                                                                        FrameBuilder.udp(50_000, FrameDecoder.vxlanPort, FrameBuilder.vxlan(vni: 7, frame))))
            }
            guard case .segment(let segment) = placing.decode(frame.span.bytes),
                  case .segment(let unplaced) = plain.decode(frame.span.bytes) else {
                Issue.record("not decoded as a segment")
                return
            }
            var expected = unplaced
            if !unplaced.isBare { expected.flowPlacement = key.placement(FlowKey.of(unplaced).key) }
            #expect(segment.flowPlacement == expected.flowPlacement)
            if case .segment(let byPlacer) = FlowPlacer(hashKey: key).place(.segment(unplaced)) {
                #expect(byPlacer.flowPlacement == segment.flowPlacement)
            }
            if unplaced.isBare { bare += 1 } else { placed += 1 }
        }
        #expect(placed > 2_000 && bare > 200)
    }
}
