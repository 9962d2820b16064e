import FrameTestSupport
import HelloFlows
import Testing

/// The inventory's document lists each endpoint's small sets and counts in order through
/// `forEachSorted`, which skips the sort for one member: every size must come out as sorting
/// all of them would.
@Suite struct SmallCollectionsTests {
    @Test("a small set visits each member once, in order, at every size")
    func setVisitsMembersInOrder() {
        var random = XorShift(seed: 41)
        for size in 0 ..< 40 {
            var set = SmallSet<UInt16>()
            var inserted: [UInt16] = []
            for _ in 0 ..< size {
                let member = UInt16(random.below(24))   // repeats, as ports and peers do
                set.insert(member)
                inserted.append(member)
            }
            var visited: [UInt16] = []
            set.forEachSorted { visited.append($0) }
            #expect(visited == Array(Set(inserted)).sorted(), "inserted \(inserted)")
            var descending: [UInt16] = []
            set.forEachSorted(by: >) { descending.append($0) }
            #expect(descending == Array(Set(inserted)).sorted(by: >), "inserted \(inserted)")
        }
    }

    @Test("small counts visit each key once with its total, in the order given")
    func countsVisitKeysInOrder() {
        var random = XorShift(seed: 43)
        for size in 0 ..< 40 {
            var counts = SmallCounts<String>()
            var expected: [String: Int] = [:]
            for _ in 0 ..< size {
                let key = ["TLSv1.0", "TLSv1.2", "TLSv1.3", "SSLv3", "TLSv1.1"][random.below(5)]
                let amount = 1 + random.below(3)
                counts.add(key, amount)
                expected[key, default: 0] += amount
            }
            var visited: [(String, Int)] = []
            counts.forEachSorted(by: <) { visited.append(($0, $1)) }
            #expect(visited.map(\.0) == expected.keys.sorted(), "size \(size)")
            #expect(visited.allSatisfy { expected[$0.0] == $0.1 }, "size \(size): \(visited) against \(expected)")
        }
    }
}
