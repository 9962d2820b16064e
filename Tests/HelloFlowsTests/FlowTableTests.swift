import Testing
@testable import HelloFlows
import HelloWire

@Suite struct FlowTableTests {
    func key(_ index: Int) -> FlowKey {
        FlowKey(lowAddress: IPAddress(ipv4: 0x0a00_0000 + UInt32(index)), highAddress: IPAddress(ipv4: 0x0ad5_0001),
                lowPort: UInt16(1024 + index % 60_000), highPort: 443, vlan: 0)
    }

    @Test("the table grows with its flows, never holds more than 1.5 final tables while growing, and keeps every flow")
    func growthStaysWithinItsBudget() {
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
        for (old, new) in zip(sizes, sizes.dropFirst()) {
            #expect(2 * (old + new) <= 3 * final, "growing \(old) → \(new) of \(final)")
        }
        let full = table.isFull
        #expect(full)
        var missing = 0
        for index in 0 ..< cap where !table.find(key(index)).found { missing += 1 }
        #expect(missing == 0)
        let strangerFound = table.find(key(cap)).found
        #expect(!strangerFound)
    }
}
