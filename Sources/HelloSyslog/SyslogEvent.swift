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

    public init(kind: EarlyTLSAlertKind, endpoint: IPAddress, endpointPort: UInt16, side: Side, endpointRole: String,
                serviceRole: String, version: TLSVersion, peer: IPAddress, peerPort: UInt16, serverName: String?,
                verdict: Verdict, count: Int, firstSeenNanos: Int64, lastSeenNanos: Int64) {
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
    }

    public var severity: AlertSeverity { AlertSeverity.forVersion(version) }
}

/// Events about the sensor itself rather than the traffic.
public enum SensorHealthEvent: Sendable, Equatable {
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
    case health(SensorHealthEvent)
}
