/// ClientHello (RFC 8446 §4.1.2, RFC 5246 §7.4.1.2): the body of a complete handshake
/// message, decoded in place. Ranges index the span it was decoded from. Does not find the
/// message in a stream (see `HandshakeScanner`) and does not judge the versions it offers.
public struct ClientHello: Sendable, Equatable {
    public var legacyVersion: TLSVersion
    public var random: Range<Int>
    public var sessionID: Range<Int>
    public var cipherSuites: Range<Int>          // 2-byte entries (3-byte for SSLv2 format)
    public var compressionMethods: Range<Int>
    public var extensions: HelloExtensions
    /// An SSLv2-format CLIENT-HELLO (pure SSLv2, or SSLv2-compatible offering SSLv3+).
    public var isSSLv2Format = false

    /// Decodes the handshake body `body` (after the 4-byte handshake header). The outer
    /// length said the message is complete, so any inner shortfall is `malformed`.
    public init(decoding span: borrowing RawSpan, body: Range<Int>) throws(DecodeError) {
        var cursor = ByteCursor(body)
        do {
            legacyVersion = TLSVersion(try cursor.readUInt16(span))
            random = try cursor.take(32)
        } catch {
            throw .malformed(at: cursor.offset, field: "client_hello.random")
        }
        sessionID = try cursor.readBoundedVector(span, prefixBytes: 1, field: "session_id")
        guard sessionID.count <= 32 else { throw .malformed(at: sessionID.lowerBound, field: "session_id") }
        cipherSuites = try cursor.readBoundedVector(span, prefixBytes: 2, field: "cipher_suites")
        guard cipherSuites.count % 2 == 0, !cipherSuites.isEmpty else {
            throw .malformed(at: cipherSuites.lowerBound, field: "cipher_suites")
        }
        compressionMethods = try cursor.readBoundedVector(span, prefixBytes: 1, field: "compression_methods")
        // SSLv3 and early TLS hellos may end here (RFC 5246 §7.4.1.2). Assigned once, as in
        // `ServerHello`: a blank block and then the decoded one were two copies.
        if cursor.isAtEnd {
            extensions = HelloExtensions(noneAt: cursor.offset)
        } else {
            let block = try cursor.readBoundedVector(span, prefixBytes: 2, field: "extensions")
            extensions = HelloExtensions(decoding: span, block: block, isClient: true)
            guard cursor.isAtEnd else { throw .malformed(at: cursor.offset, field: "trailing bytes") }
        }
    }

    /// SSLv2 CLIENT-HELLO (draft-hickman-netscape-ssl-00 §C), `message` starting at the
    /// message type byte and ending where the 2-byte record header said.
    public init(decodingSSLv2 span: borrowing RawSpan, message: Range<Int>) throws(DecodeError) {
        var cursor = ByteCursor(message)
        do {
            guard try cursor.readUInt8(span) == 1 else { throw DecodeError.malformed(at: message.lowerBound, field: "msg_type") }
            legacyVersion = TLSVersion(try cursor.readUInt16(span))
            let cipherLength = Int(try cursor.readUInt16(span))
            let sessionLength = Int(try cursor.readUInt16(span))
            let challengeLength = Int(try cursor.readUInt16(span))
            guard cipherLength % 3 == 0, cipherLength > 0, sessionLength <= 32,
                  challengeLength >= 16, challengeLength <= 32 else {
                throw DecodeError.malformed(at: cursor.offset, field: "sslv2 lengths")
            }
            cipherSuites = try cursor.take(cipherLength)
            sessionID = try cursor.take(sessionLength)
            random = try cursor.take(challengeLength)
        } catch {
            throw .malformed(at: cursor.offset, field: "sslv2 client_hello")
        }
        compressionMethods = cursor.offset ..< cursor.offset
        extensions = HelloExtensions()
        isSSLv2Format = true
    }

    /// The versions on offer, GREASE removed, summarised without allocating: from
    /// `supported_versions` when present (RFC 8446 §4.2.1), else the legacy version alone.
    public func offeredVersions(_ span: borrowing RawSpan) -> OfferedVersions {
        var offer = OfferedVersions()
        if let list = extensions.supportedVersions {
            offer.fromSupportedVersions = true
            var offset = list.lowerBound
            while offset + 2 <= list.upperBound {
                let version = TLSVersion(span.loadUInt16(offset))
                if !version.isGREASE { offer.add(version) }
                offset += 2
            }
        } else {
            offer.add(legacyVersion)
        }
        return offer
    }
}

