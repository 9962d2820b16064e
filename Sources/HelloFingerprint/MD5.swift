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

    /// Per-step left rotations, four per round (RFC 1321 §3.4).
    private static let shifts: [UInt32] = [7, 12, 17, 22, 5, 9, 14, 20, 4, 11, 16, 23, 6, 10, 15, 21]

    /// T[i] = floor(2^32 × |sin(i + 1)|), as the RFC defines the table.
    private static let sines: [UInt32] = (0 ..< 64).map { UInt32(truncatingIfNeeded: Int64(abs(sin(Double($0 + 1))) * 4_294_967_296)) }

    private static func compress(_ state: inout (UInt32, UInt32, UInt32, UInt32), _ block: UnsafeRawBufferPointer) {
        let shifts = Self.shifts, sines = Self.sines
        var words = InlineArray<16, UInt32>(repeating: 0)
        for index in 0 ..< 16 { words[index] = UInt32(littleEndian: block.loadUnaligned(fromByteOffset: index * 4, as: UInt32.self)) }
        var (a, b, c, d) = state
        for step in 0 ..< 64 {
            let mixed: UInt32, word: Int
            switch step >> 4 {
            case 0: mixed = (b & c) | (~b & d); word = step
            case 1: mixed = (d & b) | (~d & c); word = (5 * step + 1) & 15
            case 2: mixed = b ^ c ^ d; word = (3 * step + 5) & 15
            default: mixed = c ^ (b | ~d); word = (7 * step) & 15
            }
            let sum = a &+ mixed &+ sines[step] &+ words[word]
            let shift = shifts[(step >> 4) << 2 | (step & 3)]
            (a, d, c) = (d, c, b)
            b = b &+ (sum << shift | sum >> (32 - shift))
        }
        state = (state.0 &+ a, state.1 &+ b, state.2 &+ c, state.3 &+ d)
    }
}
