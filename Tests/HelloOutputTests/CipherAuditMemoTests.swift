import Testing
import HelloFingerprint
import HelloFlows
import HelloOutput
import HelloWire
import FrameTestSupport

/// The output thread audits each session's cipher through `CipherAuditMemo`, which hands out
/// the audit of the last session with the same inputs. Whatever it has seen before, its
/// answer must be the audit itself.
@Suite struct CipherAuditMemoTests {
    /// Negotiated suites from strong to broken, and offers that do or do not hold a stronger
    /// one, so that `weaker_than_offered` turns on the offer and `deep_security_not_strong` on
    /// the endpoint.
    static let suites: [UInt16] = [0x1301, 0x1302, 0xc02f, 0xc030, 0x009c, 0x002f, 0x0035, 0xc013, 0x000a, 0x0005, 0x0004,
                                   0x0003, 0x0001, 0x0018, 0x0009, 0xfefe, 0x0a0a, 0x00ff]
    static let versions: [TLSVersion] = [.sslv3, .tls10, .tls11, .tls12, .tls13, TLSVersion(0x7f1c), .sslv2]

    struct Inputs {
        var version: TLSVersion
        var suite: CipherSuite
        var offered: [UInt16]
        var deepSecurityEndpoint: Bool
    }

    /// 20 000 draws (xorshift, fixed seed): most repeat one of 30 stacks, some with one input
    /// changed, so that the memo's 64 slots both hit and collide.
    func draws() -> [Inputs] {
        var random = XorShift(seed: 0xc1_9e_a5)
        func pick<T>(_ values: [T]) -> T { values[random.below(values.count)] }
        func offer() -> [UInt16] {
            (0 ..< random.below(12)).map { _ in pick(Self.suites) }
        }
        func fresh() -> Inputs {
            Inputs(version: pick(Self.versions), suite: CipherSuite(pick(Self.suites)), offered: offer(),
                   deepSecurityEndpoint: random.below(2) == 0)
        }
        let stacks = (0 ..< 30).map { _ in fresh() }
        return (0 ..< 20_000).map { _ in
            var inputs = pick(stacks)
            switch random.below(10) {
            case 0: inputs.offered = offer()
            case 1: inputs.deepSecurityEndpoint.toggle()
            case 2: inputs.suite = CipherSuite(pick(Self.suites))
            case 3: inputs.version = pick(Self.versions)
            case 4: if !inputs.offered.isEmpty { inputs.offered[random.below(inputs.offered.count)] = pick(Self.suites) }
            case 5: return fresh()
            default: break
            }
            return inputs
        }
    }

    @Test func answersAsTheAuditDoes() {
        let memo = CipherAuditMemo()
        var kinds = Set<String>()
        for inputs in draws() {
            let audited = CipherAudit.audit(version: inputs.version, suite: inputs.suite,
                                            offered: inputs.offered.map { CipherSuite($0) },
                                            deepSecurityEndpoint: inputs.deepSecurityEndpoint)
            let remembered = inputs.offered.withUnsafeBufferPointer {
                memo.findings(version: inputs.version, suite: inputs.suite, offered: $0,
                              deepSecurityEndpoint: inputs.deepSecurityEndpoint)
            }
            #expect(remembered.findings == audited, "\(inputs)")
            #expect(remembered.names == audited.map(\.name), "\(inputs)")
            kinds.formUnion(audited.map(\.name))
        }
        // The draws reach the findings that depend on each input.
        #expect(kinds.isSuperset(of: ["weaker_than_offered", "deep_security_not_strong", "cbc_sha1_tls12", "rc4", "null_encryption"]))
    }

    /// A finished session is audited from its own record: the suites its ClientHello
    /// offered (GREASE left out), read in place, its negotiated version and suite, and
    /// whether its role is a Deep Security one.
    @Test func auditsTheSessionsOwnOffer() throws {
        let memo = CipherAuditMemo()
        let roles = RoleTable()
        for (index, inputs) in draws().prefix(2_000).enumerated() {
            let offered = inputs.offered.filter { !TLSVersion($0).isGREASE }
            // A ClientHello offering `inputs.offered` (and a GREASE suite first), no extensions.
            let suites = [0x5a5a] + inputs.offered
            var body: [UInt8] = [3, 3] + [UInt8](repeating: 7, count: 32) + [0]
            body += [UInt8(suites.count * 2 >> 8), UInt8(suites.count * 2 & 0xff)] + suites.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xff)] }
            body += [1, 0]
            let message: [UInt8] = [1, 0, UInt8(body.count >> 8), UInt8(body.count & 0xff)] + body
            let span = message.span.bytes
            var record = SessionRecord()
            record.fingerprints.inputs.readClient(try ClientHello(decoding: span, body: 4 ..< message.count), in: span)
            record.negotiated = inputs.version
            record.cipher = inputs.suite
            record.roleIndex = inputs.deepSecurityEndpoint ? 0 : roles.otherIndex
            let audited = CipherAudit.audit(version: inputs.version, suite: inputs.suite, offered: offered.map { CipherSuite($0) },
                                            deepSecurityEndpoint: inputs.deepSecurityEndpoint)
            let found = withUnsafePointer(to: &record) { memo.findings($0, roles: roles) }
            #expect(found.findings == audited, "draw \(index): \(inputs)")
            #expect(found.names == audited.map(\.name), "draw \(index)")
        }
    }

    /// The offer decides `weaker_than_offered`: the same choice after a different offer is
    /// audited again, not remembered.
    @Test func aDifferentOfferIsNotTheSameSession() {
        let memo = CipherAuditMemo()
        let weak = CipherSuite(0x002f)   // TLS_RSA_WITH_AES_128_CBC_SHA
        let withStronger: [UInt16] = [0xc02f, 0x002f]
        let withoutStronger: [UInt16] = [0x000a, 0x002f]
        let first = withStronger.withUnsafeBufferPointer {
            memo.findings(version: .tls12, suite: weak, offered: $0, deepSecurityEndpoint: false)
        }
        let second = withoutStronger.withUnsafeBufferPointer {
            memo.findings(version: .tls12, suite: weak, offered: $0, deepSecurityEndpoint: false)
        }
        #expect(first.names.contains("weaker_than_offered"))
        #expect(!second.names.contains("weaker_than_offered"))
    }
}
