@testable import HelloFingerprint
import HelloWire
import Testing

@Suite struct JA4Tests {
    // The worked example of FoxIO's JA4.md (technical_details/JA4.md, "Example" and "Raw
    // Output"): lists as published, in the order given there.
    static let specCiphers: [UInt16] = [
        0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8, 0xc013, 0xc014,
        0x009c, 0x009d, 0x002f, 0x0035,
    ]
    static let specExtensions: [UInt16] = [
        0x001b, 0x0000, 0x0033, 0x0010, 0x4469, 0x0017, 0x002d, 0x000d, 0x0005, 0x0023, 0x0012,
        0x002b, 0xff01, 0x000b, 0x000a, 0x0015,
    ]
    static let specSignatures: [UInt16] = [0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601]

    @Test func specificationExample() {
        let ja4 = JA4(version: 0x0304, cipherSuites: Self.specCiphers, extensionTypes: Self.specExtensions,
                      signatureAlgorithms: Self.specSignatures, alpnCharacters: "h2")
        #expect(ja4.ja4 == "t13d1516h2_8daaf6152771_e5627efa2ab1")
        #expect(ja4.ja4Raw == "t13d1516h2_002f,0035,009c,009d,1301,1302,1303,c013,c014,c02b,c02c,c02f,c030,cca8,cca9_0005,000a,000b,000d,0012,0015,0017,001b,0023,002b,002d,0033,4469,ff01_0403,0804,0401,0503,0805,0501,0806,0601")
        #expect(ja4.ja4Original == "t13d1516h2_acb858a92679_18f69afefd3d")
        #expect(ja4.ja4RawOriginal == "t13d1516h2_1301,1302,1303,c02b,c02f,c02c,c030,cca9,cca8,c013,c014,009c,009d,002f,0035_001b,0000,0033,0010,4469,0017,002d,000d,0005,0023,0012,002b,ff01,000b,000a,0015_0403,0804,0401,0503,0805,0501,0806,0601")
    }

    /// The same example as a real hello, GREASE sprinkled in: GREASE must change nothing.
    @Test func specificationExampleFromBytesWithGREASE() throws {
        var extensions: [(UInt16, [UInt8])] = [(0x3a3a, [])]
        for type in Self.specExtensions {
            switch type {
            case 0x0000: extensions.append((type, [0, 14, 0, 0, 11] + Array("example.com".utf8)))
            case 0x0010: extensions.append((type, [0, 3, 2] + Array("h2".utf8)))
            case 0x000d: extensions.append((type, list16([0x4a4a] + Self.specSignatures)))
            case 0x002b: extensions.append((type, [6, 0x5a, 0x5a, 3, 4, 3, 3]))
            case 0x000a: extensions.append((type, list16([0x6a6a, 29, 23, 24])))
            default: extensions.append((type, []))
            }
        }
        extensions.append((0x7a7a, [0]))
        let hello = syntheticClientHello(
            version: 0x0303, ciphers: [0x8a8a] + Self.specCiphers, extensions: extensions)
        let ja4 = try #require(try fingerprintClient(hello).ja4)
        #expect(ja4.ja4 == "t13d1516h2_8daaf6152771_e5627efa2ab1")
        #expect(ja4.ja4Original == "t13d1516h2_acb858a92679_18f69afefd3d")
    }

    /// JA4.md: "If there are no signature algorithms in the hello packet, then the string
    /// ends without an underscore and is hashed … = 6d807ffa2a79"; empty lists give zeros.
    @Test func specificationEdgeCases() {
        let sortedExtensions = "0005,000a,000b,000d,0012,0015,0017,001b,0023,002b,002d,0033,4469,ff01"
        #expect(JA4.hash12(sortedExtensions) == "6d807ffa2a79")
        let bare = JA4(version: 0x0303, cipherSuites: [], extensionTypes: [], signatureAlgorithms: [],
                       alpnCharacters: "00")
        #expect(bare.ja4 == "t12i000000_000000000000_000000000000")
        let onlyServerName = JA4(version: 0x0301, cipherSuites: [0x002f], extensionTypes: [0x0000],
                                 signatureAlgorithms: [], alpnCharacters: "00")
        #expect(onlyServerName.ja4.hasSuffix("_000000000000"))
        #expect(onlyServerName.ja4.hasPrefix("t10d0101"))
        let many = JA4(version: 0x0303, cipherSuites: Array(1 ... 120), extensionTypes: Array(1 ... 100),
                       signatureAlgorithms: [], alpnCharacters: "00")
        #expect(many.prefix == "t12i999900")
    }

