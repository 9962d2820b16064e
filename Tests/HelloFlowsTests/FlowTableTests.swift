import Testing
@testable import HelloFlows
import HelloWire

@Suite struct FlowTableTests {
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
            let top = candidate.slotHash >> 32
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
        var table = FlowTable(maximumFlows: 40_000)
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
}
