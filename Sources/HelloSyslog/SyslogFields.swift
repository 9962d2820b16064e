import HelloFingerprint
import HelloFlows
import HelloWire

/// One name=value an event carries, with its name in each format and its place in the
/// order fields are given up when a message is over the size limit.
struct SyslogField: Sendable, Equatable {
    /// RFC 5424 SD-PARAM name, RFC 3164 key, JSON member, LEEF custom attribute.
    var name: String
    /// CEF extension key (`src`, `cs1`, `flexString1` …) and, for the custom keys, the
    /// label's value; nil: not in CEF (the CEF header already says it).
    var cefKey: String?
    var cefLabel: String?
    /// LEEF attribute key when LEEF predefines one (`src`, `srcPort` …), else `name`.
    var leefKey: String
    var value: String
    /// CEF wants times as epoch milliseconds; other formats get `value` (RFC 3339).
    var cefValue: String?
    var isNumber = false
    /// Lower ranks go first. Ranks below `SyslogField.required` are optional; required
    /// fields go only when nothing else is left (a last resort for absurd limits).
    var dropRank: Int

    static let required = 100

    init(_ name: String, cef: String?, label: String? = nil, leef: String? = nil, _ value: String,
         cefValue: String? = nil, number: Bool = false, rank: Int) {
        self.name = name
        self.cefKey = cef
        self.cefLabel = label
        self.leefKey = leef ?? name
        self.value = value
        self.cefValue = cefValue
        self.isNumber = number
        self.dropRank = rank
    }
}

/// Format-neutral content of one message: header facts, fields and a sentence.
struct SyslogContent: Sendable {
    var eventName: String
    var signatureID: String
    var title: String
    var messageID: String
    var severity: AlertSeverity
    var fields: [SyslogField]
    var text: String
}

/// Drop order for alerts: what a SIEM can recover elsewhere goes first. The SNI is first
/// because it is the one field an attacker writes and the longest; then the fingerprint
/// label (the operator's own text, found again from the fingerprint) and the
/// fingerprints, JA4 last (the sturdiest: sorted lists survive extension shuffling).
enum DropRank {
    static let serverName = 1
    static let fingerprintLabel = 2
    static let ja3s = 3
    static let ja3 = 4
    static let ja4 = 5
    static let peer = 6
    static let deviceHost = 7
    static let serviceRole = 8
    static let endpointRole = 9
    static let verdict = 10
    static let versionCode = 11
    static let times = 12
    static let healthDetail = 13
}

/// Where each field goes in CEF, which has six labelled custom strings (`csN`) and two
/// flex strings; the rest use keys the CEF dictionary defines (`reason`,
/// `destinationServiceName`, `app` …). In an alert the TLS server is always the CEF
/// destination and the client the source, whichever side is to blame.
enum CEFKey {
    static let serverName = "cs1"
    static let endpointRole = "cs2"
    static let ja3 = "cs3"
    static let ja4 = "cs4"
    static let blame = "cs5"
    static let fingerprintLabel = "cs6"
    static let ja3s = "flexString1"
    /// `tlsVersionCode` in early-TLS alerts, `cipher` in weak-cipher alerts.
    static let detail = "flexString2"
    static let serviceRole = "destinationServiceName"
    /// `verdict` in early-TLS alerts, the finding's name in weak-cipher alerts.
    static let reason = "reason"
}

extension SyslogContent {
    init(_ event: SyslogEvent, hostname: String) {
        switch event {
        case .alert(let alert): self.init(alert: alert, hostname: hostname)
        case .weakCipher(let alert): self.init(weakCipher: alert, hostname: hostname)
        case .health(let health): self.init(health: health, hostname: hostname)
        }
    }

