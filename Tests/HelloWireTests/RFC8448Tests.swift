import Testing
import HelloWire
import FrameTestSupport

// Handshake messages printed in RFC 8448 ("Example Handshake Traces for TLS 1.3"): §3
// "Simple 1-RTT Handshake" ({client} construct a ClientHello, {server} construct a
// ServerHello) and §5 "HelloRetryRequest" (the first ClientHello and the HelloRetryRequest).
// Checked once with tshark 4.x (frames written to a pcap): it reads the same versions,
// suites, SNI "server", key share group 29 and randoms asserted below.
enum RFC8448 {
    /// §3, ClientHello handshake message (196 octets, header included).
    static let clientHello = hexBytes("""
        010000c00303cb34ecb1e78163ba1c38c6dacb196a6dffa21a8d9912ec18a2ef62
        83024dece7000006130113031302010000910000000b0009000006736572766572
        ff01000100000a00140012001d0017001800190100010101020103010400230000
        003300260024001d002099381de560e4bd43d23d8e435a7dbafeb3c06e51c13cae
        4d5413691e529aaf2c002b0003020304000d0020001e0403050306030203080408
        05080604010501060102010402050206020202002d00020101001c00024001
        """)

    /// §3, "complete record" the client sends: the handshake message behind 16 03 01 00 c4.
    static var clientHelloRecord: [UInt8] { [0x16, 0x03, 0x01, 0x00, 0xc4] + clientHello }

    /// §3, ServerHello handshake message (90 octets).
    static let serverHello = hexBytes("""
        020000560303a6af06a4121860dc5e6e60249cd34c95930c8ac5cb1434dac155772e
        d3e2692800130100002e00330024001d0020c9828876112095fe66762bdbf7c672e1
        56d6cc253b833df1dd69b1b04e751f0f002b00020304
        """)

    static var serverHelloRecord: [UInt8] { [0x16, 0x03, 0x03, 0x00, 0x5a] + serverHello }

    /// §5, the first ClientHello (180 octets), offering only an x25519 share.
    static let retryClientHello = hexBytes("""
        010000b00303b0b1c5a5aa37c5919f2ed1d5c6fff7fcb7849716945a2b8cee9258
        a346677b6f000006130113031302010000810000000b0009000006736572766572
        ff01000100000a00080006001d00170018003300260024001d0020e8e8e3f3b93a
        25ed97a14a7dcacb8a272c6288e585c6484d05262fcad062ad1f002b0003020304
        000d0020001e040305030603020308040805080604010501060102010402050206
        020202002d00020101001c00024001
        """)

    /// §5, the HelloRetryRequest (176 octets): ServerHello form, the special random, a
    /// key_share naming secp256r1 (23) and a cookie.
    static let helloRetryRequest = hexBytes("""
        020000ac0303cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09
        e2c8a8339c001301000084003300020017002c0074007271dcd04bb88bc3189119
        398a00000000eefafc76c146b823b096f8aacad365dd0030953f4edf625636e5f2
        1bb2e23fcc654b1b5b40318d10d137abcbb87574e36e8a1f025f7dfa5d6e50781b
        5eda4aa15b0c8be778257d16aa3030e9e7841dd9e4c0342267e8ca0caf571fb2b7
        cff0f934b0002b00020304
        """)

    static var helloRetryRecord: [UInt8] { [0x16, 0x03, 0x03, 0x00, 0xb0] + helloRetryRequest }

    static let clientRandom = hexBytes("cb34ecb1e78163ba1c38c6dacb196a6dffa21a8d9912ec18a2ef6283024dece7")
    static let serverRandom = hexBytes("a6af06a4121860dc5e6e60249cd34c95930c8ac5cb1434dac155772ed3e26928")
}

/// The 16-bit values in `range` of `bytes`.
func words(_ bytes: [UInt8], _ range: Range<Int>) -> [UInt16] {
    stride(from: range.lowerBound, to: range.upperBound - 1, by: 2).map { UInt16(bytes[$0]) << 8 | UInt16(bytes[$0 + 1]) }
}

@Suite("RFC 8448 handshakes")
struct RFC8448Tests {
    @Test("the fixtures' own lengths agree (handshake length + 4 = message size)")
    func fixtureLengths() {
        for (message, size) in [(RFC8448.clientHello, 196), (RFC8448.serverHello, 90),
                                (RFC8448.retryClientHello, 180), (RFC8448.helloRetryRequest, 176)] {
            #expect(message.count == size)
            #expect(Int(message[1]) << 16 | Int(message[2]) << 8 | Int(message[3]) == size - 4)
        }
    }

