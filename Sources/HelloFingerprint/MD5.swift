#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// MD5 (RFC 1321) of a buffer, computed in place. JA3 and JA3S are MD5 hex digests, two per
/// session; swift-crypto's `Insecure.MD5` made a heap-allocated context for each and zeroed
/// it three times over, which cost more than the hashing of a 200-byte string. Not for
/// security (JA3 only names a stack); `Insecure.MD5` stays the reference in the tests.
enum MD5 {
    /// The 16-byte digest of `bytes`, as the four state words in order (each little-endian
    /// on the wire).
    static func digest(_ bytes: UnsafeRawBufferPointer) -> (UInt32, UInt32, UInt32, UInt32) {
        var state: (UInt32, UInt32, UInt32, UInt32) = (0x6745_2301, 0xefcd_ab89, 0x98ba_dcfe, 0x1032_5476)
        let whole = bytes.count / 64
        for block in 0 ..< whole {
            compress(&state, UnsafeRawBufferPointer(rebasing: bytes[block * 64 ..< block * 64 + 64]))
        }
        // The tail, the 0x80 marker, zeros, and the length in bits: one or two more blocks.
        var tail = InlineArray<128, UInt8>(repeating: 0)
        let remaining = bytes.count - whole * 64
        let tailBlocks = remaining < 56 ? 1 : 2
        var lengthBits = UInt64(bytes.count) &* 8
        for index in 0 ..< remaining { tail[index] = bytes[whole * 64 + index] }
        tail[remaining] = 0x80
        for index in 0 ..< 8 {
            tail[tailBlocks * 64 - 8 + index] = UInt8(truncatingIfNeeded: lengthBits)
            lengthBits >>= 8
        }
        tail.span.withUnsafeBufferPointer { buffer in
            let raw = UnsafeRawBufferPointer(buffer)
            for block in 0 ..< tailBlocks {
                compress(&state, UnsafeRawBufferPointer(rebasing: raw[block * 64 ..< block * 64 + 64]))
            }
        }
        return state
    }

    /// Lower-case hex of the digest of `bytes` into `out` (32 digits, cut at its size);
    /// returns the digits written.
    static func hex(_ bytes: UnsafeRawBufferPointer, into out: UnsafeMutableBufferPointer<UInt8>) -> Int {
        let words = digest(bytes)
        var at = 0
        func write(_ word: UInt32) {
            for shift in stride(from: 0, to: 32, by: 8) where at + 1 < out.count {
                let byte = UInt8(truncatingIfNeeded: word >> UInt32(shift))
                out[at] = hexDigit(byte >> 4)
                out[at + 1] = hexDigit(byte & 0xf)
                at += 2
            }
        }
        write(words.0)
        write(words.1)
        write(words.2)
        write(words.3)
        return at
    }

    /// T[i] = floor(2^32 × |sin(i + 1)|), as the RFC defines the table.
    private static let sines: [UInt32] = (0 ..< 64).map { UInt32(truncatingIfNeeded: Int64(abs(sin(Double($0 + 1))) * 4_294_967_296)) }

    private static func compress(_ state: inout (UInt32, UInt32, UInt32, UInt32), _ block: UnsafeRawBufferPointer) {
        var words = InlineArray<16, UInt32>(repeating: 0)
        for index in 0 ..< 16 { words[index] = UInt32(littleEndian: block.loadUnaligned(fromByteOffset: index * 4, as: UInt32.self)) }
        var (a, b, c, d) = state
        Self.sines.withUnsafeBufferPointer { sines in
            // One loop per round, so each has its own function and word order (RFC 1321 §3.4).
            @inline(__always) func pick(_ shifts: (UInt32, UInt32, UInt32, UInt32), _ index: Int) -> UInt32 {
                switch index & 3 {
                case 0: shifts.0
                case 1: shifts.1
                case 2: shifts.2
                default: shifts.3
                }
            }
            @inline(__always) func step(_ mixed: UInt32, _ index: Int, _ word: Int, _ shift: UInt32) {
                let sum = a &+ mixed &+ sines[index] &+ words[word]
                (a, d, c) = (d, c, b)
                b = b &+ (sum << shift | sum >> (32 - shift))
            }
            for index in 0 ..< 16 {
                step((b & c) | (~b & d), index, index, pick((7, 12, 17, 22), index))
            }
            for index in 16 ..< 32 {
                step((d & b) | (~d & c), index, (5 * index + 1) & 15, pick((5, 9, 14, 20), index))
            }
            for index in 32 ..< 48 {
                step(b ^ c ^ d, index, (3 * index + 5) & 15, pick((4, 11, 16, 23), index))
            }
            for index in 48 ..< 64 {
                step(c ^ (b | ~d), index, (7 * index) & 15, pick((6, 10, 15, 21), index))
            }
        }
        state = (state.0 &+ a, state.1 &+ b, state.2 &+ c, state.3 &+ d)
    }
}
