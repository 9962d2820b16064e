import HelloFingerprint
import HelloFlows
import HelloWire

/// Decides which finished sessions become syslog alerts, so that a busy early-TLS host
/// sends one alert, then one reminder per interval, not one per connection.
///
/// An alert is about the endpoint to blame (the client that offered nothing newer, or the
/// server that chose lower), keyed by address + Deep Security role + side. Sessions count
/// when they negotiated early TLS or were refused after an early-only hello. Time is the
/// capture's (`SessionRecord.firstSeenNanos`), so `analyze` on a file alerts the same way
/// each run. Alerts carry the session's fingerprints (`AlertFingerprints`). Opt-in, it
/// also turns cipher-audit findings into `WeakCipherAlert`s, once per server, role and
/// finding. Does not send anything; see `SyslogSender`.
public struct AlertPolicy: Sendable {
    public struct Configuration: Sendable {
        /// A reminder per endpoint at most this often, carrying the count since the last
        /// alert; nil: no reminders.
        public var reminderIntervalNanos: Int64?
        /// `--alert-every-session`: one alert per early session, rate-limited per endpoint.
        public var alertEverySession: Bool
        /// Per-endpoint floor between two alerts in every-session mode; sessions inside it
        /// are counted into the next alert. 0: every session alerts.
        public var minimumSpacingNanos: Int64
        /// Endpoints remembered (for early TLS, and apart for weak ciphers); past it the
        /// least recently seen tenth is forgotten (and counted), so a scan of a /16 costs
        /// bounded memory.
        public var maximumEndpoints: Int
        /// `--alert-weak-ciphers`: the lowest cipher-finding severity that alerts; nil: none do.
        public var weakCipherMinimum: FindingSeverity?

        public init(reminderIntervalNanos: Int64? = 3_600 * 1_000_000_000, alertEverySession: Bool = false,
                    minimumSpacingNanos: Int64 = 1_000_000_000, maximumEndpoints: Int = 100_000,
                    weakCipherMinimum: FindingSeverity? = nil) {
            self.reminderIntervalNanos = reminderIntervalNanos
            self.alertEverySession = alertEverySession
            self.minimumSpacingNanos = max(0, minimumSpacingNanos)
            self.maximumEndpoints = max(1, maximumEndpoints)
            self.weakCipherMinimum = weakCipherMinimum
        }
    }

    struct EndpointKey: Hashable, Sendable {
        var address: IPAddress
        var role: String
        var side: EarlyTLSAlert.Side
    }

    struct EndpointState: Sendable {
        var firstSeenNanos: Int64
        var lastSeenNanos: Int64
        var lastAlertNanos: Int64
        var countSinceAlert: Int
        var latest: EarlyTLSAlert
    }

    /// A weak-cipher alert is about one finding of one server endpoint.
    struct CipherKey: Hashable, Sendable {
        var address: IPAddress
        var role: String
        var finding: String
    }

    public let configuration: Configuration
    public let roles: RoleTable
    /// Names stacks in alerts (`--labels`).
    public let labels: FingerprintLabels
    private var endpoints: [EndpointKey: EndpointState] = [:]
    /// Weak-cipher findings already alerted, with when they were last seen.
    private var cipherFindings: [CipherKey: Int64] = [:]
    /// Endpoints forgotten to stay under `maximumEndpoints`; one may alert "first seen" again.
    public private(set) var endpointsForgotten = 0
    /// Early sessions that did not make their own alert (dedup, rate limit), all counted
    /// into a later alert's `count` or still pending.
    public private(set) var sessionsSuppressed = 0
    /// Weak-cipher findings not alerted because that server already alerted that finding.
    public private(set) var weakCiphersSuppressed = 0

    public init(configuration: Configuration = Configuration(), roles: RoleTable = RoleTable(),
                labels: FingerprintLabels = FingerprintLabels()) {
        self.configuration = configuration
        self.roles = roles
        self.labels = labels
    }

    public var trackedEndpoints: Int { endpoints.count }

    /// The alert a session would raise, before deduplication; nil when it is not early TLS.
    public func candidate(for session: SessionRecord) -> EarlyTLSAlert? {
        let version: TLSVersion
        switch session.verdict {
        case .earlyTLSNegotiated:
            guard let negotiated = session.negotiated else { return nil }
            version = negotiated
        case .earlyOnlyRefused:
            guard let offered = session.offered.maximum else { return nil }
            version = offered
        default:
            return nil
        }
        // Blame is unknown when only the ServerHello was seen: the server chose it.
        let side: EarlyTLSAlert.Side = switch session.blame {
        case .client: .client
        case .server, .none: session.verdict == .earlyOnlyRefused ? .client : .server
        }
        let match = RoleTable.Match(index: min(session.roleIndex, roles.otherIndex), listenerIsServer: session.roleListenerIsServer)
        let endpointRoles = roles.endpointRoles(match)
        let isClient = side == .client
        return EarlyTLSAlert(
            kind: .firstSeen,
            endpoint: isClient ? session.client : session.server,
            endpointPort: isClient ? session.clientPort : session.serverPort,
            side: side,
            endpointRole: isClient ? endpointRoles.client : endpointRoles.server,
            serviceRole: roles.roleName(match.index),
            version: version,
            peer: isClient ? session.server : session.client,
            peerPort: isClient ? session.serverPort : session.clientPort,
            serverName: session.serverName.isEmpty ? nil : session.serverName.string,
            verdict: session.verdict,
            count: 1,
            firstSeenNanos: session.firstSeenNanos,
            lastSeenNanos: max(session.lastSeenNanos, session.firstSeenNanos),
            fingerprints: AlertFingerprints(session, side: side, labels: labels))
    }

