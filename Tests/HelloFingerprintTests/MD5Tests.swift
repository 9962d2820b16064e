import Crypto
@testable import HelloFingerprint
import Testing

/// The MD5 that JA3 and JA3S are hashed with, against RFC 1321's test suite (appendix A.5)
/// and against swift-crypto's `Insecure.MD5` on every length across the padding edges.
@Suite struct MD5Tests {
    static func hex(_ text: [UInt8]) -> String {
        var out = [UInt8](repeating: 0, count: 32)
        let written = text.withUnsafeBytes { bytes in out.withUnsafeMutableBufferPointer { MD5.hex(bytes, into: $0) } }
        return String(decoding: out[0 ..< written], as: UTF8.self)
    }

    @Test(arguments: [
        ("", "d41d8cd98f00b204e9800998ecf8427e"),
        ("a", "0cc175b9c0f1b6a831c399e269772661"),
        ("abc", "900150983cd24fb0d6963f7d28e17f72"),
        ("message digest", "f96b697d7cb7938d525a2f31aaf161d0"),
        ("abcdefghijklmnopqrstuvwxyz", "c3fcd3d76192e4007dfb496cca67e13b"),
        ("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", "d174ab98d277d9f5a5611c2c9f419d9f"),
        (String(repeating: "1234567890", count: 8), "57edf4a22be3c955ac49da2e2107b67a"),
    ])
    func rfc1321TestSuite(input: String, digest: String) {
        #expect(Self.hex(Array(input.utf8)) == digest)
    }

    @Test("every length from 0 to 300 bytes (one, two and more blocks, both tail cases) agrees with Insecure.MD5")
    func agreesWithSwiftCrypto() {
        for length in 0 ... 300 {
            // Bytes that differ with the length and the position, the same on every run.
            let bytes = (0 ..< length).map { UInt8(truncatingIfNeeded: $0 &* 167 &+ length &* 31 &+ ($0 >> 3)) }
            let reference = Insecure.MD5.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
            #expect(Self.hex(bytes) == reference, "length \(length)")
        }
    }
}
