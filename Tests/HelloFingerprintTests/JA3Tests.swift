import HelloFingerprint
import HelloWire
import Testing

@Suite struct JA3Tests {
    // salesforce/ja3 README: "769,47-53-5-10-49161-49162-49171-49172-50-56-19-4,0-10-11,23-24-25,0
    // --> ada70206e40642a3e4461f35503241d5" and "769,4-5-10-9-100-98-3-6-19-18-99,,, -->
    // de350869b8c85de67a350c8d186f11e6". The README gives lists, so the hellos are built here.
    @Test func readmeExampleWithExtensions() throws {
        let hello = syntheticClientHello(
            version: 769, ciphers: [47, 53, 5, 10, 49161, 49162, 49171, 49172, 50, 56, 19, 4],
            extensions: [
                (0, [0, 14, 0, 0, 11] + Array("example.com".utf8)),
                (10, list16([23, 24, 25])),
                (11, [1, 0]),
            ])
        let ja3 = try #require(try fingerprintClient(hello).ja3)
        #expect(ja3.ja3String == "769,47-53-5-10-49161-49162-49171-49172-50-56-19-4,0-10-11,23-24-25,0")
        #expect(ja3.ja3 == "ada70206e40642a3e4461f35503241d5")
    }

    @Test func readmeExampleWithoutExtensions() throws {
        let hello = syntheticClientHello(
            version: 769, ciphers: [4, 5, 10, 9, 100, 98, 3, 6, 19, 18, 99], extensions: nil)
        let ja3 = try #require(try fingerprintClient(hello).ja3)
        #expect(ja3.ja3String == "769,4-5-10-9-100-98-3-6-19-18-99,,,")
        #expect(ja3.ja3 == "de350869b8c85de67a350c8d186f11e6")
    }

    @Test func greaseIsRemovedFromEveryList() throws {
        let hello = syntheticClientHello(
            version: 769, ciphers: [0x0a0a, 47, 53, 5, 10, 49161, 49162, 49171, 49172, 50, 56, 19, 4, 0xfafa],
            extensions: [
                (0x1a1a, []),
                (0, [0, 14, 0, 0, 11] + Array("example.com".utf8)),
                (10, list16([0x2a2a, 23, 24, 25])),
                (11, [1, 0]),
                (0xdada, [0]),
            ])
        #expect(try fingerprintClient(hello).ja3?.ja3 == "ada70206e40642a3e4461f35503241d5")
    }

    struct ClientCase: Sendable, CustomTestStringConvertible {
        var source: String
        var hex: String
        var ja3String: String
        var ja3: String
        var testDescription: String { source }
    }

    /// Expected strings and hashes: tshark 4.0.17 `tls.handshake.ja3_full` / `ja3` on the frame.
    static let clients: [ClientCase] = [
        .init(source: "ja4/tls-handshake.pcapng frame 1", hex: Fixtures.tlsHandshakeFrame1,
              ja3String: "771,4865-4866-4867-49195-49199-49196-49200-52393-52392-49171-49172-156-157-47-53,65281-51-45-5-17513-13-16-35-27-43-0-18-10-23-11-21,29-23-24,0",
              ja3: "1c258ebef8eee2dfa3df6d8d07285af9"),
        .init(source: "ja4/tls-handshake.pcapng frame 24", hex: Fixtures.tlsHandshakeFrame24,
              ja3String: "771,4865-4866-4867-49195-49199-49196-49200-52393-52392-49171-49172-156-157-47-53,51-43-27-0-18-45-13-10-5-35-23-65281-11-21,29-23-24,0",
              ja3: "bfc66ad4d55e0c1a1847863d4d5c301a"),
        .init(source: "ja4/ipv6.pcapng frame 4", hex: Fixtures.ipv6Frame4,
              ja3String: "771,49200-49196-49192-49188-49172-49162-159-107-57-52393-52392-52394-65413-196-136-129-157-61-53-192-132-49199-49195-49191-49187-49171-49161-158-103-51-190-69-156-60-47-186-65-49169-49159-5-4-49170-49160-22-10-255,0-11-10-13-16,29-23-24,0",
              ja3: "3faa4ad39f690c4ef1c3160caa375465"),
        .init(source: "arkime/https-connect.pcap frame 8", hex: Fixtures.httpsConnectFrame8,
              ja3String: "771,49200-49196-49192-49188-49172-49162-165-163-161-159-107-106-105-104-57-56-55-54-136-135-134-133-49202-49198-49194-49190-49167-49157-157-61-53-132-49199-49195-49191-49187-49171-49161-164-162-160-158-103-64-63-62-51-50-49-48-154-153-152-151-69-68-67-66-49201-49197-49193-49189-49166-49156-156-60-47-150-65-49170-49160-22-19-16-13-49165-49155-10-7-49169-49159-49164-49154-5-4-255,11-10-35-13-15,23-25-24-22,0-1-2",
              ja3: "b288289af2999820648eb3ca4d8304c5"),
        .init(source: "Captures/ds-agent-4118.pcap frame 4", hex: Fixtures.dsAgentFrame4,
              ja3String: "769,49162-49172-57-49161-49171-51-53-47-255,11-10-35-22-23,29-23-30-25-24,0-1-2",
              ja3: "53652b2730564404986852cde177b6d9"),
        .init(source: "Captures/ds-agent-4118.pcap frame 46", hex: Fixtures.dsAgentFrame46,
              ja3String: "771,4866-4867-4865-255,11-10-35-22-23-13-43-45-51,29-23-30-25-24-256-257-258-259-260,0-1-2",
              ja3: "c1e58b5fa361cf5bfc0635a61bd8573c"),
        .init(source: "Captures/http-connect-8080.pcap frame 8", hex: Fixtures.httpConnectFrame8,
              ja3String: "771,4866-4867-4865-255,0-11-10-16-22-23-49-13-43-45-51-21,29-23-30-25-24-256-257-258-259-260,0-1-2",
              ja3: "89dfc51e72bdcb94e4ba4622588002b1"),
        .init(source: "Captures/dsaas-443.pcapng frame 20", hex: Fixtures.dsaasFrame20,
              ja3String: "771,49196-49200-159-52393-52392-52394-49195-49199-158-49188-49192-107-49187-49191-103-49162-49172-57-49161-49171-51-157-156-61-60-53-47-255,0-11-10-35-22-23-13,29-23-30-25-24,0-1-2",
              ja3: "871a754af286dfb70c1b53c6887c62e0"),
    ]

