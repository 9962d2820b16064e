import HelloFingerprint
import HelloWire
import Testing

/// `ClientHello.forEachOpaqueRange` names the bytes of a hello that nothing made of it depends
/// on (its random, session id, key shares' keys, the insides of extensions no one reads). The
/// tracker's ClientHello memo takes a hello equal to a remembered one everywhere else for the
/// remembered one, so any bytes at all written there must leave everything HelloScope makes of
/// the hello as it was: its decode, offered versions, fingerprint inputs, JA3 and JA4 (raw and
/// hashed), server name and ALPN. Checked on real ClientHellos (Fixtures.swift), 40 seeded
/// rewrites each.
struct OpaqueBytesTests {
    struct Hello: CustomTestStringConvertible, Sendable {
        var name: String
        var message: [UInt8]
        var testDescription: String { name }
    }

    static let hellos: [Hello] = [
        Hello(name: "Chrome, GREASE and ALPN (ja4 tls-handshake frame 1)", message: bytes(hex: Fixtures.tlsHandshakeFrame1)),
        Hello(name: "Chrome, no ALPN (ja4 tls-handshake frame 24)", message: bytes(hex: Fixtures.tlsHandshakeFrame24)),
        Hello(name: "TLS 1.2 only, 46 suites (ja4 ipv6 frame 4)", message: bytes(hex: Fixtures.ipv6Frame4)),
        Hello(name: "inside HTTP CONNECT, 86 suites (arkime frame 8)", message: bytes(hex: Fixtures.httpsConnectFrame8)),
        Hello(name: "OpenSSL, TLS 1.0 only (ds-agent-4118 frame 4)", message: bytes(hex: Fixtures.dsAgentFrame4)),
        Hello(name: "OpenSSL, TLS 1.3 only (ds-agent-4118 frame 46)", message: bytes(hex: Fixtures.dsAgentFrame46)),
        Hello(name: "OpenSSL, SNI, ALPN, padding (http-connect-8080 frame 8)", message: bytes(hex: Fixtures.httpConnectFrame8)),
        Hello(name: "OpenSSL, TLS 1.2 max (dsaas-443 frame 20)", message: bytes(hex: Fixtures.dsaasFrame20)),
    ]

    /// Everything HelloScope makes of a ClientHello handshake message.
    struct Made: Equatable {
        var hello: ClientHello
        var offered: OfferedVersions
        var ja3: String?
        var ja4: String?
        var ja4Raw: String?
        var inputsJA3: [UInt8]
        var inputsJA4Raw: [UInt8]
        var inputs: [String]
        var serverName: [UInt8]
        var applicationProtocols: [UInt8]

        init(_ message: [UInt8]) throws {
            let span = message.span.bytes
            hello = try ClientHello(decoding: span, body: 4 ..< message.count)
            offered = hello.offeredVersions(span)
            let ja4Made = JA4(hello: hello, in: span)
            ja3 = JA3(hello: hello, in: span)?.ja3String
            ja4 = ja4Made?.ja4
            ja4Raw = ja4Made?.ja4Raw
            var read = FingerprintInputs()
            read.readClient(hello, in: span)
            var text = [UInt8](repeating: 0, count: FingerprintText.scratchCapacity)
            inputsJA3 = Array(text[0 ..< text.withUnsafeMutableBufferPointer { FingerprintText.writeJA3(read, into: $0) }])
            inputsJA4Raw = Array(text[0 ..< text.withUnsafeMutableBufferPointer { FingerprintText.writeJA4Raw(read, into: $0).count }])
            inputs = [FingerprintInputs.List.ciphers, .extensions, .groups, .signatureAlgorithms, .pointFormats].map { list in
                read.withCodes(list) { "\($0.map { $0 })" }
            } + ["\(read.clientVersion) \(read.ja4Version) \(read.alpnCharacters) \(read.clientCut)"]
            serverName = hello.extensions.serverName.map { range in range.map { span.loadUInt8($0) } } ?? []
            applicationProtocols = hello.extensions.applicationProtocols.map { range in range.map { span.loadUInt8($0) } } ?? []
        }
    }

