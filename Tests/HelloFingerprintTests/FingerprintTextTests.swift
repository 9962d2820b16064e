import HelloFingerprint
import HelloWire
import Testing

/// The session path (`FingerprintInputs` → `FingerprintText`, what `helloscope` runs)
/// against the string types whose outputs the other suites check against tshark and FoxIO.
@Suite struct FingerprintTextTests {
    struct Written {
        var ja3: String
        var ja3String: String
        var ja4: String
        var ja4Raw: String
    }

    func write(client message: [UInt8]) throws -> Written {
        let span = message.span.bytes
        let hello = try ClientHello(decoding: span, body: 4 ..< message.count)
        var inputs = FingerprintInputs()
        inputs.readClient(hello, in: span)
        var scratch = [UInt8](repeating: 0, count: 4096)
        var ja3 = [UInt8](repeating: 0, count: 32)
        var ja4 = [UInt8](repeating: 0, count: 40)
        var ja3Text = [UInt8](repeating: 0, count: 4096)
        var ja4Text = [UInt8](repeating: 0, count: 4096)
        var ja4Count = 0
        var ja3TextCount = 0
        var ja4TextCount = 0
        scratch.withUnsafeMutableBufferPointer { scratch in
            ja3.withUnsafeMutableBufferPointer {
                _ = FingerprintText.ja3Hash(inputs, hello: hello, in: span, scratch: scratch, hash: $0)
            }
            ja4.withUnsafeMutableBufferPointer {
                ja4Count = FingerprintText.ja4(inputs, hello: hello, in: span, scratch: scratch, ja4: $0)
            }
        }
        ja3Text.withUnsafeMutableBufferPointer { ja3TextCount = FingerprintText.writeJA3(inputs, into: $0) }
        ja4Text.withUnsafeMutableBufferPointer { ja4TextCount = FingerprintText.writeJA4Raw(inputs, into: $0).count }
        return Written(ja3: String(decoding: ja3, as: UTF8.self), ja3String: String(decoding: ja3Text.prefix(ja3TextCount), as: UTF8.self),
                       ja4: String(decoding: ja4.prefix(ja4Count), as: UTF8.self),
                       ja4Raw: String(decoding: ja4Text.prefix(ja4TextCount), as: UTF8.self))
    }

    static let clientHellos: [(String, String)] = [
        ("ja4/tls-handshake.pcapng frame 1", Fixtures.tlsHandshakeFrame1),
        ("ja4/tls-handshake.pcapng frame 24", Fixtures.tlsHandshakeFrame24),
        ("ja4/ipv6.pcapng frame 4", Fixtures.ipv6Frame4),
        ("arkime/https-connect.pcap frame 8", Fixtures.httpsConnectFrame8),
        ("Captures/ds-agent-4118.pcap frame 4", Fixtures.dsAgentFrame4),
        ("Captures/ds-agent-4118.pcap frame 46", Fixtures.dsAgentFrame46),
        ("Captures/http-connect-8080.pcap frame 8", Fixtures.httpConnectFrame8),
        ("Captures/dsaas-443.pcapng frame 20", Fixtures.dsaasFrame20),
    ]

    @Test(arguments: clientHellos.map(\.1)) func clientPathMatchesTheReference(_ hex: String) throws {
        let message = bytes(hex: hex)
        let reference = try fingerprintClient(message)
        let written = try write(client: message)
        let ja3 = try #require(reference.ja3)
        let ja4 = try #require(reference.ja4)
        #expect(written.ja3 == ja3.ja3)
        #expect(written.ja3String == ja3.ja3String)
        #expect(written.ja4 == ja4.ja4)
        #expect(written.ja4Raw == ja4.ja4Raw)
    }