    /// Fields every alert shares after its own: peer, roles, times, sensor, SNI and fingerprints.
    private static func commonFields(endpointIsSource: Bool, peer: IPAddress, peerPort: UInt16, endpointRole: String,
                                     serviceRole: String, firstSeenNanos: Int64, lastSeenNanos: Int64, hostname: String,
                                     serverName: String?, fingerprints: AlertFingerprints) -> [SyslogField] {
        let peerKeys = endpointIsSource ? ("dst", "dpt", "dstPort") : ("src", "spt", "srcPort")
        var fields = [
            SyslogField("peer", cef: peerKeys.0, leef: peerKeys.0, peer.description, rank: DropRank.peer),
            SyslogField("peerPort", cef: peerKeys.1, leef: peerKeys.2, String(peerPort), number: true, rank: DropRank.peer),
            SyslogField("endpointRole", cef: CEFKey.endpointRole, label: "endpointRole", endpointRole, rank: DropRank.endpointRole),
            SyslogField("serviceRole", cef: CEFKey.serviceRole, serviceRole, rank: DropRank.serviceRole),
        ]
        fields.append(SyslogField("firstSeen", cef: "start", rfc3339(firstSeenNanos), cefValue: String(firstSeenNanos / 1_000_000), rank: DropRank.times))
        fields.append(SyslogField("lastSeen", cef: "end", rfc3339(lastSeenNanos), cefValue: String(lastSeenNanos / 1_000_000), rank: DropRank.times))
        fields.append(SyslogField("sensor", cef: "dvchost", hostname, rank: DropRank.deviceHost))
        if let serverName, !serverName.isEmpty {
            fields.append(SyslogField("serverName", cef: CEFKey.serverName, label: "serverName", serverName, rank: DropRank.serverName))
        }
        if let ja3 = fingerprints.ja3 {
            fields.append(SyslogField("ja3", cef: CEFKey.ja3, label: "ja3", ja3, rank: DropRank.ja3))
        }
        if let ja4 = fingerprints.ja4 {
            fields.append(SyslogField("ja4", cef: CEFKey.ja4, label: "ja4", ja4, rank: DropRank.ja4))
        }
        if let ja3s = fingerprints.ja3s {
            fields.append(SyslogField("ja3s", cef: CEFKey.ja3s, label: "ja3s", ja3s, rank: DropRank.ja3s))
        }
        if let label = fingerprints.label, !label.isEmpty {
            fields.append(SyslogField("fingerprintLabel", cef: CEFKey.fingerprintLabel, label: "fingerprintLabel", label,
                                      rank: DropRank.fingerprintLabel))
        }
        return fields
    }

    init(alert: EarlyTLSAlert, hostname: String) {
        let endpointIsSource = alert.side == .client
        let endpointKeys = endpointIsSource ? ("src", "spt", "srcPort") : ("dst", "dpt", "dstPort")
        let required = SyslogField.required
        var fields: [SyslogField] = [
            SyslogField("event", cef: "cat", leef: "cat", alert.kind.rawValue, rank: required + 5),
            SyslogField("endpoint", cef: endpointKeys.0, leef: endpointKeys.0, alert.endpoint.description, rank: required + 9),
            SyslogField("endpointPort", cef: endpointKeys.1, leef: endpointKeys.2, String(alert.endpointPort), number: true, rank: required + 3),
            SyslogField("side", cef: CEFKey.blame, label: "blame", alert.side.rawValue, rank: required + 7),
            SyslogField("tlsVersion", cef: "app", alert.version.name, rank: required + 8),
            SyslogField("count", cef: "cn1", label: "count", String(alert.count), number: true, rank: required + 6),
            SyslogField("verdict", cef: CEFKey.reason, alert.verdict.name.description, rank: DropRank.verdict),
            SyslogField("tlsVersionCode", cef: CEFKey.detail, label: "tlsVersionCode", hexCode(alert.version.rawValue), rank: DropRank.versionCode),
        ]
        fields += Self.commonFields(endpointIsSource: endpointIsSource, peer: alert.peer, peerPort: alert.peerPort,
                                    endpointRole: alert.endpointRole, serviceRole: alert.serviceRole,
                                    firstSeenNanos: alert.firstSeenNanos, lastSeenNanos: alert.lastSeenNanos, hostname: hostname,
                                    serverName: alert.serverName, fingerprints: alert.fingerprints)
        let verb = alert.verdict == .earlyOnlyRefused ? "offered only" : "negotiated"
        let advice = alert.side == .client ? "upgrade the client" : "fix the server's settings"
        let text = "\(alert.version.name) \(verb) by \(alert.side.rawValue) \(alert.endpoint.description) (\(alert.endpointRole)): \(advice)"
        self.init(eventName: alert.kind.rawValue, signatureID: alert.kind.signatureID, title: alert.kind.title,
                  messageID: alert.kind.messageID, severity: alert.severity, fields: fields, text: text)
    }

    init(weakCipher alert: WeakCipherAlert, hostname: String) {
        let required = SyslogField.required
        var fields: [SyslogField] = [
            SyslogField("event", cef: "cat", leef: "cat", WeakCipherAlert.eventName, rank: required + 5),
            SyslogField("endpoint", cef: "dst", leef: "dst", alert.endpoint.description, rank: required + 9),
            SyslogField("endpointPort", cef: "dpt", leef: "dstPort", String(alert.endpointPort), number: true, rank: required + 3),
            SyslogField("side", cef: CEFKey.blame, label: "blame", EarlyTLSAlert.Side.server.rawValue, rank: required + 7),
            SyslogField("tlsVersion", cef: "app", alert.version.name, rank: required + 6),
            SyslogField("cipher", cef: CEFKey.detail, label: "cipher", alert.cipher.name, rank: required + 8),
            SyslogField("finding", cef: CEFKey.reason, alert.finding.name, rank: required + 8),
            // The CEF header's severity carries it.
            SyslogField("findingSeverity", cef: nil, alert.finding.severity.rawValue, rank: required + 4),
            SyslogField("cipherCode", cef: nil, hexCode(alert.cipher.rawValue), rank: DropRank.versionCode),
        ]
        fields += Self.commonFields(endpointIsSource: false, peer: alert.peer, peerPort: alert.peerPort,
                                    endpointRole: alert.endpointRole, serviceRole: alert.serviceRole,
                                    firstSeenNanos: alert.firstSeenNanos, lastSeenNanos: alert.lastSeenNanos, hostname: hostname,
                                    serverName: alert.serverName, fingerprints: alert.fingerprints)
        let text = "\(alert.finding.text); chosen by server \(alert.endpoint.description) (\(alert.endpointRole)) on \(alert.version.name): fix its cipher settings"
        self.init(eventName: WeakCipherAlert.eventName, signatureID: WeakCipherAlert.signatureID, title: WeakCipherAlert.title,
                  messageID: WeakCipherAlert.messageID, severity: alert.severity, fields: fields, text: text)
    }

