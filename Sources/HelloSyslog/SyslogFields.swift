import HelloFlows
import HelloWire

/// One name=value an event carries, with its name in each format and its place in the
/// order fields are given up when a message is over the size limit.
struct SyslogField: Sendable, Equatable {
    /// RFC 5424 SD-PARAM name, RFC 3164 key, JSON member, LEEF custom attribute.
    var name: String
    /// CEF extension key (`src`, `cs1` …) and, for `csN`/`cnN`, the label's value.
    var cefKey: String
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

    init(_ name: String, cef: String, label: String? = nil, leef: String? = nil, _ value: String,
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
/// because it is the one field an attacker writes and the longest.
enum DropRank {
    static let serverName = 1
    static let peer = 2
    static let deviceHost = 3
    static let serviceRole = 4
    static let endpointRole = 5
    static let verdict = 6
    static let versionCode = 7
    static let times = 8
    static let healthDetail = 9
}

extension SyslogContent {
    init(_ event: SyslogEvent, hostname: String) {
        switch event {
        case .alert(let alert): self.init(alert: alert, hostname: hostname)
        case .health(let health): self.init(health: health, hostname: hostname)
        }
    }

    init(alert: EarlyTLSAlert, hostname: String) {
        let endpointIsSource = alert.side == .client
        let endpointKeys = endpointIsSource ? ("src", "spt", "srcPort") : ("dst", "dpt", "dstPort")
        let peerKeys = endpointIsSource ? ("dst", "dpt", "dstPort") : ("src", "spt", "srcPort")
        let required = SyslogField.required
        var fields: [SyslogField] = [
            SyslogField("event", cef: "cat", leef: "cat", alert.kind.rawValue, rank: required + 5),
            SyslogField("endpoint", cef: endpointKeys.0, leef: endpointKeys.0, alert.endpoint.description, rank: required + 9),
            SyslogField("endpointPort", cef: endpointKeys.1, leef: endpointKeys.2, String(alert.endpointPort), number: true, rank: required + 3),
            SyslogField("side", cef: "cs5", label: "blame", alert.side.rawValue, rank: required + 7),
            SyslogField("tlsVersion", cef: "app", alert.version.name, rank: required + 8),
            SyslogField("count", cef: "cn1", label: "count", String(alert.count), number: true, rank: required + 6),
            SyslogField("peer", cef: peerKeys.0, leef: peerKeys.0, alert.peer.description, rank: DropRank.peer),
            SyslogField("peerPort", cef: peerKeys.1, leef: peerKeys.2, String(alert.peerPort), number: true, rank: DropRank.peer),
            SyslogField("endpointRole", cef: "cs2", label: "endpointRole", alert.endpointRole, rank: DropRank.endpointRole),
            SyslogField("serviceRole", cef: "cs3", label: "serviceRole", alert.serviceRole, rank: DropRank.serviceRole),
            SyslogField("verdict", cef: "cs4", label: "verdict", alert.verdict.name.description, rank: DropRank.verdict),
            SyslogField("tlsVersionCode", cef: "cs6", label: "tlsVersionCode", hexCode(alert.version.rawValue), rank: DropRank.versionCode),
            SyslogField("firstSeen", cef: "start", rfc3339(alert.firstSeenNanos), cefValue: String(alert.firstSeenNanos / 1_000_000), rank: DropRank.times),
            SyslogField("lastSeen", cef: "end", rfc3339(alert.lastSeenNanos), cefValue: String(alert.lastSeenNanos / 1_000_000), rank: DropRank.times),
            SyslogField("sensor", cef: "dvchost", hostname, rank: DropRank.deviceHost),
        ]
        if let serverName = alert.serverName, !serverName.isEmpty {
            fields.append(SyslogField("serverName", cef: "cs1", label: "serverName", serverName, rank: DropRank.serverName))
        }
        let verb = alert.verdict == .earlyOnlyRefused ? "offered only" : "negotiated"
        let advice = alert.side == .client ? "upgrade the client" : "fix the server's settings"
        let text = "\(alert.version.name) \(verb) by \(alert.side.rawValue) \(alert.endpoint.description) (\(alert.endpointRole)): \(advice)"
        self.init(eventName: alert.kind.rawValue, signatureID: alert.kind.signatureID, title: alert.kind.title,
                  messageID: alert.kind.messageID, severity: alert.severity, fields: fields, text: text)
    }

    init(health: SensorHealthEvent, hostname: String) {
        let required = SyslogField.required
        var fields = [SyslogField("event", cef: "cat", leef: "cat", health.name, rank: required + 5)]
        let text: String
        switch health {
        case .captureDrops(let dropped, let received, let interface):
            fields.append(SyslogField("droppedPackets", cef: "cn1", label: "droppedPackets", String(dropped), number: true, rank: required + 4))
            fields.append(SyslogField("receivedPackets", cef: "cn2", label: "receivedPackets", String(received), number: true, rank: DropRank.healthDetail))
            if let interface {
                fields.append(SyslogField("interface", cef: "cs1", label: "interface", interface, rank: DropRank.serverName))
            }
            text = "capture dropped \(dropped) of \(received &+ dropped) packets"
        case .destinationLost(let destination, let reason):
            fields.append(SyslogField("destination", cef: "cs1", label: "destination", destination, rank: DropRank.peer))
            fields.append(SyslogField("reason", cef: "cs2", label: "reason", reason, rank: DropRank.serverName))
            text = "syslog destination \(destination) lost"
        case .destinationRegained(let destination, let downNanos, let droppedAlerts):
            fields.append(SyslogField("droppedAlerts", cef: "cn1", label: "droppedAlerts", String(droppedAlerts), number: true, rank: required + 4))
            fields.append(SyslogField("downMilliseconds", cef: "cn2", label: "downMilliseconds", String(downNanos / 1_000_000), number: true, rank: DropRank.healthDetail))
            fields.append(SyslogField("destination", cef: "cs1", label: "destination", destination, rank: DropRank.peer))
            text = "syslog destination \(destination) regained; \(droppedAlerts) alerts dropped while it was away"
        case .alertsDropped(let destination, let droppedAlerts):
            fields.append(SyslogField("droppedAlerts", cef: "cn1", label: "droppedAlerts", String(droppedAlerts), number: true, rank: required + 4))
            fields.append(SyslogField("destination", cef: "cs1", label: "destination", destination, rank: DropRank.peer))
            text = "syslog queue for \(destination) overflowed; \(droppedAlerts) alerts dropped"
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
