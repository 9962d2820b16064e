import HelloFingerprint
import HelloWire

/// What the library makes of one ClientHello handshake message (header included).
struct ClientResult {
    var ja3: JA3?
    var ja4: JA4?
    var offered: [CipherSuite]
}

func fingerprintClient(_ message: [UInt8]) throws -> ClientResult {
    let span = message.span.bytes
    let hello = try ClientHello(decoding: span, body: 4 ..< message.count)
    return ClientResult(
        ja3: JA3(hello: hello, in: span), ja4: JA4(hello: hello, in: span),
        offered: CipherAudit.offeredSuites(hello: hello, in: span))
}

func fingerprintServer(_ message: [UInt8]) throws -> (ja3s: JA3S?, hello: ServerHello) {
    let span = message.span.bytes
    let hello = try ServerHello(decoding: span, body: 4 ..< message.count)
    return (JA3S(hello: hello, in: span), hello)
}

/// A ClientHello handshake message built from parts, for the specifications' examples
/// (which publish lists, not bytes). `extensions: nil` leaves the block out entirely.
func syntheticClientHello(version: UInt16, ciphers: [UInt16], extensions: [(UInt16, [UInt8])]?) -> [UInt8] {
    var body: [UInt8] = be16(version) + [UInt8](repeating: 0x11, count: 32) + [0]
    body += be16(UInt16(ciphers.count * 2)) + ciphers.flatMap(be16) + [1, 0]
    if let extensions {
        let block = extensions.flatMap { be16($0.0) + be16(UInt16($0.1.count)) + $0.1 }
        body += be16(UInt16(block.count)) + block
    }
    return [1, 0, UInt8(body.count >> 8), UInt8(body.count & 0xff)] + body
}

func be16(_ value: UInt16) -> [UInt8] { [UInt8(value >> 8), UInt8(value & 0xff)] }

/// A 2-byte-length-prefixed list of 2-byte values (supported_groups, signature_algorithms).
func list16(_ values: [UInt16]) -> [UInt8] { be16(UInt16(values.count * 2)) + values.flatMap(be16) }
