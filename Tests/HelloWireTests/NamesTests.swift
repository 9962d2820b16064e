import Testing
import HelloWire

// Names and orderings, with expected text from the registries and RFCs: TLS versions
// (RFC 8446 §4.2.1, RFC 8701 GREASE, the TLS 1.3 draft code points 0x7fNN, Google's 0x7eNN
// and Facebook's 0xfbNN experiments), IANA cipher suite names, and RFC 5952 IPv6 text.

@Suite("Names")
struct NamesTests {
    @Test("TLS version names", arguments: [
        (UInt16(0x0002), "SSLv2"), (0x0300, "SSLv3"), (0x0301, "TLSv1.0"), (0x0302, "TLSv1.1"), (0x0303, "TLSv1.2"),
        (0x0304, "TLSv1.3"), (0x7f12, "TLSv1.3-draft18"), (0x7f1c, "TLSv1.3-draft28"), (0x7e01, "TLSv1.3-google-exp1"),
        (0xfb1a, "TLSv1.3-fb-draft26"), (0x1234, "0x1234"), (0x0a0a, "0x0a0a"), (0x0000, "0x0000"),
    ])
    func versionName(code: UInt16, name: String) {
        #expect(TLSVersion(code).name == name)
        #expect(TLSVersion(rawValue: code).name == name)
    }

    @Test("version names parse back, case-insensitively, and as hex codes")
    func versionParse() {
        #expect(TLSVersion(name: "TLSv1.2") == .tls12)
        #expect(TLSVersion(name: "tlsv1.0") == .tls10)
        #expect(TLSVersion(name: "TLSv1") == .tls10)
        #expect(TLSVersion(name: "SSLv3") == .sslv3)
        #expect(TLSVersion(name: "0x7f12") == TLSVersion(0x7f12))
        #expect(TLSVersion(name: "TLSv9") == nil)
    }

    @Test("GREASE values (RFC 8701 §2): 0x?a?a with equal bytes, and nothing else",
          arguments: [UInt16(0x0a0a), 0x1a1a, 0x2a2a, 0x3a3a, 0x4a4a, 0x5a5a, 0x6a6a, 0x7a7a, 0x8a8a, 0x9a9a, 0xaaaa,
                      0xbaba, 0xcaca, 0xdada, 0xeaea, 0xfafa])
    func grease(code: UInt16) {
        #expect(TLSVersion(code).isGREASE)
        #expect(CipherSuite(code).isGREASE)
        #expect(!TLSVersion(code).isKnown)
    }

    @Test("not GREASE", arguments: [UInt16(0x0a1a), 0x1a0a, 0x0303, 0x0b0b, 0xaaab, 0x0000, 0x7f12])
    func notGrease(code: UInt16) {
        #expect(!TLSVersion(code).isGREASE)
    }

    @Test("ranking: SSLv2 < SSLv3 < 1.0 < 1.1 < 1.2 < drafts < 1.3; unknown codes lowest")
    func ranking() {
        let ordered: [TLSVersion] = [.sslv2, .sslv3, .tls10, .tls11, .tls12, TLSVersion(0x7f12), TLSVersion(0x7f1c), .tls13]
        for (lower, higher) in zip(ordered, ordered.dropFirst()) {
            #expect(lower < higher, "\(lower.name) < \(higher.name)")
        }
        for draft in [TLSVersion(0x7f12), TLSVersion(0x7e01), TLSVersion(0xfb1a), TLSVersion(0x7f17)] {
            #expect(draft > .tls12 && draft < .tls13, "\(draft.name)")
            #expect(draft.isTLS13Draft && draft.isKnown)
        }
        #expect(TLSVersion(0x1234) < .sslv2)
        #expect(TLSVersion(0x0a0a) < .sslv2)
        #expect(!TLSVersion(0x1234).isKnown)
        #expect([TLSVersion.tls13, .tls10, TLSVersion(0x7f12), .tls12].sorted() == [.tls10, .tls12, TLSVersion(0x7f12), .tls13])
    }

