/// An IPv4 or IPv6 address as two 64-bit words; IPv4 is stored IPv4-mapped
/// (::ffff:a.b.c.d, RFC 4291 §2.5.5.2) so both families share one key shape.
public struct IPAddress: Hashable, Comparable, Sendable, BitwiseCopyable {
    public var high: UInt64
    public var low: UInt64

    public init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    public init(ipv4: UInt32) {
        high = 0
        low = 0xffff_0000_0000 | UInt64(ipv4)
    }

    public var isIPv4: Bool { high == 0 && low >> 32 == 0xffff }

    public static func < (lhs: IPAddress, rhs: IPAddress) -> Bool {
        (lhs.high, lhs.low) < (rhs.high, rhs.low)
    }

    /// Dotted quad, or RFC 5952 text (longest zero run compressed, lower case).
    public var description: String {
        var bytes = [UInt8]()
        bytes.reserveCapacity(40)
        write(into: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Appends the text form to `out` without building a String.
    public func write(into out: inout [UInt8]) {
        if isIPv4 {
            for shift in stride(from: 24, through: 0, by: -8) {
                writeDecimal(Int((low >> UInt64(shift)) & 0xff), into: &out)
                if shift > 0 { out.append(UInt8(ascii: ".")) }
            }
            return
        }
        var groups: (UInt16, UInt16, UInt16, UInt16, UInt16, UInt16, UInt16, UInt16) = (0, 0, 0, 0, 0, 0, 0, 0)
        withUnsafeMutableBytes(of: &groups) { raw in
            let words = raw.bindMemory(to: UInt16.self)
            for index in 0 ..< 4 {
                words[index] = UInt16(truncatingIfNeeded: high >> UInt64(48 - 16 * index))
                words[index + 4] = UInt16(truncatingIfNeeded: low >> UInt64(48 - 16 * index))
            }
        }
        withUnsafeBytes(of: groups) { raw in
            let words = raw.bindMemory(to: UInt16.self)
            // Longest run of two or more zero groups, first one on a tie (RFC 5952 §4.2).
            var bestStart = -1, bestLength = 0, runStart = -1
            for index in 0 ... 8 {
                if index < 8 && words[index] == 0 {
                    if runStart < 0 { runStart = index }
                } else if runStart >= 0 {
                    if index - runStart > bestLength { bestStart = runStart; bestLength = index - runStart }
                    runStart = -1
                }
            }
            if bestLength < 2 { bestStart = -1 }
            var index = 0
            while index < 8 {
                if index == bestStart {
                    out.append(UInt8(ascii: ":"))
                    if index == 0 { out.append(UInt8(ascii: ":")) }
                    index += bestLength
                    continue
                }
                writeHex(words[index], into: &out)
                if index < 7 { out.append(UInt8(ascii: ":")) }
                index += 1
            }
        }
    }

    /// Parses dotted-quad or IPv6 text; used for configuration and tests, not packets.
    public init?(_ text: String) {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        if parts.count == 4 {
            var value: UInt32 = 0
            for part in parts {
                guard let octet = UInt8(part) else { return nil }
                value = value << 8 | UInt32(octet)
            }
            self.init(ipv4: value)
            return
        }
        let halves = text.components(separatedBy: "::")
        guard halves.count <= 2 else { return nil }
        func groups(_ part: String) -> [UInt16]? {
            if part.isEmpty { return [] }
            var result = [UInt16]()
            for group in part.split(separator: ":", omittingEmptySubsequences: false) {
                guard let value = UInt16(group, radix: 16) else { return nil }
                result.append(value)
            }
            return result
        }
        guard let head = groups(halves[0]) else { return nil }
        var all = head
        if halves.count == 2 {
            guard let tail = groups(halves[1]), head.count + tail.count < 8 else { return nil }
            all += [UInt16](repeating: 0, count: 8 - head.count - tail.count) + tail
        }
        guard all.count == 8 else { return nil }
        var high: UInt64 = 0, low: UInt64 = 0
        for index in 0 ..< 4 {
            high = high << 16 | UInt64(all[index])
            low = low << 16 | UInt64(all[index + 4])
        }
        self.init(high: high, low: low)
    }
}

extension String {
    // `components(separatedBy:)` without Foundation, for the one parser above.
    fileprivate func components(separatedBy separator: String) -> [String] {
        var result = [String]()
        var rest = Substring(self)
        while let range = rest.firstRange(of: separator) {
            result.append(String(rest[..<range.lowerBound]))
            rest = rest[range.upperBound...]
        }
        result.append(String(rest))
        return result
    }
}

/// Appends a non-negative decimal number.
public func writeDecimal(_ value: Int, into out: inout [UInt8]) {
    if value >= 10 { writeDecimal(value / 10, into: &out) }
    out.append(UInt8(ascii: "0") + UInt8(value % 10))
}

/// Appends a hex number without leading zeros (at least one digit), lower case.
public func writeHex(_ value: UInt16, into out: inout [UInt8]) {
    let digits: StaticString = "0123456789abcdef"
    var started = false
    for shift in stride(from: 12, through: 0, by: -4) {
        let nibble = Int((value >> UInt16(shift)) & 0xf)
        if nibble != 0 || started || shift == 0 {
            started = true
            out.append(digits.utf8Start[nibble])
        }
    }
}
