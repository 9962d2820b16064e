import Testing
import HelloFingerprint
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

/// `SessionJSON` copies the members from `role` to `ds_strong_cipher` from the last session
/// with the same `MiddleFields`: the ClientHello's shape stamp (the tracker gives one stamp to
/// one shape: one server name, one offered protocol list, one set of fingerprint inputs), the
/// role, the handshake fields, the server's fingerprint inputs and its chosen protocol. Each
/// line is held against a fresh writer's, written as the hub writes it: copied when
/// `writeIfKept` can, else with the hashes and the cipher audit worked out.
@Suite struct MiddleRunsTests {
    struct Shape {
        let stamp: InputsStamp
        let hello: [UInt8]
    }

    static func clientHello(version: UInt16, ciphers: [UInt16], name: String?, alpn: [String]) -> [UInt8] {
        var extensions: [(UInt16, [UInt8])] = [(23, []), (11, [1, 0])]
        if let name { extensions.insert(TLSBuilder.serverName(name), at: 0) }
        if !alpn.isEmpty {
            let list = alpn.flatMap { [UInt8($0.utf8.count)] + Array($0.utf8) }
            extensions.append((16, [UInt8(list.count >> 8), UInt8(list.count & 0xff)] + list))
        }
        return TLSBuilder.handshake(1, TLSBuilder.clientHelloBody(version: version, ciphers: ciphers, extensions: extensions))
    }

    static func serverHello(version: UInt16, cipher: UInt16, extensions: [(UInt16, [UInt8])]) -> [UInt8] {
        TLSBuilder.handshake(2, TLSBuilder.serverHelloBody(version: version, cipher: cipher, extensions: extensions))
    }

    /// A session as the tracker leaves it for the hub: hashes pending.
    /// `stack`: what the session shares with others of its stack (its role, record version,
    /// segments, chosen protocol); `random` the rest.
    static func session(client: Shape, server: [UInt8]?, stack: UInt64, _ random: inout XorShift, index: Int) throws -> SessionRecord {
        var shared = XorShift(seed: stack)
        func pick<T>(_ values: [T]) -> T { values[shared.below(values.count)] }
        var session = SessionRecord()
        let clientSpan = client.hello.span.bytes
        let hello = try ClientHello(decoding: clientSpan, body: 4 ..< client.hello.count)
        session.clientHello = .parsed
        session.clientLegacyVersion = hello.legacyVersion
        session.offered = hello.offeredVersions(clientSpan)
        if let name = hello.extensions.serverName { session.serverName.assign(clientSpan, name) }
        if let protocols = hello.extensions.applicationProtocols { session.alpnOffered.assign(clientSpan, protocols) }
        session.fingerprints.inputs.readClient(hello, in: clientSpan)
        session.fingerprints.clientStamp = client.stamp
        session.fingerprints.hashesPending = true
        session.clientRecordVersion = pick([.tls10, .tls12])
        session.clientHelloSegments = UInt16(pick([1, 1, 1, 2]))
        session.clientHelloRecords = 1
        if let server {
            let serverSpan = server.span.bytes
            let reply = try ServerHello(decoding: serverSpan, body: 4 ..< server.count)
            session.serverHello = .parsed
            session.serverLegacyVersion = reply.legacyVersion
            session.negotiated = reply.negotiatedVersion
            session.cipher = reply.cipherSuite
            session.fingerprints.inputs.readServer(reply, in: serverSpan)
            let alpn = Array(pick(["", "", "h2", "http/1.1"]).utf8)
            alpn.withUnsafeBufferPointer { session.alpnSelected.assign($0) }
            session.status = .negotiated
        } else {
            session.status = random.below(2) == 0 ? .noServerHello : .refused
        }
        session.roleIndex = shared.below(6)   // the default rules and `other`
        session.roleListenerIsServer = shared.below(4) != 0
        session.resumed = random.below(8) == 0
        session.verdict = Verdict.allCases[random.below(Verdict.allCases.count)]
        session.firstSeenNanos = 1_700_000_000_000_000_000 + Int64(index) * 1_000
        session.client = random.below(3) == 0 ? IPAddress(high: 0x2001_0db8 << 32, low: UInt64(index)) : IPAddress(ipv4: 0x0a00_0001 + UInt32(index))
        session.isIPv6 = !session.client.isIPv4
        session.server = session.isIPv6 ? IPAddress(high: 0x2001_0db8 << 32, low: 0xffff) : IPAddress(ipv4: 0x0a00_ff01)
        session.clientPort = UInt16(40_000 + index % 20_000)
        session.serverPort = [443, 4118, 4119, 4120, 4122][random.below(5)]
        return session
    }

