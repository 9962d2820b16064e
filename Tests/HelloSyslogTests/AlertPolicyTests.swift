import HelloFingerprint
import HelloFlows
import HelloWire
import SyslogTestSupport
import Testing
@testable import HelloSyslog

@Suite struct AlertPolicyTests {
    static let minute: Int64 = 60_000_000_000

    @Test func firstEarlySessionAlertsOnceNamingTheServer() throws {
        var policy = AlertPolicy(configuration: .init(reminderIntervalNanos: nil))
        // The client offered TLS 1.2 and 1.0, the manager chose 1.0: blame the server.
        let session = Fixtures.session(offered: [.tls12, .tls10], negotiated: .tls10, serverName: "dsm.example.com")
        let alerts = policy.alerts(for: session)
        let alert = try #require(alerts.first)
        #expect(alerts.count == 1)
        #expect(alert.kind == .firstSeen)
        #expect(alert.side == .server)
        #expect(alert.endpoint == IPAddress("192.0.2.10"))
        #expect(alert.endpointPort == 4120)
        #expect(alert.endpointRole == "manager")
        #expect(alert.serviceRole == "manager_heartbeat")
        #expect(alert.peer == IPAddress("198.51.100.7"))
        #expect(alert.version == .tls10)
        #expect(alert.serverName == "dsm.example.com")
        #expect(alert.count == 1)
        // Same endpoint again: deduplicated.
        #expect(policy.alerts(for: Fixtures.session(offered: [.tls12, .tls10], negotiated: .tls10, atSeconds: 5)).isEmpty)
        #expect(policy.sessionsSuppressed == 1)
    }

    @Test func oldClientIsBlamedWithItsRole() throws {
        var policy = AlertPolicy()
        let alert = try #require(policy.alerts(for: Fixtures.session(offered: [.tls10], negotiated: .tls10)).first)
        #expect(alert.side == .client)
        #expect(alert.endpoint == IPAddress("198.51.100.7"))
        #expect(alert.endpointRole == "agent")
        #expect(alert.peer == IPAddress("192.0.2.10"))
        #expect(alert.peerPort == 4120)
    }

    @Test func refusedEarlyOnlyHelloAlertsWithTheOfferedVersion() throws {
        var policy = AlertPolicy()
        let session = Fixtures.session(offered: [.tls11], negotiated: nil, refused: true)
        #expect(session.verdict == .earlyOnlyRefused)
        let alert = try #require(policy.alerts(for: session).first)
        #expect(alert.version == .tls11)
        #expect(alert.side == .client)
        #expect(alert.verdict == .earlyOnlyRefused)
    }

    @Test func modernAndUpgradedSessionsDoNotAlert() {
        var policy = AlertPolicy()
        #expect(policy.alerts(for: Fixtures.session(offered: [.tls13, .tls12], negotiated: .tls13)).isEmpty)
        #expect(policy.alerts(for: Fixtures.session(offered: [.tls12, .tls10], negotiated: .tls12)).isEmpty)
        #expect(policy.alerts(for: Fixtures.session(offered: [.tls10], negotiated: nil, refused: false)).isEmpty)   // unanswered: unknown
        #expect(policy.trackedEndpoints == 0)
    }

    @Test func reminderCarriesTheCountSinceTheLastAlert() throws {
        var policy = AlertPolicy(configuration: .init(reminderIntervalNanos: 10 * Self.minute))
        #expect(policy.alerts(for: Fixtures.session(atSeconds: 0)).first?.kind == .firstSeen)
        for second in stride(from: 60, through: 540, by: 60) {
            #expect(policy.alerts(for: Fixtures.session(atSeconds: Int64(second))).isEmpty)
        }
        let reminder = try #require(policy.alerts(for: Fixtures.session(atSeconds: 600)).first)
        #expect(reminder.kind == .reminder)
        #expect(reminder.count == 10)
        #expect(reminder.firstSeenNanos == Fixtures.session(atSeconds: 0).firstSeenNanos)
        // Quiet since: a timer tick finds nothing to report, then one session is pending.
        #expect(policy.dueReminders(nowNanos: Fixtures.session(atSeconds: 1300).firstSeenNanos).isEmpty)
        #expect(policy.alerts(for: Fixtures.session(atSeconds: 700)).isEmpty)
        let due = policy.dueReminders(nowNanos: Fixtures.session(atSeconds: 1300).firstSeenNanos)
        #expect(due.map(\.count) == [1])
        #expect(policy.pendingReminders().isEmpty)
    }

