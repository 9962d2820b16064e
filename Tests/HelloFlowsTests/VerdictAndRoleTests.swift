import Testing
@testable import HelloFlows
import HelloWire
import FrameTestSupport

// EarlyTLSPolicy.judge on hand-filled SessionRecords (the rule: RFC 8996 deprecates TLS
// 1.0 and 1.1, so below 1.2 is early), and RoleTable.classify against the Deep Security
// port list and SNI patterns (Captures/README.md lists the SNIs the real captures use).

private func session(offered: [TLSVersion]?, fromSupportedVersions: Bool = false,
                     negotiated: TLSVersion? = nil, status: SessionStatus = .negotiated) -> SessionRecord {
    var record = SessionRecord()
    if let offered {
        record.clientHello = .parsed
        var offer = OfferedVersions()
        offer.fromSupportedVersions = fromSupportedVersions
        for version in offered { offer.add(version) }
        record.offered = offer
    }
    if let negotiated {
        record.serverHello = .parsed
        record.negotiated = negotiated
    }
    record.status = status
    return record
}

private func judged(_ record: SessionRecord, minimum: TLSVersion = .tls12) -> SessionRecord {
    var record = record
    EarlyTLSPolicy(minimumVersion: minimum).judge(&record)
    return record
}

@Suite("Verdicts")
struct VerdictTests {
    @Test("client offered 1.2, server chose 1.0: early TLS negotiated, the server to blame")
    func serverBlamed() {
        let record = judged(session(offered: [.tls12], negotiated: .tls10))
        #expect(record.earlyTLS)
        #expect(record.verdict == .earlyTLSNegotiated)
        #expect(record.blame == .server)
        // The same with a supported_versions list 1.3..1.0.
        let listed = judged(session(offered: [.tls13, .tls12, .tls11, .tls10], fromSupportedVersions: true, negotiated: .tls10))
        #expect(listed.verdict == .earlyTLSNegotiated && listed.blame == .server)
    }

    @Test("client offered at most 1.0: early TLS negotiated, the client to blame")
    func clientBlamed() {
        let record = judged(session(offered: [.tls10], negotiated: .tls10))
        #expect(record.earlyTLS)
        #expect(record.verdict == .earlyTLSNegotiated)
        #expect(record.blame == .client)
        let sslv3 = judged(session(offered: [.sslv3], negotiated: .sslv3))
        #expect(sslv3.blame == .client && sslv3.earlyTLS)
    }

    @Test("supported_versions 1.3..1.0 and 1.3 chosen: early TLS offered but upgraded, nobody blamed")
    func offeredUpgraded() {
        let record = judged(session(offered: [.tls13, .tls12, .tls11, .tls10], fromSupportedVersions: true, negotiated: .tls13))
        #expect(!record.earlyTLS)
        #expect(record.verdict == .earlyTLSOfferedUpgraded)
        #expect(record.blame == .none)
    }

    @Test("a legacy_version of 1.2 alone does not say 1.0 was offered: ok")
    func legacyOnlyIsOK() {
        let record = judged(session(offered: [.tls12], negotiated: .tls12))
        #expect(record.verdict == .ok && !record.earlyTLS && record.blame == .none)
        let tls13 = judged(session(offered: [.tls13, .tls12], fromSupportedVersions: true, negotiated: .tls13))
        #expect(tls13.verdict == .ok)
    }

    @Test("only early versions offered and refused: early_only_refused; unanswered: unknown; both blame the client")
    func earlyOnly() {
        let refused = judged(session(offered: [.tls10], status: .refused))
        #expect(refused.verdict == .earlyOnlyRefused)
        #expect(refused.blame == .client)
        #expect(!refused.earlyTLS)
        let unanswered = judged(session(offered: [.tls11, .tls10], fromSupportedVersions: true, status: .noServerHello))
        #expect(unanswered.verdict == .unknown)
        #expect(unanswered.blame == .client)
        let modernRefused = judged(session(offered: [.tls12], status: .refused))
        #expect(modernRefused.verdict == .unknown && modernRefused.blame == .none)
    }

