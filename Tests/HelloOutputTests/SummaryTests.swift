import FrameTestSupport
import Testing
@testable import HelloOutput

/// The summary lists the first endpoints to act on without sorting them all: what it picks
/// must be what sorting would have put first, equal ones included.
@Suite struct SummaryTests {
    @Test("the first k by an order are the sorted prefix, ties in input order, for every k and size")
    func smallestIsTheSortedPrefix() {
        var random = XorShift(seed: 20261206)
        for _ in 0 ..< 300 {
            let size = random.below(61)
            // Few distinct keys, so ties are common; the position tells equal keys apart.
            let keys = (0 ..< size).map { _ in random.below(13) }
            let elements = Array(keys.enumerated())
            for count in [0, 1, 2, 19, 20, 21, size, size + 5] {
                let picked = smallest(count, of: elements, by: { $0.element < $1.element })
                let expected = elements.sorted { $0.element < $1.element }.prefix(count)   // stable
                #expect(picked.map(\.offset) == expected.map(\.offset), "size \(size), count \(count), keys \(keys)")
            }
        }
    }

    @Test("input already in order, and in reverse order")
    func orderedAndReversedInputs() {
        let ascending = Array(0 ..< 100)
        #expect(smallest(20, of: ascending, by: <) == Array(0 ..< 20))
        #expect(smallest(20, of: ascending.reversed(), by: <) == Array(0 ..< 20))
        #expect(smallest(20, of: ascending, by: >) == Array((80 ..< 100).reversed()))
    }
}
