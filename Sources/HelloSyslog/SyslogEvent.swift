import HelloFingerprint
import HelloFlows
import HelloWire

/// How urgent an event is, on both scales a SIEM reads: syslog severity (RFC 5424 §6.2.1,
/// 0 = emergency … 7 = debug) and CEF/LEEF severity (0 … 10, higher is worse).
public struct AlertSeverity: Sendable, Equatable, Comparable {
    public var syslog: Int
    public var cef: Int

    public init(syslog: Int, cef: Int) {
        self.syslog = syslog
        self.cef = cef
    }

    public static func < (lhs: AlertSeverity, rhs: AlertSeverity) -> Bool { lhs.cef < rhs.cef }

    /// Older is worse: SSLv2/SSLv3 (broken: DROWN, POODLE) above TLS 1.0 (RFC 8996, PCI DSS
    /// "early TLS") above TLS 1.1. Anything else below the policy's minimum (an unknown code)
    /// ranks with TLS 1.1.
    public static func forVersion(_ version: TLSVersion) -> AlertSeverity {
        switch version.rawValue {
        case 0x0002, 0x0300: AlertSeverity(syslog: 2, cef: 10)    // critical
        case 0x0301: AlertSeverity(syslog: 3, cef: 8)             // error
        default: AlertSeverity(syslog: 4, cef: 6)                 // warning
        }
    }

    /// A cipher-audit finding (`CipherAudit`): high (NULL, anonymous, EXPORT, RC4, DES)
    /// ranks with TLS 1.0, medium with TLS 1.1, low is a notice.
    public static func forFinding(_ severity: FindingSeverity) -> AlertSeverity {
        switch severity {
        case .high: AlertSeverity(syslog: 3, cef: 8)
        case .medium: AlertSeverity(syslog: 4, cef: 6)
        case .low: AlertSeverity(syslog: 5, cef: 3)
        }
    }

    public static let healthWarning = AlertSeverity(syslog: 4, cef: 5)
    public static let healthNotice = AlertSeverity(syslog: 5, cef: 3)
}

/// Why an early-TLS alert was sent.
public enum EarlyTLSAlertKind: String, Sendable, CaseIterable {
    case firstSeen = "early_tls_first_seen"     // the first early session of this endpoint
    case reminder = "early_tls_reminder"        // still at it; `count` sessions since the last alert
    case session = "early_tls_session"          // --alert-every-session

    /// CEF signature id / LEEF event id / RFC 5424 MSGID.
    public var signatureID: String {
        switch self {
        case .firstSeen: "1001"
        case .reminder: "1002"
        case .session: "1003"
        }
    }

    public var title: String {
        switch self {
        case .firstSeen: "Early TLS endpoint first seen"
        case .reminder: "Early TLS endpoint still active"
        case .session: "Early TLS session"
        }
    }

    public var messageID: String {
        switch self {
        case .firstSeen: "EARLY_TLS_FIRST"
        case .reminder: "EARLY_TLS_REMINDER"
        case .session: "EARLY_TLS_SESSION"
        }
    }
}

/// The TLS stacks behind an alert, as the session recorded them (`SessionFingerprints`):
/// the client's JA3 and JA4 always (when computed), the server's JA3S only when the
/// server is the endpoint the alert is about, and the operator's label (`--labels`) for
/// that endpoint's stack: the client's JA4/JA3 label, or the server's JA3S label.
/// All optional: fingerprints may be off (`--no-fingerprints`) or the hello unseen.
public struct AlertFingerprints: Sendable, Equatable {
    public var ja3: String?
    public var ja4: String?
    public var ja3s: String?
    public var label: String?

    public init(ja3: String? = nil, ja4: String? = nil, ja3s: String? = nil, label: String? = nil) {
        self.ja3 = ja3
        self.ja4 = ja4
        self.ja3s = ja3s
        self.label = label
    }