    /// JA4.md "ALPN Extension Value", its examples one by one.
    @Test(arguments: [
        ([UInt8]("h2".utf8), "h2"), ([UInt8]("http/1.1".utf8), "h1"), ([UInt8]("a".utf8), "aa"),
        ([0xab], "ab"), ([0xab, 0xcd], "ad"), ([0x30, 0xab], "3b"), ([0x30, 0x31, 0xab, 0xcd], "3d"),
        ([0x30, 0xab, 0xcd, 0x31], "01"), ([], "00"),
    ] as [([UInt8], String)])
    func alpnCharacters(value: [UInt8], expected: String) {
        #expect(JA4.alpnCharacters(value) == expected)
    }

    @Test func noALPNIsZeros() { #expect(JA4.alpnCharacters(nil) == "00") }

    @Test(arguments: [
        (0x0304, "13"), (0x0303, "12"), (0x0302, "11"), (0x0301, "10"), (0x0300, "s3"), (0x0002, "s2"),
        (0xfeff, "d1"), (0xfefd, "d2"), (0xfefc, "d3"), (0x7f1c, "00"), (0x1234, "00"),
    ] as [(UInt16, String)])
    func versionCodes(version: UInt16, expected: String) {
        #expect(JA4.versionCode(version) == expected)
    }

    struct ClientCase: Sendable, CustomTestStringConvertible {
        var source: String
        var hex: String
        var ja4: String
        var ja4Raw: String
        var ja4Original: String
        var ja4RawOriginal: String
        var testDescription: String { source }
    }

    static let clients: [ClientCase] = [
        // FoxIO-LLC/ja4 python/test/testdata/tls-handshake.pcapng.json (22709e16), stream 0;
        // the Rust snapshot ja4__insta@tls-handshake.pcapng.snap gives the same `ja4`.
        .init(source: "ja4/tls-handshake.pcapng frame 1", hex: Fixtures.tlsHandshakeFrame1,
              ja4: "t13d1516h2_8daaf6152771_e5627efa2ab1",
              ja4Raw: "t13d1516h2_002f,0035,009c,009d,1301,1302,1303,c013,c014,c02b,c02c,c02f,c030,cca8,cca9_0005,000a,000b,000d,0012,0015,0017,001b,0023,002b,002d,0033,4469,ff01_0403,0804,0401,0503,0805,0501,0806,0601",
              ja4Original: "t13d1516h2_acb858a92679_8fc3c02244b2",
              ja4RawOriginal: "t13d1516h2_1301,1302,1303,c02b,c02f,c02c,c030,cca9,cca8,c013,c014,009c,009d,002f,0035_ff01,0033,002d,0005,4469,000d,0010,0023,001b,002b,0000,0012,000a,0017,000b,0015_0403,0804,0401,0503,0805,0501,0806,0601"),
        // Same FoxIO file, stream 6 (no ALPN: "00").
        .init(source: "ja4/tls-handshake.pcapng frame 24", hex: Fixtures.tlsHandshakeFrame24,
              ja4: "t13d151400_8daaf6152771_de4a06bb82e3",
              ja4Raw: "t13d151400_002f,0035,009c,009d,1301,1302,1303,c013,c014,c02b,c02c,c02f,c030,cca8,cca9_0005,000a,000b,000d,0012,0015,0017,001b,0023,002b,002d,0033,ff01_0403,0804,0401,0503,0805,0501,0806,0601",
              ja4Original: "t13d151400_acb858a92679_2f4561be1d1f",
              ja4RawOriginal: "t13d151400_1301,1302,1303,c02b,c02f,c02c,c030,cca9,cca8,c013,c014,009c,009d,002f,0035_0033,002b,001b,0000,0012,002d,000d,000a,0005,0023,0017,ff01,000b,0015_0403,0804,0401,0503,0805,0501,0806,0601"),
        // FoxIO-LLC/ja4 python/test/testdata/ipv6.pcapng.json (22709e16), stream 0.
        .init(source: "ja4/ipv6.pcapng frame 4", hex: Fixtures.ipv6Frame4,
              ja4: "t12d4605h2_85626a9a5f7f_aaf95bb78ec9",
              ja4Raw: "t12d4605h2_0004,0005,000a,0016,002f,0033,0035,0039,003c,003d,0041,0045,0067,006b,0081,0084,0088,009c,009d,009e,009f,00ba,00be,00c0,00c4,00ff,c007,c008,c009,c00a,c011,c012,c013,c014,c023,c024,c027,c028,c02b,c02c,c02f,c030,cca8,cca9,ccaa,ff85_000a,000b,000d_0601,0603,efef,0501,0503,0401,0403,eeee,eded,0301,0303,0201,0203",
              ja4Original: "t12d4605h2_644f5d117d98_094daec7ec8d",
              ja4RawOriginal: "t12d4605h2_c030,c02c,c028,c024,c014,c00a,009f,006b,0039,cca9,cca8,ccaa,ff85,00c4,0088,0081,009d,003d,0035,00c0,0084,c02f,c02b,c027,c023,c013,c009,009e,0067,0033,00be,0045,009c,003c,002f,00ba,0041,c011,c007,0005,0004,c012,c008,0016,000a,00ff_0000,000b,000a,000d,0010_0601,0603,efef,0501,0503,0401,0403,eeee,eded,0301,0303,0201,0203"),
        // FoxIO-LLC/ja4 rust/ja4/src/snapshots/ja4__insta@https-connect.pcap.snap gives `ja4`
        // for the same 4-tuple (10.11.12.13:54723 -> 10.9.8.7:8080); the raw and original
        // forms are from our Python cross-check only.
        .init(source: "arkime/https-connect.pcap frame 8", hex: Fixtures.httpsConnectFrame8,
              ja4: "t12i860500_e18388e7f3a3_a1e935682795",
              ja4Raw: "t12i860500_0004,0005,0007,000a,000d,0010,0013,0016,002f,0030,0031,0032,0033,0035,0036,0037,0038,0039,003c,003d,003e,003f,0040,0041,0042,0043,0044,0045,0067,0068,0069,006a,006b,0084,0085,0086,0087,0088,0096,0097,0098,0099,009a,009c,009d,009e,009f,00a0,00a1,00a2,00a3,00a4,00a5,00ff,c002,c003,c004,c005,c007,c008,c009,c00a,c00c,c00d,c00e,c00f,c011,c012,c013,c014,c023,c024,c025,c026,c027,c028,c029,c02a,c02b,c02c,c02d,c02e,c02f,c030,c031,c032_000a,000b,000d,000f,0023_0601,0602,0603,0501,0502,0503,0401,0402,0403,0301,0302,0303,0201,0202,0203",
              ja4Original: "t12i860500_42de6d1d033a_318da70f1e40",
              ja4RawOriginal: "t12i860500_c030,c02c,c028,c024,c014,c00a,00a5,00a3,00a1,009f,006b,006a,0069,0068,0039,0038,0037,0036,0088,0087,0086,0085,c032,c02e,c02a,c026,c00f,c005,009d,003d,0035,0084,c02f,c02b,c027,c023,c013,c009,00a4,00a2,00a0,009e,0067,0040,003f,003e,0033,0032,0031,0030,009a,0099,0098,0097,0045,0044,0043,0042,c031,c02d,c029,c025,c00e,c004,009c,003c,002f,0096,0041,c012,c008,0016,0013,0010,000d,c00d,c003,000a,0007,c011,c007,c00c,c002,0005,0004,00ff_000b,000a,0023,000d,000f_0601,0602,0603,0501,0502,0503,0401,0402,0403,0301,0302,0303,0201,0202,0203"),
        // Ours (Captures/): no FoxIO output; values from the Python cross-check.
        .init(source: "Captures/ds-agent-4118.pcap frame 4", hex: Fixtures.dsAgentFrame4,
              ja4: "t10i090500_c491f621fb4c_195413a0cc0f",
              ja4Raw: "t10i090500_002f,0033,0035,0039,00ff,c009,c00a,c013,c014_000a,000b,0016,0017,0023",
              ja4Original: "t10i090500_ecd9ac7deed0_a7a19c9af104",
              ja4RawOriginal: "t10i090500_c00a,c014,0039,c009,c013,0033,0035,002f,00ff_000b,000a,0023,0016,0017"),
        .init(source: "Captures/ds-agent-4118.pcap frame 46", hex: Fixtures.dsAgentFrame46,
              ja4: "t13i040900_16476d049b0b_78f1d400d464",
              ja4Raw: "t13i040900_00ff,1301,1302,1303_000a,000b,000d,0016,0017,0023,002b,002d,0033_0403,0503,0603,0807,0808,0809,080a,080b,0804,0805,0806,0401,0501,0601",
              ja4Original: "t13i040900_b9c790168325_7dbf744eac33",
              ja4RawOriginal: "t13i040900_1302,1303,1301,00ff_000b,000a,0023,0016,0017,000d,002b,002d,0033_0403,0503,0603,0807,0808,0809,080a,080b,0804,0805,0806,0401,0501,0601"),
        .init(source: "Captures/http-connect-8080.pcap frame 8", hex: Fixtures.httpConnectFrame8,
              ja4: "t13d0412h2_16476d049b0b_85302d7e289e",
              ja4Raw: "t13d0412h2_00ff,1301,1302,1303_000a,000b,000d,0015,0016,0017,002b,002d,0031,0033_0403,0503,0603,0807,0808,0809,080a,080b,0804,0805,0806,0401,0501,0601",
              ja4Original: "t13d0412h2_b9c790168325_a7ee43126e4e",
              ja4RawOriginal: "t13d0412h2_1302,1303,1301,00ff_0000,000b,000a,0010,0016,0017,0031,000d,002b,002d,0033,0015_0403,0503,0603,0807,0808,0809,080a,080b,0804,0805,0806,0401,0501,0601"),
        .init(source: "Captures/dsaas-443.pcapng frame 20", hex: Fixtures.dsaasFrame20,
              ja4: "t12d280700_d943125447b4_e7e480e5a997",
              ja4Raw: "t12d280700_002f,0033,0035,0039,003c,003d,0067,006b,009c,009d,009e,009f,00ff,c009,c00a,c013,c014,c023,c024,c027,c028,c02b,c02c,c02f,c030,cca8,cca9,ccaa_000a,000b,000d,0016,0017,0023_0403,0503,0603,0807,0808,0809,080a,080b,0804,0805,0806,0401,0501,0601,0303,0301,0302,0402,0502,0602",
              ja4Original: "t12d280700_fb9300bf4368_d3bfa4707141",
              ja4RawOriginal: "t12d280700_c02c,c030,009f,cca9,cca8,ccaa,c02b,c02f,009e,c024,c028,006b,c023,c027,0067,c00a,c014,0039,c009,c013,0033,009d,009c,003d,003c,0035,002f,00ff_0000,000b,000a,0023,0016,0017,000d_0403,0503,0603,0807,0808,0809,080a,080b,0804,0805,0806,0401,0501,0601,0303,0301,0302,0402,0502,0602"),
    ]

    @Test(arguments: clients) func matchesReference(_ client: ClientCase) throws {
        let ja4 = try #require(try fingerprintClient(bytes(hex: client.hex)).ja4)
        #expect(ja4.ja4 == client.ja4)
        #expect(ja4.ja4Raw == client.ja4Raw)
        #expect(ja4.ja4Original == client.ja4Original)
        #expect(ja4.ja4RawOriginal == client.ja4RawOriginal)
    }

    /// Chrome shuffles its extensions per connection: JA3 changes, JA4 must not.
    @Test func extensionOrderChangesJA3ButNotJA4() throws {
        let first = try fingerprintClient(bytes(hex: Fixtures.tlsHandshakeFrame1))
        let reordered = syntheticReorder(Fixtures.tlsHandshakeFrame1)
        let second = try fingerprintClient(reordered)
        #expect(first.ja3 != second.ja3)
        #expect(first.ja4?.ja4 == second.ja4?.ja4)
        #expect(first.ja4?.ja4Original != second.ja4?.ja4Original)
    }

    /// The fixture's extensions block with its extensions in reverse order.
    func syntheticReorder(_ hex: String) -> [UInt8] {
        let message = bytes(hex: hex)
        var offset = 4 + 2 + 32
        offset += 1 + Int(message[offset])
        offset += 2 + (Int(message[offset]) << 8 | Int(message[offset + 1]))
        offset += 1 + Int(message[offset])
        let blockStart = offset + 2
        var pieces: [[UInt8]] = []
        var cursor = blockStart
        while cursor < message.count {
            let length = Int(message[cursor + 2]) << 8 | Int(message[cursor + 3])
            pieces.append(Array(message[cursor ..< cursor + 4 + length]))
            cursor += 4 + length
        }
        return Array(message[..<blockStart]) + pieces.reversed().flatMap { $0 }
    }
}
