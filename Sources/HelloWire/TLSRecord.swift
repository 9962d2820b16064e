/// TLS record content types (RFC 8446 §5.1).
public enum ContentType: UInt8, Sendable {
    case changeCipherSpec = 20
    case alert = 21
    case handshake = 22
    case applicationData = 23
    case heartbeat = 24
}

/// The 5-byte TLS record header (RFC 8446 §5.1). Does not decrypt or check the MAC.
public struct TLSRecordHeader: Sendable, Equatable {
    public static let size = 5
    /// RFC 8446 §5.2: ciphertext may exceed 2^14 by at most 256 bytes; RFC 5246 allowed 2048.
    public static let maximumLength = 16384 + 2048

    public var contentType: ContentType
    public var version: TLSVersion
    public var length: Int

    /// Decodes a header at `offset`: `nil` when the bytes are not a TLS record header
    /// (unknown content type, major version not 3, or an impossible length).
    public init?(decoding span: borrowing RawSpan, at offset: Int) {
        guard offset >= 0, offset + Self.size <= span.byteCount else { return nil }
        guard let type = ContentType(rawValue: span.loadUInt8(offset)) else { return nil }
        let version = span.loadUInt16(offset + 1)
        guard version >> 8 == 3, version & 0xff <= 4 else { return nil }
        let length = Int(span.loadUInt16(offset + 3))
        guard length > 0, length <= Self.maximumLength else { return nil }
        contentType = type
        self.version = TLSVersion(version)
        self.length = length
    }

    /// Whether `span` at `offset` plausibly starts a TLS record, looking at as many of the
    /// first three bytes as are there: what decides if a flow is TLS at all.
    public static func couldStart(_ span: borrowing RawSpan, at offset: Int) -> Bool {
        let available = span.byteCount - offset
        guard available > 0 else { return false }
        guard ContentType(rawValue: span.loadUInt8(offset)) != nil else { return false }
        guard available > 1 else { return true }
        guard span.loadUInt8(offset + 1) == 3 else { return false }
        guard available > 2 else { return true }
        return span.loadUInt8(offset + 2) <= 4
    }
}

/// A TLS alert record's body (RFC 8446 §6).
public struct TLSAlert: Sendable, Equatable {
    public var level: UInt8        // 1 warning, 2 fatal
    public var description: AlertDescription

    public init(level: UInt8, description: AlertDescription) {
        self.level = level
        self.description = description
    }
}

/// Handshake message types that matter before encryption starts (RFC 8446 §4).
public enum HandshakeType: UInt8, Sendable {
    case helloRequest = 0
    case clientHello = 1
    case serverHello = 2
    case newSessionTicket = 4
    case certificate = 11
    case serverKeyExchange = 12
    case certificateRequest = 13
    case serverHelloDone = 14
    case clientKeyExchange = 16
}