    @Test func pendingRemindersAtEndOfInput() {
        var policy = AlertPolicy(configuration: .init(reminderIntervalNanos: 10 * Self.minute))
        _ = policy.alerts(for: Fixtures.session(atSeconds: 0))
        _ = policy.alerts(for: Fixtures.session(atSeconds: 1))
        _ = policy.alerts(for: Fixtures.session(atSeconds: 2))
        let pending = policy.pendingReminders()
        #expect(pending.map(\.count) == [2])
        #expect(pending.map(\.kind) == [.reminder])
        #expect(policy.pendingReminders().isEmpty)
    }

    @Test func everySessionIsRateLimitedPerEndpoint() {
        var policy = AlertPolicy(configuration: .init(reminderIntervalNanos: nil, alertEverySession: true,
                                                      minimumSpacingNanos: 10_000_000_000))
        var kinds: [EarlyTLSAlertKind] = []
        var counts: [Int] = []
        for second in 0 ..< 30 {   // one session a second for 30 s
            for alert in policy.alerts(for: Fixtures.session(atSeconds: Int64(second))) {
                kinds.append(alert.kind)
                counts.append(alert.count)
            }
        }
        #expect(kinds == [.firstSeen, .session, .session])
        #expect(counts == [1, 10, 10])   // every session accounted for in some alert
        // Another endpoint is not held back by the first one's limit.
        #expect(policy.alerts(for: Fixtures.session(client: "198.51.100.8", atSeconds: 30)).count == 1)
    }

    @Test func trackedEndpointsAreBounded() {
        var policy = AlertPolicy(configuration: .init(maximumEndpoints: 100))
        for index in 0 ..< 1000 {
            let client = "198.51.\(100 + index / 250).\(index % 250 + 1)"
            #expect(policy.alerts(for: Fixtures.session(client: client, offered: [.tls10], atSeconds: Int64(index))).count == 1)
        }
        #expect(policy.trackedEndpoints <= 100)
        #expect(policy.endpointsForgotten >= 900)
        // The most recent endpoints are the ones remembered.
        #expect(policy.alerts(for: Fixtures.session(client: "198.51.103.250", offered: [.tls10], atSeconds: 2000)).isEmpty)
    }

    // MARK: Fingerprints

    @Test func clientAlertCarriesTheClientsFingerprintsAndLabel() throws {
        let labels = FingerprintLabels([Fixtures.ja4: "DS agent 9.6", Fixtures.ja3s: "DSM 10 (pinned)"])
        var policy = AlertPolicy(labels: labels)
        let alert = try #require(policy.alerts(for: Fixtures.session(offered: [.tls10], negotiated: .tls10)).first)
        #expect(alert.side == .client)
        // No JA3S: the server is not the endpoint; the label names the client's stack.
        #expect(alert.fingerprints == AlertFingerprints(ja3: Fixtures.ja3, ja4: Fixtures.ja4, ja3s: nil, label: "DS agent 9.6"))
    }

    @Test func serverAlertAddsJA3SAndLabelsTheServer() throws {
        let labels = FingerprintLabels([Fixtures.ja4: "DS agent 9.6", Fixtures.ja3s.uppercased(): "DSM 10 (pinned)"])
        var policy = AlertPolicy(labels: labels)
        let alert = try #require(policy.alerts(for: Fixtures.session(offered: [.tls12, .tls10], negotiated: .tls10)).first)
        #expect(alert.side == .server)
        #expect(alert.fingerprints == AlertFingerprints(ja3: Fixtures.ja3, ja4: Fixtures.ja4, ja3s: Fixtures.ja3s, label: "DSM 10 (pinned)"))
        // Unlabelled server stack: no label, even though the client's is labelled.
        var unlabelled = AlertPolicy(labels: FingerprintLabels([Fixtures.ja4: "DS agent 9.6"]))
        let other = try #require(unlabelled.alerts(for: Fixtures.session(offered: [.tls12, .tls10], negotiated: .tls10)).first)
        #expect(other.fingerprints.label == nil)
    }

