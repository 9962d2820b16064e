/// Extension code points HelloScope reads (IANA "TLS ExtensionType Values").
public enum ExtensionType {
    public static let serverName: UInt16 = 0
    public static let supportedGroups: UInt16 = 10
    public static let ecPointFormats: UInt16 = 11
    public static let signatureAlgorithms: UInt16 = 13
    public static let applicationLayerProtocolNegotiation: UInt16 = 16
    public static let preSharedKey: UInt16 = 41
    public static let supportedVersions: UInt16 = 43
    public static let keyShare: UInt16 = 51
    public static let renegotiationInfo: UInt16 = 0xff01
}

/// The extensions block of a hello, walked in place. Each extension's own structure is
/// checked where we read it; an extension whose inside is wrong is skipped and counted in
/// `malformedExtensions`, so one bad extension does not cost us the hello's versions.
public struct HelloExtensions: Sendable, Equatable {
    /// Why a hello with more extensions is rejected: the registry has far fewer, and a
    /// hostile hello of 1-byte extensions would otherwise cost a long walk per packet.
    public static let maximumCount = 256

    public var all: Range<Int> = 0 ..< 0
    public var count = 0
    public var malformedExtensions = 0
    public var hasGREASE = false
    public var serverName: Range<Int>?            // host_name bytes of the first entry
    public var supportedVersions: Range<Int>?     // ClientHello: 2-byte entries; ServerHello: the one
    public var supportedGroups: Range<Int>?
    public var signatureAlgorithms: Range<Int>?
    public var applicationProtocols: Range<Int>?  // ProtocolNameList contents
    public var keyShare: Range<Int>?              // ClientHello: KeyShareEntry list; ServerHello: entry
    public var ecPointFormats: Range<Int>?
    public var hasRenegotiationInfo = false
    public var hasPreSharedKey = false

    public init() {}

    /// No extensions block: a hello that ends at `offset`, where the block would be (so that
    /// the same hello elsewhere, `moved`, is equal to its decode there).
    public init(noneAt offset: Int) { all = offset ..< offset }

    /// The block's framing broke (an extension header or length ran past the block, or too
    /// many extensions): what came before is kept, nothing after it is trusted.
    public var framingError: DecodeError?

    /// Walks `block` (the bytes after the 2-byte extensions length). A framing error ends
    /// the walk and is kept in `framingError` rather than thrown: the hello's fixed fields
    /// (its versions) are still worth reporting, as tshark does.
    public init(decoding span: borrowing RawSpan, block: Range<Int>, isClient: Bool) {
        all = block
        var cursor = ByteCursor(block)
        while !cursor.isAtEnd {
            guard count < Self.maximumCount else {
                framingError = .malformed(at: cursor.offset, field: "extension count")
                return
            }
            guard cursor.remaining >= 4, let type = try? cursor.readUInt16(span),
                  let body = try? cursor.readVector(span, prefixBytes: 2) else {
                framingError = .malformed(at: cursor.offset, field: "extension header")
                malformedExtensions += 1
                return
            }
            count += 1
            if TLSVersion(type).isGREASE { hasGREASE = true }
            if !record(type: type, body: body, span, isClient: isClient) { malformedExtensions += 1 }
        }
    }