    @Test(arguments: [Fixtures.tlsHandshakeFrame2, Fixtures.ipv6Frame6, Fixtures.httpsConnectFrame10,
                      Fixtures.dsAgentFrame6, Fixtures.dsAgentFrame48])
    func serverPathMatchesTheReference(_ hex: String) throws {
        let message = bytes(hex: hex)
        let span = message.span.bytes
        let hello = try ServerHello(decoding: span, body: 4 ..< message.count)
        let computed = JA3S(hello: hello, in: span)
        let reference = try #require(computed)
        var inputs = FingerprintInputs()
        inputs.readServer(hello, in: span)
        var scratch = [UInt8](repeating: 0, count: 4096)
        var hash = [UInt8](repeating: 0, count: 32)
        var hashed = false
        scratch.withUnsafeMutableBufferPointer { scratch in
            hash.withUnsafeMutableBufferPointer {
                hashed = FingerprintText.ja3sHash(inputs, hello: hello, in: span, scratch: scratch, hash: $0) == 32
            }
        }
        #expect(hashed)
        var text = [UInt8](repeating: 0, count: 512)
        let count = text.withUnsafeMutableBufferPointer { FingerprintText.writeJA3S(inputs, into: $0) }
        #expect(String(decoding: hash, as: UTF8.self) == reference.ja3s)
        #expect(String(decoding: text.prefix(count), as: UTF8.self) == reference.ja3sString)
    }

    /// A hello with more suites than a session keeps: the hash still covers all of them
    /// (taken from the whole hello), and the kept string is the first part of the real one.
    @Test func longListsAreCutButHashedWhole() throws {
        let ciphers = (0 ..< 300).map { UInt16(0x0100 + $0) }
        let message = syntheticClientHello(version: 0x0303, ciphers: ciphers, extensions: [(0x000a, list16([29, 23]))])
        let reference = try fingerprintClient(message)
        let written = try write(client: message)
        #expect(written.ja3 == reference.ja3?.ja3)
        #expect(written.ja4 == reference.ja4?.ja4)
        let full = try #require(reference.ja3?.ja3String)
        #expect(full.hasPrefix(String(written.ja3String.prefix(200))))
        #expect(written.ja3String.count < full.count)
    }

    /// The client's lists share 160 codes of room: within it the kept lists make the whole
    /// strings; past it (though each list is within its own capacity) the side is cut, and
    /// its hashes still come from the whole hello. The offered suites stay for the audit.
    @Test(arguments: [(extraExtensions: 30, cut: false), (extraExtensions: 40, cut: true)])
    func clientListsShareTheirRoom(_ shape: (extraExtensions: Int, cut: Bool)) throws {
        let ciphers = (0 ..< 120).map { UInt16(0x0100 + $0) }
        let extensions = [(UInt16(0x000a), list16([29, 23])), (UInt16(0x000d), list16([0x0403, 0x0804])), (UInt16(0x000b), [1, 0])]
            + (0 ..< shape.extraExtensions).map { (UInt16(0x1000 + $0), [UInt8]()) }
        let message = syntheticClientHello(version: 0x0303, ciphers: ciphers, extensions: extensions)
        let span = message.span.bytes
        var inputs = FingerprintInputs()
        inputs.readClient(try ClientHello(decoding: span, body: 4 ..< message.count), in: span)
        #expect(inputs.clientCut == shape.cut)
        #expect(inputs.offeredSuites.map(\.rawValue) == ciphers)
        let reference = try fingerprintClient(message)
        let written = try write(client: message)
        #expect(written.ja3 == reference.ja3?.ja3)
        #expect(written.ja4 == reference.ja4?.ja4)
        #expect((written.ja3String == reference.ja3?.ja3String) == !shape.cut)
        #expect((written.ja4Raw == reference.ja4?.ja4Raw) == !shape.cut)
    }