/// A ClientHello's offered versions, in order, without heap storage. Keeps the first
/// `capacity` entries; `maximum` and `minimum` account for all of them.
public struct OfferedVersions: Sendable, Equatable {
    public static let capacity = 12
    public var count = 0
    public var stored = 0
    public var maximum: TLSVersion?
    public var minimum: TLSVersion?
    public var fromSupportedVersions = false
    private var codes: (UInt16, UInt16, UInt16, UInt16, UInt16, UInt16,
                        UInt16, UInt16, UInt16, UInt16, UInt16, UInt16) = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)

    public init() {}

    public mutating func add(_ version: TLSVersion) {
        count += 1
        if maximum.map({ version > $0 }) ?? true { maximum = version }
        if minimum.map({ version < $0 }) ?? true { minimum = version }
        guard stored < Self.capacity else { return }
        withUnsafeMutableBytes(of: &codes) { $0.storeBytes(of: version.rawValue, toByteOffset: stored * 2, as: UInt16.self) }
        stored += 1
    }

    public subscript(index: Int) -> TLSVersion {
        precondition(index < stored)
        return withUnsafeBytes(of: codes) { TLSVersion($0.load(fromByteOffset: index * 2, as: UInt16.self)) }
    }

    public var versions: [TLSVersion] { (0 ..< stored).map { self[$0] } }

    /// Whether any offered version ranks at or above `threshold`.
    public func includes(atLeast threshold: TLSVersion) -> Bool {
        maximum.map { $0 >= threshold } ?? false
    }

    public static func == (lhs: OfferedVersions, rhs: OfferedVersions) -> Bool {
        lhs.versions == rhs.versions && lhs.count == rhs.count && lhs.fromSupportedVersions == rhs.fromSupportedVersions
    }
}

extension ClientHello {
    /// This hello as decoded from the same bytes lying `delta` bytes further on.
    public func moved(by delta: Int) -> ClientHello {
        var moved = self
        moved.random = random.moved(by: delta)
        moved.sessionID = sessionID.moved(by: delta)
        moved.cipherSuites = cipherSuites.moved(by: delta)
        moved.compressionMethods = compressionMethods.moved(by: delta)
        moved.extensions = extensions.moved(by: delta)
        return moved
    }

    /// Calls `body` with each run of this hello's bytes that neither its decode nor any reader
    /// of what it decoded looks at, in order: the random, the session id, each key share's key,
    /// and the insides of extensions whose bodies are not read (`HelloExtensions.readsBody`).
    /// Two hellos that differ only there decode to the same values at the same offsets.
    /// False, having stopped, when `body` does, or when the hello has no such plain shape (an
    /// SSLv2 hello, or one whose extensions did not decode cleanly).
    public func forEachOpaqueRange(_ span: borrowing RawSpan, _ body: (Range<Int>) -> Bool) -> Bool {
        guard !isSSLv2Format, extensions.framingError == nil, extensions.malformedExtensions == 0 else { return false }
        guard body(random), sessionID.isEmpty || body(sessionID) else { return false }
        var cursor = ByteCursor(extensions.all)
        while !cursor.isAtEnd {
            guard let type = try? cursor.readUInt16(span), let inside = try? cursor.readVector(span, prefixBytes: 2) else {
                return false
            }
            if type == ExtensionType.keyShare {
                guard inside.count >= 2 else { return false }
                var entries = ByteCursor(inside.lowerBound + 2 ..< inside.upperBound)
                while !entries.isAtEnd {
                    guard (try? entries.readUInt16(span)) != nil, let key = try? entries.readVector(span, prefixBytes: 2) else {
                        return false
                    }
                    if !key.isEmpty && !body(key) { return false }
                }
            } else if !HelloExtensions.readsBody(of: type, isClient: true) && !inside.isEmpty && !body(inside) {
                return false
            }
        }
        return true
    }
}

extension Range<Int> {
    /// The same count of bytes, `delta` further on (a decoded value's offsets, for the same
    /// bytes at another place).
    @inlinable
    public func moved(by delta: Int) -> Range<Int> { lowerBound + delta ..< upperBound + delta }
}
