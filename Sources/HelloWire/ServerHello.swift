/// ServerHello (RFC 8446 §4.1.3, RFC 5246 §7.4.1.3), decoded in place from a complete
/// handshake body. Recognises a HelloRetryRequest by its fixed random. Does not decide
/// early TLS; `negotiatedVersion` only applies RFC 8446's rule for which field counts.
public struct ServerHello: Sendable {
    /// SHA-256("HelloRetryRequest"), RFC 8446 §4.1.3.
    public static let helloRetryRandom: [UInt8] = [
        0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
        0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
    ]

    public var legacyVersion: TLSVersion
    public var random: Range<Int>
    public var sessionID: Range<Int>
    public var cipherSuite: CipherSuite
    public var compressionMethod: UInt8
    public var extensions: HelloExtensions
    public var selectedVersion: TLSVersion?
    public var isHelloRetryRequest: Bool
    /// An SSLv2 SERVER-HELLO: SSLv2 was negotiated.
    public var isSSLv2 = false

    public init(decoding span: borrowing RawSpan, body: Range<Int>) throws(DecodeError) {
        var cursor = ByteCursor(body)
        do {
            legacyVersion = TLSVersion(try cursor.readUInt16(span))
            random = try cursor.take(32)
        } catch {
            throw .malformed(at: cursor.offset, field: "server_hello.random")
        }
        // TLS 1.3 drafts up to 21 put the draft in `version` and dropped the session id and
        // compression fields (draft-ietf-tls-tls13-18 §4.1.3); draft 22 brought them back.
        let isEarlyDraft = legacyVersion.isTLS13Draft
        if isEarlyDraft {
            sessionID = cursor.offset ..< cursor.offset
        } else {
            sessionID = try cursor.readBoundedVector(span, prefixBytes: 1, field: "session_id")
            guard sessionID.count <= 32 else { throw .malformed(at: sessionID.lowerBound, field: "session_id") }
        }
        do {
            cipherSuite = CipherSuite(try cursor.readUInt16(span))
            compressionMethod = isEarlyDraft ? 0 : try cursor.readUInt8(span)
        } catch {
            throw .malformed(at: cursor.offset, field: "cipher_suite")
        }
        // Assigned once: a blank block first and then the decoded one was two copies of a
        // 250-byte value (perf: `memmove` under this initialiser, 3 % of the tracking thread).
        if cursor.isAtEnd {
            extensions = HelloExtensions(noneAt: cursor.offset)
        } else {
            let block = try cursor.readBoundedVector(span, prefixBytes: 2, field: "extensions")
            extensions = HelloExtensions(decoding: span, block: block, isClient: false)
            guard cursor.isAtEnd else { throw .malformed(at: cursor.offset, field: "trailing bytes") }
        }
        selectedVersion = extensions.supportedVersions.map { TLSVersion(span.loadUInt16($0.lowerBound)) }
        var isRetry = true
        for index in 0 ..< 32 where span.loadUInt8(random.lowerBound + index) != Self.helloRetryRandom[index] {
            isRetry = false
            break
        }
        isHelloRetryRequest = isRetry
    }

    /// SSLv2 SERVER-HELLO (draft-hickman-netscape-ssl-00 §C): `message` from the type byte.
    public init(decodingSSLv2 span: borrowing RawSpan, message: Range<Int>) throws(DecodeError) {
        var cursor = ByteCursor(message)
        do {
            guard try cursor.readUInt8(span) == 4 else { throw DecodeError.malformed(at: message.lowerBound, field: "msg_type") }
            _ = try cursor.readUInt8(span)            // session id hit
            _ = try cursor.readUInt8(span)            // certificate type
            legacyVersion = TLSVersion(try cursor.readUInt16(span))
            let certificateLength = Int(try cursor.readUInt16(span))
            let cipherLength = Int(try cursor.readUInt16(span))
            let connectionLength = Int(try cursor.readUInt16(span))
            guard cipherLength % 3 == 0 else { throw DecodeError.malformed(at: cursor.offset, field: "cipher_specs") }
            try cursor.skip(certificateLength)
            let ciphers = try cursor.take(cipherLength)
            sessionID = try cursor.take(connectionLength)
            // SSLv2 cipher kinds are 3 bytes; keep the low 16 bits of the first for display.
            cipherSuite = CipherSuite(ciphers.isEmpty ? 0 : span.loadUInt16(ciphers.lowerBound + 1))
        } catch {
            throw .malformed(at: cursor.offset, field: "sslv2 server_hello")
        }
        random = sessionID
        compressionMethod = 0
        extensions = HelloExtensions()
        selectedVersion = nil
        isHelloRetryRequest = false
        isSSLv2 = true
    }

    /// `supported_versions` when present, else `legacy_version` (RFC 8446 §4.2.1); SSLv2
    /// for an SSLv2 SERVER-HELLO whatever its version field says.
    public var negotiatedVersion: TLSVersion {
        isSSLv2 ? .sslv2 : (selectedVersion ?? legacyVersion)
    }
}
