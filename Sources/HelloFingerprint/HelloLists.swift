import HelloWire

/// The 2-byte lists a fingerprint needs, copied out of a hello once (fingerprints run once
/// per session, never per packet). Everything here is in wire order with GREASE (RFC 8701)
/// still in; each fingerprint drops it where its specification says.
struct HelloLists {
    var cipherSuites: [UInt16] = []
    var extensionTypes: [UInt16] = []

    /// Walks a TLS-format ClientHello's cipher suites and its extensions block.
    init(client hello: ClientHello, in span: borrowing RawSpan) {
        cipherSuites = Self.uint16s(span, hello.cipherSuites)
        extensionTypes = Self.extensionTypes(span, hello.extensions.all)
    }

    /// The extension types of `block` (the bytes after the 2-byte extensions length), in
    /// wire order. Stops where `HelloExtensions` stops: at a broken header or length, or
    /// after `HelloExtensions.maximumCount` extensions, so both read the same list.
    static func extensionTypes(_ span: borrowing RawSpan, _ block: Range<Int>) -> [UInt16] {
        var types: [UInt16] = []
        types.reserveCapacity(24)
        var cursor = ByteCursor(block)
        while !cursor.isAtEnd, types.count < HelloExtensions.maximumCount {
            guard cursor.remaining >= 4, let type = try? cursor.readUInt16(span),
                  (try? cursor.readVector(span, prefixBytes: 2)) != nil else { break }
            types.append(type)
        }
        return types
    }

    /// Big-endian 2-byte values of `range`; an odd last byte is ignored.
    static func uint16s(_ span: borrowing RawSpan, _ range: Range<Int>?) -> [UInt16] {
        guard let range else { return [] }
        var values: [UInt16] = []
        values.reserveCapacity(range.count / 2)
        var offset = range.lowerBound
        // `offset + 2 <= upperBound` keeps every load inside `range`, which the decoder
        // took from the span.
        while offset + 2 <= range.upperBound {
            values.append(span.loadUInt16(offset))
            offset += 2
        }
        return values
    }

    /// Single bytes of `range` (EC point formats).
    static func bytes(_ span: borrowing RawSpan, _ range: Range<Int>?) -> [UInt8] {
        guard let range else { return [] }
        return range.map { span.loadUInt8($0) }
    }
}

/// RFC 8701 GREASE for any 2-byte code point (cipher suite, extension, group, signature
/// algorithm, version): 0x?a?a with equal bytes.
@inline(__always)
func isGREASE(_ value: UInt16) -> Bool { TLSVersion(value).isGREASE }

private let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

/// Four lower-case hex digits, no prefix: the form JA4 lists use.
func hex4(_ value: UInt16) -> String {
    String(unsafeUninitializedCapacity: 4) { buffer in
        buffer[0] = hexDigits[Int(value >> 12)]
        buffer[1] = hexDigits[Int(value >> 8 & 0xf)]
        buffer[2] = hexDigits[Int(value >> 4 & 0xf)]
        buffer[3] = hexDigits[Int(value & 0xf)]
        return 4
    }
}

/// Lower-case hex of a digest.
func hexString<Bytes: Sequence<UInt8>>(_ bytes: Bytes) -> String {
    var text = ""
    text.reserveCapacity(64)
    for byte in bytes {
        text.unicodeScalars.append(Unicode.Scalar(hexDigits[Int(byte >> 4)]))
        text.unicodeScalars.append(Unicode.Scalar(hexDigits[Int(byte & 0xf)]))
    }
    return text
}

extension Array where Element == UInt16 {
    /// GREASE removed.
    var withoutGREASE: [UInt16] { filter { !isGREASE($0) } }

    /// `decimal-decimal-…`, the JA3 list form.
    var ja3List: String { map { String($0) }.joined(separator: "-") }

    /// `hhhh,hhhh,…`, the JA4 list form.
    var ja4List: String { map(hex4).joined(separator: ",") }
}
