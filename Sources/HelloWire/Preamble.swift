/// The plaintext protocol a TLS session may start inside (STARTTLS and friends), told
/// from the first bytes either side sent. Naming only: whether TLS follows is decided by
/// finding a hello, never by this guess or by the port.
public enum PreambleKind: UInt8, Sendable, CaseIterable {
    case none = 0
    case smtp, imap, pop3, ftp, xmpp, ldap, httpConnect, postgres, mysql, socks, irc, rdp, unknown

    public var name: StaticString {
        switch self {
        case .none: "none"
        case .smtp: "smtp"
        case .imap: "imap"
        case .pop3: "pop3"
        case .ftp: "ftp"
        case .xmpp: "xmpp"
        case .ldap: "ldap"
        case .httpConnect: "http_connect"
        case .postgres: "postgres"
        case .mysql: "mysql"
        case .socks: "socks"
        case .irc: "irc"
        case .rdp: "rdp"
        case .unknown: "unknown"
        }
    }

    /// Guesses from the first payload bytes of one direction (`range` of `span`).
    public static func identify(_ span: borrowing RawSpan, _ range: Range<Int>) -> PreambleKind {
        let bytes = span.extracting(range)
        guard bytes.byteCount > 0 else { return .unknown }
        func starts(_ literal: StaticString) -> Bool { bytes.hasPrefix(literal) }
        if starts("EHLO") || starts("HELO") || starts("ehlo") || starts("helo") { return .smtp }
        if starts("220") {
            // SMTP and FTP greet alike; FTP servers usually say so.
            return bytes.containsASCII("FTP") || bytes.containsASCII("ftp") ? .ftp : .smtp
        }
        if starts("AUTH TLS") || starts("AUTH SSL") { return .ftp }
        if starts("* OK") || starts("* PREAUTH") || starts("a") && bytes.containsASCII(" STARTTLS") { return .imap }
        if starts("+OK") || starts("STLS") || starts("CAPA") { return .pop3 }
        if starts("<?xml") || starts("<stream:stream") { return .xmpp }
        if starts("CONNECT ") { return .httpConnect }
        if starts("HTTP/1.") { return .httpConnect }
        if starts("STARTTLS") || starts(":") || starts("NICK ") || starts("CAP ") { return .irc }
        // PostgreSQL SSLRequest: length 8, code 80877103 (PostgreSQL protocol §55.2.10).
        if bytes.byteCount >= 8 && bytes.loadUInt32(0) == 8 && bytes.loadUInt32(4) == 80_877_103 { return .postgres }
        // MySQL: 3-byte little-endian length, sequence id, then protocol version 10 in a greeting.
        if bytes.byteCount >= 5 && bytes.loadUInt8(4) == 10 && bytes.loadUInt8(3) == 0 { return .mysql }
        if bytes.byteCount >= 5 && bytes.loadUInt8(3) == 1 && bytes.byteCount >= 36 { return .mysql }
        // RDP: TPKT version 3 (RFC 1006 / MS-RDPBCGR).
        if bytes.byteCount >= 4 && bytes.loadUInt8(0) == 3 && bytes.loadUInt8(1) == 0 { return .rdp }
        // SOCKS 4 (CONNECT) and 5 (greeting).
        if bytes.byteCount >= 3 && (bytes.loadUInt8(0) == 5 || bytes.loadUInt8(0) == 4) && bytes.loadUInt8(1) <= 2 {
            return .socks
        }
        // LDAP StartTLS extended request carries its OID as text.
        if bytes.loadUInt8(0) == 0x30 && bytes.containsASCII("1.3.6.1.4.1.1466.20037") { return .ldap }
        return .unknown
    }
}

extension RawSpan {
    /// Whether an ASCII literal occurs anywhere in the span (short spans only).
    public func containsASCII(_ literal: StaticString) -> Bool {
        let count = literal.utf8CodeUnitCount
        guard count <= byteCount else { return false }
        for start in 0 ... byteCount - count where hasPrefix(literal, at: start) { return true }
        return false
    }
}