    @Test("bytes written where no reader looks change nothing HelloScope makes of the hello", arguments: hellos)
    func opaqueBytesChangeNothing(_ hello: Hello) throws {
        let original = try Made(hello.message)
        let decoded = original.hello
        var opaque: [Range<Int>] = []
        let plain = decoded.forEachOpaqueRange(hello.message.span.bytes) { opaque.append($0); return true }
        #expect(plain)
        // The random at least, and nothing outside the body.
        #expect(opaque.first == decoded.random)
        #expect(opaque.allSatisfy { $0.lowerBound >= 4 && $0.upperBound <= hello.message.count })
        var state: UInt64 = 0x5eed_0f_0a9a
        for round in 0 ..< 40 {
            var rewritten = hello.message
            for range in opaque {
                for offset in range {
                    state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                    rewritten[offset] = UInt8(truncatingIfNeeded: state >> 56)
                }
            }
            #expect(rewritten != hello.message)
            let made = try Made(rewritten)
            #expect(made == original, "round \(round)")
            if made != original { break }
        }
    }

    /// `HelloExtensions.readsBody` lists what the decoder's switch reads; a type read there but
    /// missing here would let the memo take a hello with another body for the same. So for every
    /// type code the list calls unread, a hello whose only extension is of that type, with a body
    /// any list reader would take, must decode to nothing read from it: no range, no flag but
    /// `pre_shared_key`'s presence, nothing malformed.
    @Test("no extension type the decoder reads is called unread (all 65 536 codes)")
    func unreadTypesAreUnread() throws {
        var unread = 0, read: [UInt16] = []
        for code in 0 ... Int(UInt16.max) where !HelloExtensions.readsBody(of: UInt16(code), isClient: true) {
            unread += 1
            // A 2-byte list length and one value, or a 1-byte one: what each reader looks for.
            for body: [UInt8] in [[0, 2, 0x13, 0x01], [2, 0x03, 0x04]] {
                let message = syntheticClientHello(version: 0x0303, ciphers: [0xc02f], extensions: [(UInt16(code), body)])
                let extensions = try ClientHello(decoding: message.span.bytes, body: 4 ..< message.count).extensions
                let ranges = [extensions.serverName, extensions.supportedVersions, extensions.supportedGroups,
                              extensions.signatureAlgorithms, extensions.applicationProtocols, extensions.keyShare,
                              extensions.ecPointFormats]
                if ranges.contains(where: { $0 != nil }) || extensions.hasRenegotiationInfo || extensions.malformedExtensions != 0 {
                    read.append(UInt16(code))
                }
            }
        }
        #expect(unread == 65_536 - 8)
        #expect(read.isEmpty, "read though called unread: \(read.prefix(10))")
    }

    /// The opaque bytes of a hello are those the memo may take as they come; everything else is
    /// compared. An SSLv2 hello, or one whose extensions did not decode cleanly, has no such shape.
    @Test("hellos without a plain shape name no opaque bytes")
    func noShapeWithoutCleanExtensions() throws {
        let sslv2 = bytes(hex: Fixtures.sslv2CompatibleHello)
        let old = try ClientHello(decodingSSLv2: sslv2.span.bytes, message: 2 ..< sslv2.count)
        #expect(!old.forEachOpaqueRange(sslv2.span.bytes) { _ in true })

        // A server_name extension whose list runs past its body: skipped, and counted malformed.
        let message = syntheticClientHello(version: 0x0303, ciphers: [0xc02f], extensions: [(0, [0, 9, 0, 0, 1, 0x61]), (23, [])])
        let broken = try ClientHello(decoding: message.span.bytes, body: 4 ..< message.count)
        #expect(broken.extensions.malformedExtensions == 1)
        #expect(!broken.forEachOpaqueRange(message.span.bytes) { _ in true })
    }
}
