import HelloFlows
import HelloWire
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
}