    /// The weak-cipher alerts one finished session raises: one per finding at or above
    /// `weakCipherMinimum` that this server (address and role) has not alerted before.
    /// `findings` is the session's cipher audit (`CipherAudit.audit`), which judges the
    /// suite the server chose: the server is the endpoint. No reminders.
    public mutating func weakCipherAlerts(for session: SessionRecord, findings: [CipherFinding]) -> [WeakCipherAlert] {
        guard let minimum = configuration.weakCipherMinimum, let version = session.negotiated,
              let cipher = session.cipher else { return [] }
        let match = RoleTable.Match(index: min(session.roleIndex, roles.otherIndex), listenerIsServer: session.roleListenerIsServer)
        let serverRole = roles.endpointRoles(match).server
        var alerts: [WeakCipherAlert] = []
        for finding in findings where finding.severity >= minimum {
            let key = CipherKey(address: session.server, role: serverRole, finding: finding.name)
            if cipherFindings[key] != nil {
                cipherFindings[key] = max(cipherFindings[key]!, session.firstSeenNanos)
                weakCiphersSuppressed += 1
                continue
            }
            if cipherFindings.count >= configuration.maximumEndpoints { forgetOldestFindings() }
            cipherFindings[key] = session.firstSeenNanos
            alerts.append(WeakCipherAlert(
                endpoint: session.server, endpointPort: session.serverPort, endpointRole: serverRole,
                serviceRole: roles.roleName(match.index), version: version, cipher: cipher, finding: finding,
                peer: session.client, peerPort: session.clientPort,
                serverName: session.serverName.isEmpty ? nil : session.serverName.string,
                firstSeenNanos: session.firstSeenNanos, lastSeenNanos: max(session.lastSeenNanos, session.firstSeenNanos),
                fingerprints: AlertFingerprints(session, side: .server, labels: labels)))
        }
        return alerts
    }

    /// The alerts one finished session raises: none, or one.
    public mutating func alerts(for session: SessionRecord) -> [EarlyTLSAlert] {
        guard var alert = candidate(for: session) else { return [] }
        let now = session.firstSeenNanos
        let key = EndpointKey(address: alert.endpoint, role: alert.endpointRole, side: alert.side)
        guard var state = endpoints[key] else {
            if endpoints.count >= configuration.maximumEndpoints { forgetOldest() }
            endpoints[key] = EndpointState(firstSeenNanos: alert.firstSeenNanos, lastSeenNanos: alert.lastSeenNanos,
                                           lastAlertNanos: now, countSinceAlert: 0, latest: alert)
            return [alert]
        }
        state.countSinceAlert += 1
        state.lastSeenNanos = max(state.lastSeenNanos, alert.lastSeenNanos)
        state.latest = alert
        let sinceAlert = now - state.lastAlertNanos
        var kind: EarlyTLSAlertKind?
        // Spacing 0 is no limit at all, also for a session older than the last alert (files
        // given out of time order).
        if configuration.alertEverySession
            && (sinceAlert >= configuration.minimumSpacingNanos || configuration.minimumSpacingNanos == 0) {
            kind = .session
        } else if let interval = configuration.reminderIntervalNanos, sinceAlert >= interval {
            kind = .reminder
        }
        guard let kind else {
            sessionsSuppressed += 1
            endpoints[key] = state
            return []
        }
        alert.kind = kind
        alert.count = state.countSinceAlert
        alert.firstSeenNanos = state.firstSeenNanos
        state.lastAlertNanos = now
        state.countSinceAlert = 0
        endpoints[key] = state
        return [alert]
    }

    /// Reminders that are due at `nowNanos` for endpoints with sessions not yet reported
    /// (call it on a timer in `capture`, where a quiet endpoint sends no new session).
    public mutating func dueReminders(nowNanos: Int64) -> [EarlyTLSAlert] {
        guard let interval = configuration.reminderIntervalNanos else { return [] }
        return flush { state in nowNanos - state.lastAlertNanos >= interval ? nowNanos : nil }
    }

    /// One last reminder per endpoint whose sessions were not reported yet (end of a file).
    public mutating func pendingReminders() -> [EarlyTLSAlert] {
        flush { state in state.lastSeenNanos }
    }

    private mutating func flush(_ due: (EndpointState) -> Int64?) -> [EarlyTLSAlert] {
        var out: [EarlyTLSAlert] = []
        for (key, var state) in endpoints where state.countSinceAlert > 0 {
            guard let at = due(state) else { continue }
            var alert = state.latest
            alert.kind = .reminder
            alert.count = state.countSinceAlert
            alert.firstSeenNanos = state.firstSeenNanos
            alert.lastSeenNanos = state.lastSeenNanos
            state.countSinceAlert = 0
            state.lastAlertNanos = at
            endpoints[key] = state
            out.append(alert)
        }
        return out.sorted { ($0.endpoint, $0.endpointRole) < ($1.endpoint, $1.endpointRole) }
    }

    private mutating func forgetOldestFindings() {
        let forget = max(1, cipherFindings.count / 10)
        let oldest = cipherFindings.sorted { $0.value < $1.value }.prefix(forget)
        for (key, _) in oldest { cipherFindings.removeValue(forKey: key) }
        endpointsForgotten += oldest.count
    }

    private mutating func forgetOldest() {
        let forget = max(1, endpoints.count / 10)
        let oldest = endpoints.sorted { $0.value.lastSeenNanos < $1.value.lastSeenNanos }.prefix(forget)
        for (key, _) in oldest { endpoints.removeValue(forKey: key) }
        endpointsForgotten += oldest.count
    }
}