    /// Every list read in place through a pointer (as the output thread reads a session's
    /// offered suites) is the list `withCodes` hands out, GREASE left out, both sides filled.
    @Test func codesInPlaceAreTheLists() throws {
        let ciphers: [UInt16] = [0x0a0a, 0x1301, 0x1302, 0xc02f, 0x002f]
        let extensions = [(UInt16(0x000a), list16([0x1a1a, 29, 23, 24])), (UInt16(0x000d), list16([0x0403, 0x0804, 0x0401])),
                          (UInt16(0x000b), [2, 0, 1]), (UInt16(0x2a2a), [UInt8]()), (UInt16(0x0017), [UInt8]())]
        let message = syntheticClientHello(version: 0x0303, ciphers: ciphers, extensions: extensions)
        let span = message.span.bytes
        var inputs = FingerprintInputs()
        inputs.readClient(try ClientHello(decoding: span, body: 4 ..< message.count), in: span)
        let serverMessage = bytes(hex: Fixtures.dsAgentFrame48)
        let serverSpan = serverMessage.span.bytes
        inputs.readServer(try ServerHello(decoding: serverSpan, body: 4 ..< serverMessage.count), in: serverSpan)
        let lists: [FingerprintInputs.List] = [.ciphers, .extensions, .groups, .signatureAlgorithms, .pointFormats, .serverExtensions]
        for list in lists {
            let inPlace = withUnsafePointer(to: &inputs) { Array(FingerprintInputs.codes(list, at: $0)) }
            #expect(inPlace == inputs.withCodes(list) { Array($0) }, "\(list)")
        }
        #expect(withUnsafePointer(to: &inputs) { Array(FingerprintInputs.codes(.ciphers, at: $0)) } == [0x1301, 0x1302, 0xc02f, 0x002f])
        #expect(withUnsafePointer(to: &inputs) { Array(FingerprintInputs.codes(.pointFormats, at: $0)) } == [0, 1])
        #expect(inputs.count(.serverExtensions) > 0)
    }

    /// A capture can show a ServerHello before the ClientHello of its flow. The client's
    /// lists, stored after it, would overwrite the server's: they are not kept (the client's
    /// hashes then come from its hello), and JA3S stays that of the ServerHello.
    @Test func clientListsAfterTheServersAreNotKept() throws {
        let serverMessage = bytes(hex: Fixtures.dsAgentFrame48)
        let serverSpan = serverMessage.span.bytes
        let serverHello = try ServerHello(decoding: serverSpan, body: 4 ..< serverMessage.count)
        let computed = JA3S(hello: serverHello, in: serverSpan)
        let reference = try #require(computed)
        let clientMessage = bytes(hex: Fixtures.dsAgentFrame46)
        let clientSpan = clientMessage.span.bytes
        var inputs = FingerprintInputs()
        inputs.readServer(serverHello, in: serverSpan)
        inputs.readClient(try ClientHello(decoding: clientSpan, body: 4 ..< clientMessage.count), in: clientSpan)
        #expect(inputs.clientCut)
        #expect(!inputs.serverCut)
        var text = [UInt8](repeating: 0, count: 512)
        let count = text.withUnsafeMutableBufferPointer { FingerprintText.writeJA3S(inputs, into: $0) }
        #expect(String(decoding: text.prefix(count), as: UTF8.self) == reference.ja3sString)
        #expect(reference.ja3sString.split(separator: ",").last?.contains("-") == true, "the ServerHello has extensions")
    }

    /// Written into less room than it needs, a string is the first part of the whole one,
    /// cut anywhere (inside a number too), for every size of room.
    @Test(arguments: [Fixtures.tlsHandshakeFrame1, Fixtures.dsaasFrame20])
    func shortRoomCutsTheString(_ hex: String) throws {
        let message = bytes(hex: hex)
        let span = message.span.bytes
        let hello = try ClientHello(decoding: span, body: 4 ..< message.count)
        var inputs = FingerprintInputs()
        inputs.readClient(hello, in: span)
        func ja3(room: Int) -> [UInt8] {
            var text = [UInt8](repeating: 0, count: room)
            let count = text.withUnsafeMutableBufferPointer { FingerprintText.writeJA3(inputs, into: $0) }
            return Array(text.prefix(count))
        }
        func ja4Raw(room: Int) -> [UInt8] {
            var text = [UInt8](repeating: 0, count: room)
            let count = text.withUnsafeMutableBufferPointer { FingerprintText.writeJA4Raw(inputs, into: $0).count }
            return Array(text.prefix(count))
        }
        let wholeJA3 = ja3(room: 4096), wholeJA4Raw = ja4Raw(room: 4096)
        #expect(wholeJA3.count > 20 && wholeJA4Raw.count > 20)
        for room in 0 ..< wholeJA3.count { #expect(ja3(room: room) == Array(wholeJA3.prefix(room))) }
        for room in 0 ..< wholeJA4Raw.count { #expect(ja4Raw(room: room) == Array(wholeJA4Raw.prefix(room))) }
    }
}