    @Test(arguments: clients) func matchesTshark(_ client: ClientCase) throws {
        let ja3 = try #require(try fingerprintClient(bytes(hex: client.hex)).ja3)
        #expect(ja3.ja3String == client.ja3String)
        #expect(ja3.ja3 == client.ja3)
    }

    struct ServerCase: Sendable, CustomTestStringConvertible {
        var source: String
        var hex: String
        var ja3sString: String
        var ja3s: String
        var testDescription: String { source }
    }

    /// Expected: tshark 4.0.17 `tls.handshake.ja3s_full` / `ja3s`.
    static let servers: [ServerCase] = [
        .init(source: "ja4/tls-handshake.pcapng frame 2", hex: Fixtures.tlsHandshakeFrame2,
              ja3sString: "771,4865,51-43", ja3s: "eb1d94daa7e0344597e756a1fb6e7054"),
        .init(source: "ja4/ipv6.pcapng frame 6", hex: Fixtures.ipv6Frame6,
              ja3sString: "771,52393,0-65281-11-16", ja3s: "7f76f3e952a1bc7d407366fafe1db7ed"),
        .init(source: "arkime/https-connect.pcap frame 10", hex: Fixtures.httpsConnectFrame10,
              ja3sString: "771,49200,35-65281", ja3s: "b7bd51222a09f3ad66a340710ae9c01a"),
        .init(source: "Captures/ds-agent-4118.pcap frame 6", hex: Fixtures.dsAgentFrame6,
              ja3sString: "769,49172,65281-11-35-22-23", ja3s: "bd665c27797205a73c67f1be8b8ed90f"),
        .init(source: "Captures/ds-agent-4118.pcap frame 48", hex: Fixtures.dsAgentFrame48,
              ja3sString: "771,4866,43-51", ja3s: "15af977ce25de452b96affa2addb1036"),
    ]

    @Test(arguments: servers) func ja3sMatchesTshark(_ server: ServerCase) throws {
        let ja3s = try #require(try fingerprintServer(bytes(hex: server.hex)).ja3s)
        #expect(ja3s.ja3sString == server.ja3sString)
        #expect(ja3s.ja3s == server.ja3s)
    }

    /// tshark 4.0.17 and the reference ja3.py give SSLv2-format hellos no JA3; neither do we.
    @Test func sslv2FormatHelloHasNoFingerprint() throws {
        let record = bytes(hex: Fixtures.sslv2CompatibleHello)
        let span = record.span.bytes
        let hello = try ClientHello(decodingSSLv2: span, message: 2 ..< record.count)
        #expect(JA3(hello: hello, in: span) == nil)
        #expect(JA4(hello: hello, in: span) == nil)
    }
}