    @Test("nothing seen from the client: a negotiated early version is early, blame unknown")
    func noClientHello() {
        let record = judged(session(offered: nil, negotiated: .tls10))
        #expect(record.earlyTLS && record.verdict == .earlyTLSNegotiated && record.blame == .none)
        #expect(judged(session(offered: nil, status: .noServerHello)).verdict == .unknown)
    }

    @Test("a stricter policy (minimum TLS 1.3) and GREASE-free drafts")
    func stricterPolicy() {
        let record = judged(session(offered: [.tls13, .tls12], fromSupportedVersions: true, negotiated: .tls12), minimum: .tls13)
        #expect(record.earlyTLS && record.blame == .server)
        #expect(EarlyTLSPolicy().isEarly(.tls11))
        #expect(!EarlyTLSPolicy().isEarly(.tls12))
        #expect(!EarlyTLSPolicy().isEarly(TLSVersion(0x7f12)))   // a 1.3 draft is newer than 1.2
        #expect(EarlyTLSPolicy().isEarly(.sslv2))
    }

    @Test("judging twice gives the same answer (the verdict is recomputed, not accumulated)")
    func idempotent() {
        let once = judged(session(offered: [.tls12], negotiated: .tls10))
        let twice = judged(once)
        #expect(twice.verdict == once.verdict && twice.blame == once.blame && twice.earlyTLS == once.earlyTLS)
        var upgraded = once
        upgraded.negotiated = .tls13
        let rejudged = judged(upgraded)
        #expect(!rejudged.earlyTLS && rejudged.blame == .none && rejudged.verdict == .ok)
    }
}

private func name(_ text: String) -> ShortBytes<255> {
    var bytes = ShortBytes<255>()
    let utf8 = Array(text.utf8)
    bytes.assign(utf8.span.bytes, 0 ..< utf8.count)
    return bytes
}

@Suite("Role table")
struct RoleTableTests {
    let roles = RoleTable()

    @Test("Deep Security ports on the server side", arguments: [
        (UInt16(4118), "agent"), (4119, "manager_console"), (4120, "manager_heartbeat"), (4122, "relay"),
    ])
    func ports(port: UInt16, role: String) {
        let match = roles.classify(serverPort: port, clientPort: 50_000, serverName: ShortBytes<255>())
        #expect(roles.roleName(match.index) == role)
        #expect(match.listenerIsServer)
    }

    @Test("443 by SNI", arguments: [
        ("agents.deepsecurity.trendmicro.com", "dsaas"),
        ("agents-123.workload.us-1.cloudone.trendmicro.com", "dsaas"),
        ("workload.de-1.cloudone.trendmicro.com", "dsaas"),
        ("Agents.DeepSecurity.TrendMicro.com", "dsaas"),          // DNS names are case-insensitive
        ("www.example.com", "other"),
        ("", "other"),
        ("deepsecurity.trendmicro.com.evil.example", "other"),
        ("evil-deepsecurity.trendmicro.com", "other"),
    ])
    func dsaas(serverName: String, role: String) {
        let match = roles.classify(serverPort: 443, clientPort: 50_000, serverName: name(serverName))
        #expect(roles.roleName(match.index) == role)
    }

    @Test("the listener on the client's port: a TLS client on 4118 is the agent")
    func listenerOnClientPort() {
        let match = roles.classify(serverPort: 50_500, clientPort: 4118, serverName: ShortBytes<255>())
        #expect(roles.roleName(match.index) == "agent")
        #expect(!match.listenerIsServer)
        let endpoints = roles.endpointRoles(match)
        #expect(endpoints.client == "agent")
        #expect(endpoints.server == "manager")
        // The server's port wins when both ports are known.
        let both = roles.classify(serverPort: 4120, clientPort: 4118, serverName: ShortBytes<255>())
        #expect(roles.roleName(both.index) == "manager_heartbeat" && both.listenerIsServer)
    }

    @Test("an unknown port is other, the last rule; custom rules replace the defaults")
    func otherAndCustom() {
        let match = roles.classify(serverPort: 8443, clientPort: 50_000, serverName: name("agents.deepsecurity.trendmicro.com"))
        #expect(match.index == roles.otherIndex)
        #expect(roles.roleName(match.index) == "other")
        #expect(roles.otherIndex == roles.rules.count - 1)
        let custom = RoleTable(rules: [RoleRule(role: "ldap", port: 636, listener: "directory", peer: "client")])
        #expect(custom.roleName(custom.classify(serverPort: 636, clientPort: 1, serverName: ShortBytes<255>()).index) == "ldap")
        #expect(custom.classify(serverPort: 4118, clientPort: 1, serverName: ShortBytes<255>()).index == custom.otherIndex)
    }
}