    /// What `session` recorded, for an alert about its `side`.
    public init(_ session: SessionRecord, side: EarlyTLSAlert.Side, labels: FingerprintLabels) {
        let prints = session.fingerprints
        ja3 = prints.ja3.isEmpty ? nil : prints.ja3.string
        ja4 = prints.ja4.isEmpty ? nil : prints.ja4.string
        ja3s = side == .server && !prints.ja3s.isEmpty ? prints.ja3s.string : nil
        guard !labels.isEmpty else { return }
        label = side == .client ? labels.label(ja3: ja3, ja4: ja4) : ja3s.flatMap { labels[$0] }
    }
}

/// One endpoint seen on early TLS: the endpoint the alert is about is the side to blame
/// (the client that offered nothing newer, or the server that chose lower), with the peer
/// of the session that triggered it. A plain value; formatting is `SyslogEncoder`'s job.
public struct EarlyTLSAlert: Sendable, Equatable {
    public enum Side: String, Sendable { case client, server }

    public var kind: EarlyTLSAlertKind
    public var endpoint: IPAddress
    /// The service port for a server; the client's source port for a client.
    public var endpointPort: UInt16
    public var side: Side
    /// Deep Security role of the endpoint (`agent`, `manager`, `relay`, `dsaas`, `other` …).
    public var endpointRole: String
    /// The service (`RoleRule.role`) the session belonged to (`manager_heartbeat` …).
    public var serviceRole: String
    /// Negotiated version, or for a refused early-only hello the highest version offered.
    public var version: TLSVersion
    public var peer: IPAddress
    public var peerPort: UInt16
    public var serverName: String?
    public var verdict: Verdict
    /// Early sessions of this endpoint since its previous alert, this one included.
    public var count: Int
    public var firstSeenNanos: Int64
    public var lastSeenNanos: Int64
    /// Of the session that triggered the alert.
    public var fingerprints: AlertFingerprints

    public init(kind: EarlyTLSAlertKind, endpoint: IPAddress, endpointPort: UInt16, side: Side, endpointRole: String,
                serviceRole: String, version: TLSVersion, peer: IPAddress, peerPort: UInt16, serverName: String?,
                verdict: Verdict, count: Int, firstSeenNanos: Int64, lastSeenNanos: Int64,
                fingerprints: AlertFingerprints = AlertFingerprints()) {
        self.kind = kind
        self.endpoint = endpoint
        self.endpointPort = endpointPort
        self.side = side
        self.endpointRole = endpointRole
        self.serviceRole = serviceRole
        self.version = version
        self.peer = peer
        self.peerPort = peerPort
        self.serverName = serverName
        self.verdict = verdict
        self.count = count
        self.firstSeenNanos = firstSeenNanos
        self.lastSeenNanos = lastSeenNanos
        self.fingerprints = fingerprints
    }

    public var severity: AlertSeverity { AlertSeverity.forVersion(version) }
}

/// A server that chose a weak cipher suite (`--alert-weak-ciphers`): one cipher-audit
/// finding (`CipherAudit.audit`), first seen for this server, role and finding. The
/// server is to blame: it picked the suite from the client's list. Severity follows the
/// finding's (`AlertSeverity.forFinding`). Signature id 1101.
public struct WeakCipherAlert: Sendable, Equatable {
    public static let eventName = "weak_cipher_first_seen"
    public static let signatureID = "1101"
    public static let title = "Weak cipher suite negotiated"
    public static let messageID = "WEAK_CIPHER"

    public var endpoint: IPAddress
    public var endpointPort: UInt16
    public var endpointRole: String
    public var serviceRole: String
    public var version: TLSVersion
    public var cipher: CipherSuite
    public var finding: CipherFinding
    public var peer: IPAddress
    public var peerPort: UInt16
    public var serverName: String?
    public var firstSeenNanos: Int64
    public var lastSeenNanos: Int64
    public var fingerprints: AlertFingerprints

