import HelloFingerprint
import HelloWire
import Testing

@Suite struct CipherAuditTests {
    @Test(arguments: [
        (0x0000, CipherStrength.broken), (0x0001, .broken), (0x0003, .broken), (0x0004, .rc4),
        (0x0009, .broken), (0x000a, .tripleDES), (0x0018, .broken), (0x002f, .cbcSHA1),
        (0xc013, .cbcSHA1), (0xc027, .cbcSHA2), (0x003d, .cbcSHA2), (0x009c, .aeadStaticKeyExchange),
        (0x009e, .aeadDHE), (0xc02f, .aeadECDHE), (0xc030, .aeadECDHE), (0xcca8, .aeadECDHE),
        (0x1301, .aeadECDHE), (0x1305, .aeadECDHE), (0xc0b4, .broken), (0xc0a0, .aeadStaticKeyExchange),
        (0x0064, .broken), (0xccaa, .aeadDHE),
    ] as [(UInt16, CipherStrength)])
    func strengthTiers(code: UInt16, expected: CipherStrength) throws {
        let traits = try #require(CipherTraits(CipherSuite(code)))
        #expect(traits.strength == expected, "\(CipherSuite(code).name)")
    }

    @Test func signallingGREASEAndUnknownHaveNoTraits() {
        for code: UInt16 in [0x00ff, 0x5600, 0x0a0a, 0xfafa, 0x1234] {
            #expect(CipherTraits(CipherSuite(code)) == nil)
        }
    }

    /// Every suite the generated registry names classifies, and the flags agree with the tier.
    @Test func everyRegistrySuiteClassifies() {
        var named = 0
        for code in 0 ... 0xffff {
            let suite = CipherSuite(UInt16(code))
            guard let name = suite.registryName?.description, !name.hasSuffix("SCSV") else { continue }
            named += 1
            guard let traits = CipherTraits(suite) else {
                Issue.record("\(name) has no traits")
                continue
            }
            let broken = traits.isNullEncryption || traits.isAnonymous || traits.isExport || traits.isSingleDES
            #expect(broken == (traits.strength == .broken), "\(name)")
            if name.contains("_GCM_") { #expect(traits.isAEAD || traits.isNullEncryption, "\(name)") }
            if name.contains("EXPORT") { #expect(traits.isExport, "\(name)") }
            if name.contains("_anon_") { #expect(traits.isAnonymous, "\(name)") }
        }
        #expect(named > 350)
    }

    @Test func strongSessionHasNoFindings() {
        let offered = [0x1301, 0xc02b, 0xc02f, 0xc030, 0x002f, 0x00ff].map(CipherSuite.init(_:))
        #expect(CipherAudit.audit(version: .tls12, suite: CipherSuite(0xc030), offered: offered).isEmpty)
        #expect(CipherAudit.audit(version: .tls13, suite: CipherSuite(0x1302), offered: offered).isEmpty)
        #expect(CipherAudit.isDeepSecurityStrong(version: .tls12, suite: CipherSuite(0xc030)))
        #expect(CipherAudit.isDeepSecurityStrong(version: .tls12, suite: CipherSuite(0xc02f)))
        #expect(CipherAudit.isDeepSecurityStrong(version: .tls13, suite: CipherSuite(0x1303)))
        #expect(!CipherAudit.isDeepSecurityStrong(version: .tls12, suite: CipherSuite(0xc02b)))
        #expect(!CipherAudit.isDeepSecurityStrong(version: .tls12, suite: CipherSuite(0xc028)))
    }

    /// The offer given lazily: the same findings as given as a list, for every code chosen,
    /// and never built when the choice is an ECDHE AEAD suite (nothing can be stronger).
    @Test func lazyOfferMatchesTheList() {
        let offered = [0x1301, 0xc02b, 0xc02f, 0x009e, 0x009c, 0x002f, 0x000a, 0x0004, 0x00ff].map(CipherSuite.init(_:))
        var compared = 0
        for version: TLSVersion in [.sslv3, .tls10, .tls12, .tls13] {
            for code in 0 ... 0xffff {
                let suite = CipherSuite(UInt16(code))
                var built = false
                let lazy = CipherAudit.audit(version: version, suite: suite, offered: { built = true; return offered },
                                             deepSecurityEndpoint: code % 2 == 0)
                let eager = CipherAudit.audit(version: version, suite: suite, offered: offered, deepSecurityEndpoint: code % 2 == 0)
                if lazy != eager { Issue.record("\(suite.name) at \(version.name): \(lazy.map(\.name)) != \(eager.map(\.name))") }
                if built && CipherTraits(suite)?.strength == .aeadECDHE { Issue.record("\(suite.name): offer built") }
                if lazy.contains(where: { $0.name == "weaker_than_offered" }) { compared += 1 }
            }
        }
        #expect(compared > 100)
    }

    @Test func rc4MD5IsHighThenMedium() {
        let findings = CipherAudit.audit(version: .tls10, suite: CipherSuite(0x0004))
        #expect(findings.map(\.name) == ["rc4", "md5_mac"])
        #expect(findings.map(\.severity) == [.high, .medium])
    }

    @Test func anonymousExportNullAndDES() {
        #expect(CipherAudit.audit(version: .tls10, suite: CipherSuite(0x0018)).map(\.name)
            == ["anonymous_key_exchange", "rc4", "md5_mac"])
        #expect(CipherAudit.audit(version: .sslv3, suite: CipherSuite(0x0003)).map(\.name)
            == ["export_grade", "rc4", "md5_mac"])
        #expect(CipherAudit.audit(version: .tls12, suite: CipherSuite(0x0002)).map(\.name)
            == ["null_encryption"])
        #expect(CipherAudit.audit(version: .tls10, suite: CipherSuite(0x0009)).map(\.name) == ["des"])
        #expect(CipherAudit.audit(version: .tls10, suite: CipherSuite(0x000a)).map(\.name) == ["triple_des"])
    }

