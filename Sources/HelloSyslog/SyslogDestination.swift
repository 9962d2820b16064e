/// Where messages go, parsed from `--syslog URL`:
/// - `unix:///dev/log`: the local daemon's datagram socket (one message per datagram);
/// - `udp://HOST:PORT` (RFC 5426; port 514 if left out);
/// - `tcp://HOST:PORT` (RFC 6587 §3.4.1 octet counting, `LEN SP MSG`; port 514);
/// - `tls://HOST:PORT` (RFC 5425, octet counting inside TLS; port 6514).
/// HOST is a name, an IPv4 address or an IPv6 address in brackets.
public struct SyslogDestination: Sendable, Equatable, CustomStringConvertible {
    public enum Transport: String, Sendable, CaseIterable {
        case unix, udp, tcp, tls

        public var defaultPort: Int? {
            switch self {
            case .unix: nil
            case .udp, .tcp: 514
            case .tls: 6514
            }
        }

        /// Stream transports frame each message with its length.
        public var isStream: Bool { self == .tcp || self == .tls }
    }

    public var transport: Transport
    /// Host name or address (brackets removed); empty for `unix`.
    public var host: String
    public var port: Int
    /// Socket path for `unix`.
    public var path: String

    public init(transport: Transport, host: String = "", port: Int = 0, path: String = "") {
        self.transport = transport
        self.host = host
        self.port = port
        self.path = path
    }

    public init(parsing url: String) throws(SyslogConfigurationError) {
        guard let schemeEnd = url.range(of: "://") else {
            throw .badURL(url, reason: "no scheme")
        }
        let scheme = url[..<schemeEnd.lowerBound].lowercased()
        guard let transport = Transport(rawValue: scheme) else {
            throw .badURL(url, reason: "unknown scheme '\(scheme)'")
        }
        let rest = String(url[schemeEnd.upperBound...])
        if transport == .unix {
            guard rest.hasPrefix("/") else { throw .badURL(url, reason: "the socket path must be absolute (unix:///dev/log)") }
            guard rest.count > 1, !rest.contains("?"), !rest.contains("#") else {
                throw .badURL(url, reason: "bad socket path")
            }
            self.init(transport: .unix, path: rest)
            return
        }
        var authority = rest
        if authority.hasSuffix("/") { authority.removeLast() }
        guard !authority.isEmpty else { throw .badURL(url, reason: "no host") }
        guard !authority.contains("/"), !authority.contains("?"), !authority.contains("#"), !authority.contains("@") else {
            throw .badURL(url, reason: "only HOST:PORT may follow the scheme")
        }
        var host: String
        var portText: String?
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { throw .badURL(url, reason: "unclosed '[' in an IPv6 address") }
            host = String(authority[authority.index(after: authority.startIndex) ..< close])
            let after = authority[authority.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { throw .badURL(url, reason: "expected ':PORT' after ']'") }
                portText = String(after.dropFirst())
            }
            guard host.contains(":") else { throw .badURL(url, reason: "brackets are for IPv6 addresses") }
        } else {
            let colons = authority.filter { $0 == ":" }.count
            guard colons <= 1 else { throw .badURL(url, reason: "an IPv6 address needs brackets: [::1]:514") }
            if let colon = authority.firstIndex(of: ":") {
                host = String(authority[..<colon])
                portText = String(authority[authority.index(after: colon)...])
            } else {
                host = authority
            }
        }
        guard !host.isEmpty else { throw .badURL(url, reason: "no host") }
        guard host.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-._:%".contains($0)) }) else {
            throw .badURL(url, reason: "bad host '\(host)'")
        }
        var port = transport.defaultPort ?? 0
        if let portText {
            guard let number = Int(portText), (1 ... 65535).contains(number), portText.allSatisfy(\.isASCII) else {
                throw .badURL(url, reason: "bad port '\(portText)' (1…65535)")
            }
            port = number
        }
        self.init(transport: transport, host: host, port: port)
    }

    public var description: String {
        switch transport {
        case .unix: "unix://\(path)"
        default: host.contains(":") ? "\(transport.rawValue)://[\(host)]:\(port)" : "\(transport.rawValue)://\(host):\(port)"
        }
    }
}

/// RFC 5425 client settings. The server's certificate is always verified against `caFile`
/// (or the system roots when nil) and its name: `serverName`, else the URL's host (an IP
/// host is checked against the certificate's IP addresses).
public struct SyslogTLSOptions: Sendable, Equatable {
    public var caFile: String?
    public var certificateFile: String?
    public var privateKeyFile: String?
    public var serverName: String?

    public init(caFile: String? = nil, certificateFile: String? = nil, privateKeyFile: String? = nil, serverName: String? = nil) {
        self.caFile = caFile
        self.certificateFile = certificateFile
        self.privateKeyFile = privateKeyFile
        self.serverName = serverName
    }
}