    @Test("§3 ClientHello record: the scanner finds the body, the decoder reads RFC 8448's fields")
    func simpleClientHello() throws {
        let record = RFC8448.clientHelloRecord
        let span = record.span.bytes
        let event = HandshakeScanner(limit: 16_384).scan(span, from: 0, isStreamStart: true)
        #expect(event == .clientHello(body: 9 ..< 201, resumeAt: 201))
        let hello = try ClientHello(decoding: span, body: 9 ..< 201)

        #expect(hello.legacyVersion.rawValue == 0x0303)
        #expect(Array(record[hello.random]) == RFC8448.clientRandom)
        #expect(hello.sessionID.isEmpty)
        #expect(words(record, hello.cipherSuites) == [0x1301, 0x1303, 0x1302])
        #expect(Array(record[hello.compressionMethods]) == [0])
        #expect(!hello.isSSLv2Format)

        let offer = hello.offeredVersions(span)
        #expect(offer.fromSupportedVersions)
        #expect(offer.versions == [TLSVersion.tls13])
        #expect(offer.maximum == .tls13 && offer.minimum == .tls13)

        let extensions = hello.extensions
        // server_name, renegotiation_info, supported_groups, session_ticket, key_share,
        // supported_versions, signature_algorithms, psk_key_exchange_modes, record_size_limit.
        #expect(extensions.count == 9)
        #expect(extensions.malformedExtensions == 0)
        #expect(extensions.framingError == nil)
        #expect(!extensions.hasGREASE)
        #expect(extensions.hasRenegotiationInfo)
        #expect(!extensions.hasPreSharedKey)
        let name = try #require(extensions.serverName)
        #expect(String(decoding: record[name], as: UTF8.self) == "server")
        let groups = try #require(extensions.supportedGroups)
        #expect(words(record, groups) == [0x001d, 0x0017, 0x0018, 0x0019, 0x0100, 0x0101, 0x0102, 0x0103, 0x0104])
        let shares = try #require(extensions.keyShare)
        #expect(words(record, shares.lowerBound ..< shares.lowerBound + 2) == [29])   // x25519
        #expect(shares.count == 2 + 2 + 32)
        let algorithms = try #require(extensions.signatureAlgorithms)
        #expect(algorithms.count == 30)
        #expect(words(record, algorithms).first == 0x0403)   // ecdsa_secp256r1_sha256
        #expect(extensions.applicationProtocols == nil)
    }

    @Test("§3 ServerHello: TLS 1.3 selected, TLS_AES_128_GCM_SHA256, x25519, not a retry")
    func simpleServerHello() throws {
        let record = RFC8448.serverHelloRecord
        let span = record.span.bytes
        let event = HandshakeScanner(limit: 16_384).scan(span, from: 0, isStreamStart: true)
        #expect(event == .serverHello(body: 9 ..< 95, resumeAt: 95))
        let hello = try ServerHello(decoding: span, body: 9 ..< 95)
        #expect(hello.legacyVersion.rawValue == 0x0303)
        #expect(hello.selectedVersion?.rawValue == 0x0304)
        #expect(hello.negotiatedVersion == .tls13)
        #expect(hello.cipherSuite.rawValue == 0x1301)
        #expect(hello.cipherSuite.name == "TLS_AES_128_GCM_SHA256")
        #expect(hello.compressionMethod == 0)
        #expect(hello.sessionID.isEmpty)
        #expect(Array(record[hello.random]) == RFC8448.serverRandom)
        #expect(!hello.isHelloRetryRequest)
        #expect(!hello.isSSLv2)
        #expect(hello.extensions.count == 2)
        let share = try #require(hello.extensions.keyShare)
        #expect(words(record, share.lowerBound ..< share.lowerBound + 2) == [29])
    }

    @Test("§5 HelloRetryRequest: recognised by its random, asks for secp256r1")
    func helloRetryRequest() throws {
        let record = RFC8448.helloRetryRecord
        let span = record.span.bytes
        let event = HandshakeScanner(limit: 16_384).scan(span, from: 0, isStreamStart: true)
        #expect(event == .serverHello(body: 9 ..< 181, resumeAt: 181))
        let hello = try ServerHello(decoding: span, body: 9 ..< 181)
        #expect(hello.isHelloRetryRequest)
        #expect(hello.selectedVersion == .tls13)
        #expect(hello.cipherSuite.rawValue == 0x1301)
        let share = try #require(hello.extensions.keyShare)
        #expect(words(record, share) == [23])   // HRR key_share: the selected group only
        #expect(hello.extensions.count == 3)    // key_share, cookie, supported_versions
        // The RFC 8446 §4.1.3 constant is SHA-256("HelloRetryRequest").
        #expect(Array(record[hello.random]) == ServerHello.helloRetryRandom)
    }

    @Test("§5 first ClientHello: offers TLS 1.3 with an x25519 share only")
    func retryClientHello() throws {
        let message = RFC8448.retryClientHello
        let span = message.span.bytes
        let hello = try ClientHello(decoding: span, body: 4 ..< message.count)
        #expect(hello.offeredVersions(span).versions == [.tls13])
        let groups = try #require(hello.extensions.supportedGroups)
        #expect(words(message, groups) == [0x001d, 0x0017, 0x0018])
        let name = try #require(hello.extensions.serverName)
        #expect(String(decoding: message[name], as: UTF8.self) == "server")
    }
}