    /// Notes where an extension we read lies; false when its inside is wrong.
    private mutating func record(
        type: UInt16, body: Range<Int>, _ span: borrowing RawSpan, isClient: Bool
    ) -> Bool {
        switch type {
        case ExtensionType.serverName:
            guard isClient else { return true }   // a server's is empty (RFC 6066 §3)
            guard let list = innerVector(span, body, prefixBytes: 2, exact: true) else { return false }
            var cursor = ByteCursor(list)
            while !cursor.isAtEnd {
                guard let nameType = try? cursor.readUInt8(span),
                      let name = try? cursor.readVector(span, prefixBytes: 2) else { return false }
                if nameType == 0 && serverName == nil { serverName = name }
            }
            return true
        case ExtensionType.supportedVersions:
            if isClient {
                guard let list = innerVector(span, body, prefixBytes: 1, exact: true),
                      list.count % 2 == 0, !list.isEmpty else { return false }
                supportedVersions = list
            } else {
                guard body.count == 2 else { return false }
                supportedVersions = body
            }
            return true
        case ExtensionType.supportedGroups:
            guard let list = innerVector(span, body, prefixBytes: 2, exact: true), list.count % 2 == 0 else { return false }
            supportedGroups = list
            return true
        case ExtensionType.signatureAlgorithms:
            guard let list = innerVector(span, body, prefixBytes: 2, exact: true), list.count % 2 == 0 else { return false }
            signatureAlgorithms = list
            return true
        case ExtensionType.applicationLayerProtocolNegotiation:
            guard let list = innerVector(span, body, prefixBytes: 2, exact: true) else { return false }
            var cursor = ByteCursor(list)
            while !cursor.isAtEnd {
                guard (try? cursor.readVector(span, prefixBytes: 1)) != nil else { return false }
            }
            applicationProtocols = list
            return true
        case ExtensionType.keyShare:
            if isClient {
                guard let list = innerVector(span, body, prefixBytes: 2, exact: true) else { return false }
                var cursor = ByteCursor(list)
                while !cursor.isAtEnd {
                    guard (try? cursor.readUInt16(span)) != nil,
                          (try? cursor.readVector(span, prefixBytes: 2)) != nil else { return false }
                }
                keyShare = list
            } else {
                // ServerHello: one entry; HelloRetryRequest: just the group (RFC 8446 §4.2.8).
                guard body.count >= 2 else { return false }
                keyShare = body
            }
            return true
        case ExtensionType.ecPointFormats:
            guard let list = innerVector(span, body, prefixBytes: 1, exact: true) else { return false }
            ecPointFormats = list
            return true
        case ExtensionType.renegotiationInfo:
            guard innerVector(span, body, prefixBytes: 1, exact: true) != nil else { return false }
            hasRenegotiationInfo = true
            return true
        case ExtensionType.preSharedKey:
            hasPreSharedKey = true
            return true
        default:
            return true
        }
    }

    /// Whether decoding a hello reads inside an extension of `type`, beyond its type and length.
    /// The insides of the others are never looked at (of `pre_shared_key`, only its presence
    /// counts), which `ClientHello.forEachOpaqueRange` relies on: a type read in `record` must
    /// be listed here.
    public static func readsBody(of type: UInt16, isClient: Bool) -> Bool {
        switch type {
        case ExtensionType.serverName: isClient
        case ExtensionType.supportedVersions, ExtensionType.supportedGroups, ExtensionType.signatureAlgorithms,
             ExtensionType.applicationLayerProtocolNegotiation, ExtensionType.keyShare, ExtensionType.ecPointFormats,
             ExtensionType.renegotiationInfo:
            true
        default: false
        }
    }

    /// These extensions as decoded from the same bytes lying `delta` bytes further on.
    public func moved(by delta: Int) -> HelloExtensions {
        var moved = self
        moved.all = all.moved(by: delta)
        moved.serverName = serverName?.moved(by: delta)
        moved.supportedVersions = supportedVersions?.moved(by: delta)
        moved.supportedGroups = supportedGroups?.moved(by: delta)
        moved.signatureAlgorithms = signatureAlgorithms?.moved(by: delta)
        moved.applicationProtocols = applicationProtocols?.moved(by: delta)
        moved.keyShare = keyShare?.moved(by: delta)
        moved.ecPointFormats = ecPointFormats?.moved(by: delta)
        return moved
    }

    private func innerVector(
        _ span: borrowing RawSpan, _ body: Range<Int>, prefixBytes: Int, exact: Bool
    ) -> Range<Int>? {
        var cursor = ByteCursor(body)
        guard let inner = try? cursor.readVector(span, prefixBytes: prefixBytes) else { return nil }
        return exact && !cursor.isAtEnd ? nil : inner
    }
}