    @Test("hex codes are four lower-case digits")
    func hexCodes() {
        #expect(hexCode(0x0a) == "0x000a")
        #expect(hexCode(0xC02F) == "0xc02f")
        #expect(hexCode(0xffff) == "0xffff")
    }

    @Test("IANA cipher suite names", arguments: [
        (UInt16(0x1301), "TLS_AES_128_GCM_SHA256"), (0x1302, "TLS_AES_256_GCM_SHA384"),
        (0x1303, "TLS_CHACHA20_POLY1305_SHA256"), (0xc02f, "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"),
        (0xc030, "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"), (0xc014, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA"),
        (0x002f, "TLS_RSA_WITH_AES_128_CBC_SHA"), (0x000a, "TLS_RSA_WITH_3DES_EDE_CBC_SHA"),
        (0x00ff, "TLS_EMPTY_RENEGOTIATION_INFO_SCSV"), (0x5600, "TLS_FALLBACK_SCSV"), (0x4242, "0x4242"),
    ])
    func cipherName(code: UInt16, name: String) {
        #expect(CipherSuite(code).name == name)
    }

    @Test("RFC 5952 text for IPv6, dotted quads for IPv4", arguments: [
        ("2001:db8::1", [UInt16(0x2001), 0x0db8, 0, 0, 0, 0, 0, 1]),
        ("::1", [0, 0, 0, 0, 0, 0, 0, 1]),
        ("::", [0, 0, 0, 0, 0, 0, 0, 0]),
        ("fd00:213::2", [0xfd00, 0x0213, 0, 0, 0, 0, 0, 2]),
        ("2001:db8:0:1:1:1:1:1", [0x2001, 0x0db8, 0, 1, 1, 1, 1, 1]),        // §4.2.2: one zero group stays
        ("2001:db8::1:0:0:1", [0x2001, 0x0db8, 0, 0, 1, 0, 0, 1]),          // §4.2.3: first of equal runs
        ("2001:0:0:1::1", [0x2001, 0, 0, 1, 0, 0, 0, 1]),                   // §4.2.3: the longest run
        ("2001:db8::", [0x2001, 0x0db8, 0, 0, 0, 0, 0, 0]),
        ("fe80::", [0xfe80, 0, 0, 0, 0, 0, 0, 0]),
        ("1:0:2:0:3:0:4:0", [1, 0, 2, 0, 3, 0, 4, 0]),
        ("2001:db8:aaaa:bbbb:cccc:dddd:eeee:ffff", [0x2001, 0x0db8, 0xaaaa, 0xbbbb, 0xcccc, 0xdddd, 0xeeee, 0xffff]),
    ])
    func ipv6Text(text: String, groups: [UInt16]) throws {
        var high: UInt64 = 0, low: UInt64 = 0
        for index in 0 ..< 4 {
            high = high << 16 | UInt64(groups[index])
            low = low << 16 | UInt64(groups[index + 4])
        }
        let address = IPAddress(high: high, low: low)
        #expect(address.description == text)
        #expect(IPAddress(text) == address)
        #expect(!address.isIPv4)
    }

    @Test("IPv4 addresses: dotted quad both ways, stored IPv4-mapped (RFC 4291 §2.5.5.2)")
    func ipv4Text() throws {
        let address = IPAddress(ipv4: 0x0ad5_0702)
        #expect(address.description == "10.213.7.2")
        #expect(address.isIPv4)
        #expect(IPAddress("10.213.7.2") == address)
        #expect(address == IPAddress(high: 0, low: 0x0000_ffff_0ad5_0702))
        #expect(IPAddress(ipv4: 0).description == "0.0.0.0")
        #expect(IPAddress(ipv4: 0xffff_ffff).description == "255.255.255.255")
        #expect(IPAddress("256.1.1.1") == nil)
        #expect(IPAddress("1::2::3") == nil)
        #expect(IPAddress("1:2:3:4:5:6:7:8:9") == nil)
        #expect(IPAddress("12345::") == nil)
        #expect(IPAddress(ipv4: 0x0a00_0001) < IPAddress(ipv4: 0x0a00_0002))
    }
}
