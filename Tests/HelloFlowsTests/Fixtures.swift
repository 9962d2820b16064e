import HelloFlows
import HelloWire
import FrameTestSupport

// Hellos for the flow tests. The TLS 1.3 pair is RFC 8448 §3 ("Simple 1-RTT Handshake"),
// the HelloRetryRequest RFC 8448 §5, copied byte for byte (see HelloWireTests/RFC8448Tests.swift,
// where tshark's reading of them is noted). The TLS 1.0/1.2 hellos are built with
// TLSBuilder from RFC 5246 §7.4.1.2–3.
enum Hellos {
    static let tls13ClientHelloRecord: [UInt8] = [0x16, 0x03, 0x01, 0x00, 0xc4] + hexBytes("""
        010000c00303cb34ecb1e78163ba1c38c6dacb196a6dffa21a8d9912ec18a2ef62
        83024dece7000006130113031302010000910000000b0009000006736572766572
        ff01000100000a00140012001d0017001800190100010101020103010400230000
        003300260024001d002099381de560e4bd43d23d8e435a7dbafeb3c06e51c13cae
        4d5413691e529aaf2c002b0003020304000d0020001e0403050306030203080408
        05080604010501060102010402050206020202002d00020101001c00024001
        """)

    static let tls13ServerHelloRecord: [UInt8] = [0x16, 0x03, 0x03, 0x00, 0x5a] + hexBytes("""
        020000560303a6af06a4121860dc5e6e60249cd34c95930c8ac5cb1434dac155772e
        d3e2692800130100002e00330024001d0020c9828876112095fe66762bdbf7c672e1
        56d6cc253b833df1dd69b1b04e751f0f002b00020304
        """)

    static let helloRetryRequestRecord: [UInt8] = [0x16, 0x03, 0x03, 0x00, 0xb0] + hexBytes("""
        020000ac0303cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09
        e2c8a8339c001301000084003300020017002c0074007271dcd04bb88bc3189119
        398a00000000eefafc76c146b823b096f8aacad365dd0030953f4edf625636e5f2
        1bb2e23fcc654b1b5b40318d10d137abcbb87574e36e8a1f025f7dfa5d6e50781b
        5eda4aa15b0c8be778257d16aa3030e9e7841dd9e4c0342267e8ca0caf571fb2b7
        cff0f934b0002b00020304
        """)

    /// A TLS 1.0-only ClientHello (no supported_versions), as `openssl s_client -tls1` sends.
    static func tls10ClientHelloRecord(serverName: String = "agent.example") -> [UInt8] {
        TLSBuilder.record(TLSBuilder.handshake(1, TLSBuilder.clientHelloBody(
            version: 0x0301, ciphers: [0xc00a, 0xc014, 0x0035, 0x002f, 0x00ff],
            extensions: [TLSBuilder.serverName(serverName), (11, [1, 0]), (23, [])])))
    }

    /// A TLS 1.2 ClientHello without supported_versions.
    static let tls12ClientHelloRecord = TLSBuilder.record(TLSBuilder.handshake(1, TLSBuilder.clientHelloBody(
        version: 0x0303, ciphers: [0xc02f, 0xc030, 0x009c], extensions: [TLSBuilder.serverName("mail.example"), (23, [])])))

    static func serverHelloRecord(version: UInt16, cipher: UInt16) -> [UInt8] {
        TLSBuilder.record(TLSBuilder.handshake(2, TLSBuilder.serverHelloBody(
            version: version, cipher: cipher, extensions: [(0xff01, [0])])), version: version)
    }

    /// Fatal protocol_version alert (RFC 8446 §6: level 2, description 70).
    static let protocolVersionAlert: [UInt8] = [0x15, 0x03, 0x01, 0x00, 0x02, 0x02, 0x46]
}
