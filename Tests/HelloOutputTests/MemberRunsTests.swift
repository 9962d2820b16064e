import Testing
import HelloFlows
import HelloOutput
import HelloWire
import FrameTestSupport

/// `SessionJSON` copies the members from `client_hello` to `cipher_code`, and from
/// `hello_retry` to `status`, from the last session with the same fields. A line written by a
/// writer that has seen thousands of sessions must be the line a fresh writer makes.
@Suite struct MemberRunsTests {
    /// Sessions whose fields those members come from take a few values each (xorshift64*, fixed
    /// seed): most repeat one of 40 stacks, some only in part, and the writer's 64 slots see
    /// collisions.
    func sessions(_ count: Int) -> [SessionRecord] {
        var random = XorShift(seed: 0x1d_e5e5)
        func pick<T>(_ values: [T]) -> T { values[random.below(values.count)] }
        let versions: [TLSVersion?] = [nil, .sslv3, .tls10, .tls11, .tls12, .tls13, TLSVersion(0x7f1c), TLSVersion(0x0a0a), TLSVersion(0)]
        let states: [HelloState] = [.missing, .parsed, .malformed, .overBound, .gap]
        // One way to change each field those members come from.
        let changes: [(inout SessionRecord) -> Void] = [
            { $0.clientHello = pick(states) },
            { $0.clientHelloSSLv2Format.toggle() },
            { $0.clientRecordVersion = pick(versions) },
            { $0.clientLegacyVersion = pick(versions) },
            {
                $0.offered = OfferedVersions()
                let offered = random.below(4) == 0 ? random.below(OfferedVersions.capacity + 3) : random.below(3)
                for _ in 0 ..< offered { $0.offered.add(pick(versions) ?? .tls12) }
            },
            { $0.offered.fromSupportedVersions.toggle() },
            { $0.clientHelloSegments = UInt16(pick([0, 1, 2, 3, 300, 65_535])) },
            { $0.clientHelloRecords = UInt8(pick([0, 1, 2, 255])) },
            { $0.serverHello = pick(states) },
            { $0.negotiated = pick(versions) },
            { $0.serverLegacyVersion = pick(versions) },
            { $0.cipher = pick([nil, CipherSuite(0x1301), CipherSuite(0xc02f), CipherSuite(0x0005), CipherSuite(0xfefe), CipherSuite(0)]) },
            { $0.helloRetry.toggle() },
            { $0.resumed.toggle() },
            {
                $0.alert = pick([nil, TLSAlert(level: 2, description: AlertDescription(rawValue: 70)),
                                 TLSAlert(level: 1, description: AlertDescription(rawValue: 0)),
                                 TLSAlert(level: 2, description: AlertDescription(rawValue: 250))])
            },
            { $0.alertFromServer.toggle() },
            { $0.preamble = pick(PreambleKind.allCases) },
            { $0.earlyTLS.toggle() },
            { $0.blame = pick([Blame.none, .client, .server]) },
            { $0.verdict = pick(Verdict.allCases) },
            { $0.status = pick(SessionStatus.allCases) },
        ]
        func randomFields(_ session: inout SessionRecord) {
            for change in changes { change(&session) }
        }
        // Stacks repeat: most sessions take one of 40 made-up stacks' fields, some of them with
        // one field changed, the rest fields of their own.
        let stacks: [SessionRecord] = (0 ..< 40).map { _ in
            var stack = SessionRecord()
            randomFields(&stack)
            return stack
        }
        return (0 ..< count).map { index in
            var session = random.below(5) == 0 ? SessionRecord() : stacks[random.below(stacks.count)]
            switch random.below(6) {
            case 0: randomFields(&session)
            case 1, 2: changes[random.below(changes.count)](&session)
            default: break
            }
            session.firstSeenNanos = 1_700_000_000_000_000_000 + Int64(index) * 1_000
            session.client = IPAddress(ipv4: 0x0a00_0001 + UInt32(index))
            session.server = IPAddress(ipv4: 0x0a00_ff01)
            session.clientPort = UInt16(40_000 + index % 20_000)
            session.serverPort = pick([443, 4118, 4119, 4120, 4122])
            return session
        }
    }

    func line(_ writer: SessionJSON, _ session: SessionRecord) -> String {
        var session = session
        var out = JSONBytes()
        writer.write(&session, findings: [], into: &out)
        return String(decoding: out.array, as: UTF8.self)
    }

    @Test("a writer that kept runs from 20 000 sessions writes each line as a fresh writer does")
    func keptRunsWriteTheSameLines() {
        let roles = RoleTable()
        let seasoned = SessionJSON(roles: roles)
        var handshakes: [Substring: Int] = [:]
        for session in sessions(20_000) {
            let kept = line(seasoned, session)
            let fresh = line(SessionJSON(roles: roles), session)
            #expect(kept == fresh)
            if kept != fresh { break }
            if let start = kept.range(of: "\"client_hello\":"), let end = kept.range(of: ",\"ja3\":") {
                handshakes[kept[start.lowerBound ..< end.lowerBound], default: 0] += 1
            }
        }
        // The mix must make runs to copy (most lines), and far more than the writer has slots for.
        #expect(handshakes.values.filter { $0 > 1 }.reduce(0, +) > 10_000)
        #expect(handshakes.count > 1_000)
    }
}
