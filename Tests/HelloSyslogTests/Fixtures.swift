import HelloFingerprint
import HelloFlows
import HelloWire
import SyslogTestSupport
@testable import HelloSyslog

/// Hand-made alerts and sessions. The addresses are documentation ranges (RFC 5737,
/// RFC 3849); the ports are Deep Security's (shared/DOMAIN.md).
enum Fixtures {
    /// Everything the formats must escape or replace: CEF and LEEF delimiters, RFC 5424's
    /// `"` `\` `]`, a tab, line breaks, a combining accent, CJK and an emoji (4-byte UTF-8).
    static let hostileSNI = "evil|x=y\\z\"q]w\tTAB\nNL\rCR e\u{301}ü漢😀"

    static let longHostileSNI = String(String((0 ..< 20).map { _ in hostileSNI }.joined()).prefix(200))

    static func ipv4(_ text: String) -> IPAddress { IPAddress(text)! }

    /// JA3, JA4 and JA3S of the TLS 1.0 session in Captures/ds-agent-4118.pcap (OpenSSL 3.0
    /// `s_client -tls1` against `s_server`), as `helloscope analyze --json` prints them.
    static let ja3 = "53652b2730564404986852cde177b6d9"
    static let ja4 = "t10i090500_c491f621fb4c_195413a0cc0f"
    static let ja3s = "bd665c27797205a73c67f1be8b8ed90f"

    /// An operator's label with every character a format must escape (labels files are text).
    static let hostileLabel = "DS agent 9.6 \"legacy\" ]|x=y\\z\tend"

    static let fingerprints = AlertFingerprints(ja3: ja3, ja4: ja4, ja3s: ja3s, label: hostileLabel)

    static func alert(kind: EarlyTLSAlertKind = .firstSeen, version: TLSVersion = .tls10, side: EarlyTLSAlert.Side = .server,
                      endpoint: String = "192.0.2.10", peer: String = "198.51.100.7", serverName: String? = "agents.example.com",
                      count: Int = 1, fingerprints: AlertFingerprints = AlertFingerprints()) -> EarlyTLSAlert {
        EarlyTLSAlert(kind: kind, endpoint: IPAddress(endpoint)!, endpointPort: side == .server ? 4120 : 50123, side: side,
                      endpointRole: side == .server ? "manager" : "agent", serviceRole: "manager_heartbeat", version: version,
                      peer: IPAddress(peer)!, peerPort: side == .server ? 50123 : 4120, serverName: serverName,
                      verdict: .earlyTLSNegotiated, count: count,
                      firstSeenNanos: 1_700_000_000_000_000_000, lastSeenNanos: 1_700_000_060_500_000_000,
                      fingerprints: fingerprints)
    }

    /// A manager that chose TLS_RSA_WITH_RC4_128_SHA (0x0005): the `rc4` finding, high.
    static func weakCipherAlert(endpoint: String = "192.0.2.10", serverName: String? = "agents.example.com",
                                fingerprints: AlertFingerprints = AlertFingerprints()) -> WeakCipherAlert {
        WeakCipherAlert(endpoint: IPAddress(endpoint)!, endpointPort: 4120, endpointRole: "manager", serviceRole: "manager_heartbeat",
                        version: .tls12, cipher: CipherSuite(0x0005),
                        finding: CipherFinding(name: "rc4", severity: .high, text: "TLS_RSA_WITH_RC4_128_SHA uses RC4, prohibited by RFC 7465"),
                        peer: IPAddress("198.51.100.7")!, peerPort: 50123, serverName: serverName,
                        firstSeenNanos: 1_700_000_000_000_000_000, lastSeenNanos: 1_700_000_000_500_000_000,
                        fingerprints: fingerprints)
    }

    static let timestamp: Int64 = 1_700_000_100_123_000_000   // 2023-11-14T22:15:00.123Z

    static func options(_ format: SyslogFormat, maximumBytes: Int = 1024, hostname: String = "sensor-1",
                        appName: String = "helloscope") -> SyslogMessageOptions {
        SyslogMessageOptions(format: format, facility: .local4, appName: appName, hostname: hostname,
                             processID: nil, maximumBytes: maximumBytes, productVersion: "0.1.0")
    }

    static func encode(_ event: SyslogEvent, _ options: SyslogMessageOptions) throws -> String {
        let bytes = try SyslogEncoder(options: options).encode(event, timestampNanos: timestamp)
        guard let text = String(validating: bytes, as: UTF8.self) else { throw ParseError("not UTF-8") }
        return text
    }

    /// A finished session as `FlowTracker` hands it over, judged by the default policy.
    static func session(client: String = "198.51.100.7", server: String = "192.0.2.10", serverPort: UInt16 = 4120,
                        offered: [TLSVersion] = [.tls10], negotiated: TLSVersion? = .tls10, refused: Bool = false,
                        atSeconds: Int64 = 0, serverName: String = "", cipher: CipherSuite? = CipherSuite(0xc030),
                        fingerprinted: Bool = true) -> SessionRecord {
        var session = SessionRecord()
        session.client = IPAddress(client)!
        session.server = IPAddress(server)!
        session.clientPort = 50_000
        session.serverPort = serverPort
        session.firstSeenNanos = 1_700_000_000_000_000_000 + atSeconds * 1_000_000_000
        session.lastSeenNanos = session.firstSeenNanos + 5_000_000
        session.clientHello = .parsed
        for version in offered { session.offered.add(version) }
        session.offered.fromSupportedVersions = offered.count > 1
        if !serverName.isEmpty { session.serverName.assign(serverName) }
        if fingerprinted {
            session.fingerprints.ja3.assign(ja3)
            session.fingerprints.ja4.assign(ja4)
        }
        if let negotiated {
            session.serverHello = .parsed
            session.negotiated = negotiated
            session.cipher = cipher
            session.status = .negotiated
            if fingerprinted { session.fingerprints.ja3s.assign(ja3s) }
        } else {
            session.status = refused ? .refused : .noServerHello
        }
        let match = RoleTable().classify(serverPort: session.serverPort, clientPort: session.clientPort, serverName: session.serverName)
        session.roleIndex = match.index
        session.roleListenerIsServer = match.listenerIsServer
        EarlyTLSPolicy().judge(&session)
        return session
    }
}