    init(health: SensorHealthEvent, hostname: String) {
        let required = SyslogField.required
        var fields = [SyslogField("event", cef: "cat", leef: "cat", health.name, rank: required + 5)]
        var text = health.description
        switch health {
        case .captureDrops(let dropped, let received, let interface):
            fields.append(SyslogField("droppedPackets", cef: "cn1", label: "droppedPackets", String(dropped), number: true, rank: required + 4))
            fields.append(SyslogField("receivedPackets", cef: "cn2", label: "receivedPackets", String(received), number: true, rank: DropRank.healthDetail))
            if let interface {
                fields.append(SyslogField("interface", cef: "cs1", label: "interface", interface, rank: DropRank.serverName))
            }
        case .destinationLost(let destination, let reason):
            fields.append(SyslogField("destination", cef: "cs1", label: "destination", destination, rank: DropRank.peer))
            fields.append(SyslogField("reason", cef: "cs2", label: "reason", reason, rank: DropRank.serverName))
            // The reason is a field of its own (and the first thing cut).
            text = "syslog destination \(destination) lost"
        case .destinationRegained(let destination, let downNanos, let droppedAlerts):
            fields.append(SyslogField("droppedAlerts", cef: "cn1", label: "droppedAlerts", String(droppedAlerts), number: true, rank: required + 4))
            fields.append(SyslogField("downMilliseconds", cef: "cn2", label: "downMilliseconds", String(downNanos / 1_000_000), number: true, rank: DropRank.healthDetail))
            fields.append(SyslogField("destination", cef: "cs1", label: "destination", destination, rank: DropRank.peer))
        case .alertsDropped(let destination, let droppedAlerts):
            fields.append(SyslogField("droppedAlerts", cef: "cn1", label: "droppedAlerts", String(droppedAlerts), number: true, rank: required + 4))
            fields.append(SyslogField("destination", cef: "cs1", label: "destination", destination, rank: DropRank.peer))
        }
        fields.append(SyslogField("sensor", cef: "dvchost", hostname, rank: DropRank.deviceHost))
        self.init(eventName: health.name, signatureID: health.signatureID, title: health.title,
                  messageID: health.messageID, severity: health.severity, fields: fields, text: text)
    }
}

/// `2026-05-01T12:00:00.123Z`: RFC 3339 in UTC with milliseconds (RFC 5424 §6.2.3 allows
/// up to six fraction digits). Civil date from days per Howard Hinnant's algorithm.
func rfc3339(_ nanos: Int64) -> String {
    let parts = CivilTime(nanos)
    return "\(pad(parts.year, 4))-\(pad(parts.month, 2))-\(pad(parts.day, 2))T\(pad(parts.hour, 2)):\(pad(parts.minute, 2)):\(pad(parts.second, 2)).\(pad(parts.millisecond, 3))Z"
}

/// `May  1 12:00:00` (RFC 3164 §4.1.2: day space-padded, no year, no zone; we use UTC).
func rfc3164Time(_ nanos: Int64) -> String {
    let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
    let parts = CivilTime(nanos)
    let day = parts.day < 10 ? " \(parts.day)" : "\(parts.day)"
    return "\(months[parts.month - 1]) \(day) \(pad(parts.hour, 2)):\(pad(parts.minute, 2)):\(pad(parts.second, 2))"
}

private func pad(_ value: Int, _ width: Int) -> String {
    let digits = String(value)
    return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
}

struct CivilTime {
    var year, month, day, hour, minute, second, millisecond: Int

    init(_ nanos: Int64) {
        let millis = Int(nanos.dividedRoundingDown(by: 1_000_000))
        let seconds = millis.dividedRoundingDown(by: 1000)
        millisecond = millis - seconds * 1000
        let days = seconds.dividedRoundingDown(by: 86_400)
        let secondOfDay = seconds - days * 86_400
        hour = secondOfDay / 3600
        minute = secondOfDay % 3600 / 60
        second = secondOfDay % 60
        let z = days + 719_468
        let era = z.dividedRoundingDown(by: 146_097)
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
    }
}

extension BinaryInteger {
    fileprivate func dividedRoundingDown(by divisor: Self) -> Self {
        let quotient = self / divisor
        return (self % divisor != 0 && (self < 0) != (divisor < 0)) ? quotient - 1 : quotient
    }
}