    /// The line as the hub writes it.
    static func line(_ writer: SessionJSON, _ memo: FingerprintMemo, _ audits: CipherAuditMemo, roles: RoleTable,
                     _ session: SessionRecord, copied: inout Int) -> String {
        var session = session
        var out = JSONBytes()
        if writer.writeIfKept(&session, into: &out) {
            copied += 1
        } else {
            let rendered = session.fingerprints.finishHashes(memo: memo)
            let findings = withUnsafePointer(to: &session) { audits.findings($0, roles: roles).findings }
            writer.write(&session, findings: findings, rendered: rendered, into: &out)
        }
        return String(decoding: out.array, as: UTF8.self)
    }

    @Test("lines copied from sessions with the same shape, role and server are the lines a fresh writer writes")
    func keptMiddlesWriteTheSameLines() throws {
        var random = XorShift(seed: 0x5eed_2026)
        // Shapes as the tracker stamps them: a stamp per distinct hello. Early and current
        // versions (findings and DS cipher strength differ), with and without names and protocols.
        let hellos: [[UInt8]] = [
            Self.clientHello(version: 0x0301, ciphers: [0xc00a, 0xc014, 0x0035, 0x002f, 0x0005], name: "agent.example", alpn: []),
            Self.clientHello(version: 0x0303, ciphers: [0xc02f, 0xc030, 0x009c], name: "mail.example", alpn: ["h2", "http/1.1"]),
            Self.clientHello(version: 0x0303, ciphers: [0xc02f, 0x0004], name: "x.deepsecurity.trendmicro.com", alpn: ["http/1.1"]),
            Self.clientHello(version: 0x0302, ciphers: [0x002f, 0x000a], name: nil, alpn: []),
            Self.clientHello(version: 0x0303, ciphers: [0x1301, 0xc02f], name: "Relay.Example", alpn: ["h2"]),
        ]
        let shapes = hellos.enumerated().map { Shape(stamp: InputsStamp(1_000 + $0.offset), hello: $0.element) }
        let servers: [[UInt8]?] = [
            nil,
            Self.serverHello(version: 0x0301, cipher: 0xc014, extensions: [(0xff01, [0])]),
            Self.serverHello(version: 0x0303, cipher: 0xc02f, extensions: [(0xff01, [0]), (11, [1, 0])]),
            Self.serverHello(version: 0x0303, cipher: 0xc02f, extensions: [(11, [1, 0]), (0xff01, [0])]),
            Self.serverHello(version: 0x0302, cipher: 0x0005, extensions: []),
            Self.serverHello(version: 0x0303, cipher: 0x0004, extensions: [(0xff01, [0]), (23, [])]),
        ]
        let roles = RoleTable()
        let seasoned = SessionJSON(roles: roles)
        let seasonedMemo = FingerprintMemo(), seasonedAudits = CipherAuditMemo()
        var copied = 0, unused = 0
        var middles = Set<Substring>()
        // Most sessions repeat one of 60 stacks (a shape, a server, a role ...); the rest are
        // stacks of their own.
        let stacks = (0 ..< 60).map { _ in (shape: random.below(shapes.count), server: random.below(servers.count), seed: random.next()) }
        for index in 0 ..< 6_000 {
            let stack = random.below(5) == 0
                ? (shape: random.below(shapes.count), server: random.below(servers.count), seed: random.next())
                : stacks[random.below(stacks.count)]
            let session = try Self.session(client: shapes[stack.shape], server: servers[stack.server], stack: stack.seed,
                                           &random, index: index)
            let kept = Self.line(seasoned, seasonedMemo, seasonedAudits, roles: roles, session, copied: &copied)
            let fresh = Self.line(SessionJSON(roles: roles), FingerprintMemo(), CipherAuditMemo(), roles: roles, session, copied: &unused)
            #expect(kept == fresh)
            if kept != fresh { break }
            if let start = kept.range(of: "\"role\":"), let end = kept.range(of: ",\"hello_retry\":") {
                middles.insert(kept[start.lowerBound ..< end.lowerBound])
            }
        }
        #expect(unused == 0)
        // Most lines are copied, from far more distinct middles than the writer has slots for.
        #expect(copied > 2_000)
        #expect(middles.count > 200)
    }
}