/// SNI patterns match as their definition says (`*`: one or more bytes), whatever the name
/// the sender chose costs.
struct SNIPatternTests {
    /// The definition, by trying every split at every star: the matcher HelloScope had, whose
    /// cost grows as the name's length to the power of the stars.
    static func matchesByDefinition(_ pattern: [UInt8], _ text: [UInt8]) -> Bool {
        func match(_ p: Int, _ t: Int) -> Bool {
            if p == pattern.count { return t == text.count }
            if pattern[p] == UInt8(ascii: "*") {
                return t < text.count && (t + 1 ... text.count).contains { match(p + 1, $0) }
            }
            return t < text.count && pattern[p] == text[t] && match(p + 1, t + 1)
        }
        return match(0, 0)
    }

    @Test("patterns and names from a small alphabet match as by definition (30 000 seeded pairs)")
    func sameAsTheDefinition() {
        var random = XorShift(seed: 1_866)
        let alphabet: [UInt8] = Array("ab.*".utf8)
        var matched = 0
        for _ in 0 ..< 30_000 {
            let pattern = (0 ..< random.below(8)).map { _ in alphabet[random.below(4)] }
            let text = (0 ..< random.below(10)).map { _ in alphabet[random.below(3)] }
            let expected = Self.matchesByDefinition(pattern, text)
            #expect(RoleTable.glob(pattern, text) == expected, "\(String(decoding: pattern, as: UTF8.self)) \(String(decoding: text, as: UTF8.self))")
            if expected { matched += 1 }
        }
        #expect(matched > 1_000)
    }

    @Test("a rule's patterns take names in any case as by definition (20 000 seeded rules and names)")
    func rulesMatchAsTheDefinition() {
        var random = XorShift(seed: 2_026)
        let patternAlphabet: [UInt8] = Array("ab.*".utf8)
        let nameAlphabet: [UInt8] = Array("abAB.".utf8)
        var matched = 0
        for _ in 0 ..< 20_000 {
            let patterns = (0 ... random.below(3)).map { _ in (0 ..< random.below(8)).map { _ in patternAlphabet[random.below(4)] } }
            let serverName = (0 ..< random.below(10)).map { _ in nameAlphabet[random.below(5)] }
            let lowered = serverName.map { $0 >= 65 && $0 <= 90 ? $0 + 32 : $0 }
            let expected = patterns.contains { Self.matchesByDefinition($0, lowered) }
            let roles = RoleTable(rules: [RoleRule(role: "web", port: 443, sni: patterns.map { String(decoding: $0, as: UTF8.self) },
                                                    listener: "server", peer: "client")])
            let match = roles.classify(serverPort: 443, clientPort: 50_000, serverName: name(String(decoding: serverName, as: UTF8.self)))
            #expect((match.index == 0) == expected,
                    "\(patterns.map { String(decoding: $0, as: UTF8.self) }) \(String(decoding: serverName, as: UTF8.self))")
            if expected { matched += 1 }
        }
        #expect(matched > 1_000)
    }

    @Test("a 255-byte name against a pattern of many stars is decided (no match, then a match)")
    func hostileNameIsCheap() {
        // By definition this takes C(255, 8) tries, about 10^14, before it fails.
        let pattern = Array("*a*a*a*a*a*a*a*a*.example".utf8)
        let long = [UInt8](repeating: UInt8(ascii: "a"), count: 255)
        #expect(!RoleTable.glob(pattern, long))
        #expect(RoleTable.glob(pattern, Array(long.prefix(200)) + Array(".example".utf8)))
        let roles = RoleTable(rules: [RoleRule(role: "web", port: 443, sni: [String(decoding: pattern, as: UTF8.self)],
                                                listener: "server", peer: "client")])
        let hostile = String(decoding: long, as: UTF8.self)
        #expect(roles.classify(serverPort: 443, clientPort: 50_000, serverName: name(hostile)).index == roles.otherIndex)
    }
}
