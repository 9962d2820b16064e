import Testing
import HelloFlows

/// `ShortBytes` keeps bytes a hello carries past its packet (SNI, ALPN, session id): copied
/// from anywhere in a frame, cut at its capacity, and saying whether it cut.
@Suite struct ShortBytesTests {
    @Test(arguments: [0, 1, 7, 8, 31, 32, 33, 40])
    func copiesARangeOfASpanAndCutsAtCapacity(length: Int) {
        let frame = (0 ..< 100).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
        for start in [0, 3, 100 - length] {
            var kept = ShortBytes<32>()
            let whole = frame.withUnsafeBytes { kept.assign($0.bytes, start ..< start + length) }
            let expected = Array(frame[start ..< start + min(length, 32)])
            #expect(whole == (length <= 32))
            #expect(kept.count == expected.count)
            #expect(kept.withBytes { Array($0) } == expected)
        }
    }

    @Test func anEarlierLongerValueLeavesNothingBehind() {
        let frame = Array(repeating: UInt8(ascii: "a"), count: 40) + Array("b.example".utf8)
        var kept = ShortBytes<32>()
        frame.withUnsafeBytes { _ = kept.assign($0.bytes, 0 ..< 40) }
        frame.withUnsafeBytes { _ = kept.assign($0.bytes, 40 ..< 49) }
        #expect(kept.string == "b.example")
    }
}
