import Synchronization
import Testing
@testable import HelloFlows
import HelloWire

/// Notes what the pools ask to have backed; backs nothing.
final class RecordedRequests: PagesAhead {
    let requests = Mutex<[Range<UInt>]>([])

    func back(address: UInt, bytes: Int) {
        requests.withLock { $0.append(address ..< address + UInt(bytes)) }
    }

    var all: [Range<UInt>] { requests.withLock { $0 } }
}

private func address<Element>(_ pointer: UnsafeMutablePointer<Element>) -> UInt { UInt(bitPattern: pointer) }

@Suite("Pages backed ahead of use")
struct PagesAheadTests {
    let slotsPerStep = (2 << 20) / MemoryLayout<SessionRecord>.stride

    @Test("the session pool asks for the next 2 MiB of slots halfway through the 2 MiB in use, never past its capacity")
    func sessionSlots() throws {
        let recorded = RecordedRequests()
        let capacity = slotsPerStep * 2 + slotsPerStep / 4
        var pool = SessionPool(capacity: capacity, pagesAhead: recorded)
        // Traffic whose sessions end one after another uses a few slots: nothing is backed.
        for _ in 0 ..< slotsPerStep / 2 { #expect(pool.take() != nil) }
        #expect(recorded.all.isEmpty)
        #expect(pool.take() != nil)
        let stride = UInt(MemoryLayout<SessionRecord>.stride)
        #expect(recorded.all == [address(pool.pointer(Int32(slotsPerStep))) ..< address(pool.pointer(Int32(2 * slotsPerStep)))])
        // Reused slots are backed already: no request.
        let reused = pool.take()
        pool.release(try #require(reused))
        #expect(pool.take() != nil)
        #expect(recorded.all.count == 1)
        while pool.take() != nil {}
        // Halfway through the second step, the third: cut at the capacity.
        #expect(recorded.all.count == 2)
        #expect(recorded.all.last == address(pool.pointer(Int32(2 * slotsPerStep))) ..< address(pool.pointer(0)) + UInt(capacity) * stride)
    }

    @Test("the flow table asks for its next growth's slots at half load, once per size, before it grows at three quarters")
    func flowSlots() {
        let recorded = RecordedRequests()
        var table = FlowTable(maximumFlows: 40_000, hashKey: FlowHashKey(seed: 7), pagesAhead: recorded)
        let stride = UInt(MemoryLayout<FlowEntry>.stride)
        func key(_ index: Int) -> FlowKey {
            FlowKey(lowAddress: IPAddress(ipv4: 0x0a00_0000 + UInt32(index)), highAddress: IPAddress(ipv4: 0x0ad5_0001),
                    lowPort: 40_000, highPort: 4119, vlan: 0)
        }
        var inserted = 0
        func insert(upTo count: Int) {
            while inserted < count {
                _ = table.insert(key(inserted), at: table.find(key(inserted)).slot)
                inserted += 1
            }
        }
        let initial = FlowTable.initialSlots
        insert(upTo: initial / 2)
        #expect(recorded.all.isEmpty)
        insert(upTo: initial / 2 + 1)
        let base = address(table.pointer(0))
        #expect(recorded.all == [base + UInt(initial) * stride ..< base + UInt(2 * initial) * stride])
        #expect(table.slotCount == initial)
        // Flows that close and open across half load ask once per size, not per crossing.
        for _ in 0 ..< 100 {
            table.remove(table.find(key(inserted - 1)).slot)
            inserted -= 1
            insert(upTo: inserted + 1)
        }
        #expect(recorded.all.count == 1)
        // Every request ahead of a growth lies past the slots in use then, inside the final table.
        insert(upTo: 40_000)
        #expect(table.slotCount == table.finalSlotCount)
        let requests = recorded.all
        #expect(requests.count >= 3)
        for (earlier, later) in zip(requests, requests.dropFirst()) { #expect(earlier.upperBound == later.lowerBound) }
        #expect(requests.last!.upperBound == base + UInt(table.finalSlotCount) * stride)
    }
}