    @Test func labelFallsBackToJA3AndFingerprintsMayBeAbsent() throws {
        var policy = AlertPolicy(labels: FingerprintLabels([Fixtures.ja3: "OpenSSL s_client -tls1"]))
        let labelled = try #require(policy.alerts(for: Fixtures.session(offered: [.tls10], negotiated: .tls10)).first)
        #expect(labelled.fingerprints.label == "OpenSSL s_client -tls1")
        // --no-fingerprints: nothing to carry, nothing to label.
        let bare = try #require(policy.alerts(for: Fixtures.session(client: "198.51.100.9", offered: [.tls10], negotiated: .tls10,
                                                                    fingerprinted: false)).first)
        #expect(bare.fingerprints == AlertFingerprints())
    }

    // MARK: Weak ciphers

    /// TLS_RSA_WITH_3DES_EDE_CBC_SHA at TLS 1.2 on the heartbeat port: `triple_des` and
    /// `cbc_sha1_tls12` (medium) and `deep_security_not_strong` (low), per `CipherAudit`.
    static let tripleDES = CipherSuite(0x000a)

    static func weakSession(server: String = "192.0.2.10", atSeconds: Int64 = 0) -> (SessionRecord, [CipherFinding]) {
        let session = Fixtures.session(server: server, offered: [.tls12], negotiated: .tls12, atSeconds: atSeconds, cipher: tripleDES)
        let findings = CipherAudit.audit(version: .tls12, suite: tripleDES, offered: [tripleDES], deepSecurityEndpoint: true)
        return (session, findings)
    }

    @Test func weakCiphersDoNotAlertUnlessAskedTo() {
        var policy = AlertPolicy()
        let (session, findings) = Self.weakSession()
        #expect(!findings.isEmpty)
        #expect(policy.alerts(for: session).isEmpty)   // TLS 1.2: not early
        #expect(policy.weakCipherAlerts(for: session, findings: findings).isEmpty)
    }

    @Test func weakCipherAlertsOncePerServerAndFindingAtOrAboveTheMinimum() throws {
        var policy = AlertPolicy(configuration: .init(weakCipherMinimum: .medium),
                                 labels: FingerprintLabels([Fixtures.ja3s: "DSM 10"]))
        let (session, findings) = Self.weakSession()
        let medium = findings.filter { $0.severity >= .medium }.map(\.name)
        #expect(medium.contains("triple_des") && findings.contains { $0.severity == .low })
        let alerts = policy.weakCipherAlerts(for: session, findings: findings)
        #expect(alerts.map(\.finding.name) == medium)
        let first = try #require(alerts.first)
        #expect(first.endpoint == IPAddress("192.0.2.10"))
        #expect(first.endpointPort == 4120)
        #expect(first.endpointRole == "manager")
        #expect(first.serviceRole == "manager_heartbeat")
        #expect(first.peer == IPAddress("198.51.100.7"))
        #expect(first.cipher == Self.tripleDES)
        #expect(first.severity == AlertSeverity.forFinding(first.finding.severity))
        #expect(first.fingerprints == AlertFingerprints(ja3: Fixtures.ja3, ja4: Fixtures.ja4, ja3s: Fixtures.ja3s, label: "DSM 10"))
        // The same server again: deduplicated; another server alerts on its own.
        #expect(policy.weakCipherAlerts(for: Self.weakSession(atSeconds: 60).0, findings: findings).isEmpty)
        #expect(policy.weakCiphersSuppressed == medium.count)
        #expect(policy.weakCipherAlerts(for: Self.weakSession(server: "192.0.2.11").0, findings: findings).count == medium.count)
        // Lowering the bar adds the low finding, once.
        var low = AlertPolicy(configuration: .init(weakCipherMinimum: .low))
        #expect(low.weakCipherAlerts(for: session, findings: findings).count == findings.count)
        #expect(low.weakCipherAlerts(for: session, findings: findings).isEmpty)
        var high = AlertPolicy(configuration: .init(weakCipherMinimum: .high))
        #expect(high.weakCipherAlerts(for: session, findings: findings).isEmpty)
    }

    @Test func weakCipherMemoryIsBounded() {
        var policy = AlertPolicy(configuration: .init(maximumEndpoints: 50, weakCipherMinimum: .low))
        let findings = Self.weakSession().1
        for index in 0 ..< 500 {
            let (session, _) = Self.weakSession(server: "192.0.\(2 + index / 250).\(index % 250 + 1)", atSeconds: Int64(index))
            #expect(!policy.weakCipherAlerts(for: session, findings: findings).isEmpty)
        }
        #expect(policy.endpointsForgotten > 0)
    }

    @Test func zeroSpacingAlertsEverySession() {
        var policy = AlertPolicy(configuration: .init(reminderIntervalNanos: nil, alertEverySession: true, minimumSpacingNanos: 0))
        var kinds: [EarlyTLSAlertKind] = []
        for tenth in 0 ..< 5 {   // five sessions 100 ms apart
            var session = Fixtures.session()
            session.firstSeenNanos += Int64(tenth) * 100_000_000
            kinds += policy.alerts(for: session).map(\.kind)
        }
        #expect(kinds == [.firstSeen, .session, .session, .session, .session])
        #expect(policy.pendingReminders().isEmpty)
    }
}