    public init(endpoint: IPAddress, endpointPort: UInt16, endpointRole: String, serviceRole: String, version: TLSVersion,
                cipher: CipherSuite, finding: CipherFinding, peer: IPAddress, peerPort: UInt16, serverName: String?,
                firstSeenNanos: Int64, lastSeenNanos: Int64, fingerprints: AlertFingerprints = AlertFingerprints()) {
        self.endpoint = endpoint
        self.endpointPort = endpointPort
        self.endpointRole = endpointRole
        self.serviceRole = serviceRole
        self.version = version
        self.cipher = cipher
        self.finding = finding
        self.peer = peer
        self.peerPort = peerPort
        self.serverName = serverName
        self.firstSeenNanos = firstSeenNanos
        self.lastSeenNanos = lastSeenNanos
        self.fingerprints = fingerprints
    }

    public var severity: AlertSeverity { AlertSeverity.forFinding(finding.severity) }
}

/// Events about the sensor itself rather than the traffic. `description` is the sentence
/// a message carries (and what the CLI prints on standard error).
public enum SensorHealthEvent: Sendable, Equatable, CustomStringConvertible {
    /// The capture lost more packets than the threshold in one interval.
    case captureDrops(dropped: UInt64, received: UInt64, interface: String?)
    /// A syslog destination stopped accepting messages.
    case destinationLost(destination: String, reason: String)
    /// It came back; `droppedAlerts` alerts did not fit the queue while it was away.
    case destinationRegained(destination: String, downNanos: Int64, droppedAlerts: Int)
    /// The queue overflowed while the destination was up (a slow collector).
    case alertsDropped(destination: String, droppedAlerts: Int)

    public var name: String {
        switch self {
        case .captureDrops: "sensor_capture_drops"
        case .destinationLost: "sensor_destination_lost"
        case .destinationRegained: "sensor_destination_regained"
        case .alertsDropped: "sensor_alerts_dropped"
        }
    }

    public var signatureID: String {
        switch self {
        case .captureDrops: "2001"
        case .destinationLost: "2002"
        case .destinationRegained: "2003"
        case .alertsDropped: "2004"
        }
    }

    public var title: String {
        switch self {
        case .captureDrops: "Capture dropped packets"
        case .destinationLost: "Syslog destination lost"
        case .destinationRegained: "Syslog destination regained"
        case .alertsDropped: "Syslog alerts dropped"
        }
    }

    public var messageID: String {
        switch self {
        case .captureDrops: "SENSOR_DROPS"
        case .destinationLost: "SENSOR_DEST_LOST"
        case .destinationRegained: "SENSOR_DEST_REGAINED"
        case .alertsDropped: "SENSOR_ALERTS_DROPPED"
        }
    }

    public var description: String {
        switch self {
        case .captureDrops(let dropped, let received, _):
            "capture dropped \(dropped) of \(received &+ dropped) packets"
        case .destinationLost(let destination, let reason):
            "syslog destination \(destination) lost: \(reason)"
        case .destinationRegained(let destination, _, let droppedAlerts):
            "syslog destination \(destination) regained; \(droppedAlerts) alerts dropped while it was away"
        case .alertsDropped(let destination, let droppedAlerts):
            "syslog queue for \(destination) overflowed; \(droppedAlerts) alerts dropped"
        }
    }

    public var severity: AlertSeverity {
        switch self {
        case .captureDrops, .destinationLost, .alertsDropped: .healthWarning
        case .destinationRegained(_, _, let dropped): dropped > 0 ? .healthWarning : .healthNotice
        }
    }
}

/// What a sender carries: an alert or a health event.
public enum SyslogEvent: Sendable, Equatable {
    case alert(EarlyTLSAlert)
    case weakCipher(WeakCipherAlert)
    case health(SensorHealthEvent)

    /// Health events have their own queue; everything else counts against `queueCapacity`.
    public var isHealth: Bool {
        if case .health = self { true } else { false }
    }
}