    @Test func cbcSHA1UnderTLS12() {
        let staticRSA = CipherAudit.audit(version: .tls12, suite: CipherSuite(0x002f))
        #expect(staticRSA.map(\.name) == ["cbc_sha1_tls12"])
        #expect(staticRSA.first?.severity == .medium)
        let ecdhe = CipherAudit.audit(version: .tls12, suite: CipherSuite(0xc013))
        #expect(ecdhe.map(\.name) == ["cbc_sha1_tls12"])
        #expect(ecdhe.first?.severity == .low)
        // Under TLS 1.0 the version verdict is the finding; CBC-SHA1 is all there is.
        #expect(CipherAudit.audit(version: .tls10, suite: CipherSuite(0xc014)).isEmpty)
    }

    @Test func serverChoosingWorseThanOffered() {
        let offered = [0xc02f, 0xc013, 0x002f, 0x00ff].map(CipherSuite.init(_:))
        let findings = CipherAudit.audit(version: .tls12, suite: CipherSuite(0x002f), offered: offered)
        #expect(findings.map(\.name) == ["cbc_sha1_tls12", "weaker_than_offered"])
        #expect(findings.last?.text.contains("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256") == true)
        // GCM cannot be chosen under TLS 1.0, so CBC is not "weaker than offered" there.
        #expect(CipherAudit.audit(version: .tls10, suite: CipherSuite(0xc013), offered: offered).isEmpty)
        // TLS 1.3 suites on offer do not count in a TLS 1.2 session.
        let mixed = [0x1301, 0xc02f].map(CipherSuite.init(_:))
        #expect(CipherAudit.audit(version: .tls12, suite: CipherSuite(0xc02f), offered: mixed).isEmpty)
    }

    @Test func deepSecurityEndpointOutsideStrongSet() {
        let findings = CipherAudit.audit(version: .tls12, suite: CipherSuite(0xc028), deepSecurityEndpoint: true)
        #expect(findings.map(\.name) == ["deep_security_not_strong"])
        #expect(CipherAudit.audit(version: .tls12, suite: CipherSuite(0xc02f), deepSecurityEndpoint: true).isEmpty)
    }

    @Test func sslv2NegotiatedIsLeftToTheVersionVerdict() {
        #expect(CipherAudit.audit(version: .sslv2, suite: CipherSuite(0x0080)).isEmpty)
    }

    /// SSLv2-format hellos offer 3-byte specs; those starting with 0 are the TLS suites.
    @Test func offeredSuitesOfAnSSLv2CompatibleHello() throws {
        let record = bytes(hex: Fixtures.sslv2CompatibleHello)
        let span = record.span.bytes
        let hello = try ClientHello(decodingSSLv2: span, message: 2 ..< record.count)
        let offered = CipherAudit.offeredSuites(hello: hello, in: span).map(\.rawValue)
        #expect(offered == [0x39, 0x38, 0x35, 0x33, 0x32, 0x04, 0x05, 0x2f, 0x16, 0x13, 0xfeff, 0x0a,
                            0x15, 0x12, 0xfefe, 0x09, 0x64, 0x62, 0x03, 0x06])
        // What a session keeps for the audit: the same suites, though such a hello has no fingerprint.
        var inputs = FingerprintInputs()
        inputs.readClient(hello, in: span)
        #expect(inputs.offeredSuites.isEmpty)
        inputs.readSuites(hello, in: span)
        #expect(inputs.offeredSuites.map(\.rawValue) == offered)
    }

    /// Our Captures/ds-agent-4118.pcap session 0: TLS 1.0 client, server picks 0xc014.
    @Test func captureSessionTLS10() throws {
        let client = try fingerprintClient(bytes(hex: Fixtures.dsAgentFrame4))
        let server = try fingerprintServer(bytes(hex: Fixtures.dsAgentFrame6)).hello
        let findings = CipherAudit.audit(version: server.negotiatedVersion, suite: server.cipherSuite,
                                         offered: client.offered, deepSecurityEndpoint: true)
        #expect(findings.map(\.name) == ["deep_security_not_strong"])
    }
}
