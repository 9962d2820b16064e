import Testing
import HelloWire
import FrameTestSupport

// Record-layer shapes around a hello, built from RFC 8446 §5.1 (records), RFC 5246
// Appendix E.2 (SSLv2-compatible CLIENT-HELLO) and draft-hickman-netscape-ssl-00
// Appendix C (SSLv2 SERVER-HELLO), with the RFC 8448 §3 messages as the hellos.

enum SSLv2 {
    /// SSLv2-compatible CLIENT-HELLO (RFC 5246 E.2): msg_type 1, version 0x0301, three
    /// 3-byte cipher specs, no session id, a 32-byte challenge; 2-byte header, high bit set.
    static let cipherSpecs: [UInt8] = [0x00, 0x00, 0x35, 0x00, 0x00, 0x2f, 0x01, 0x00, 0x80]
    static let challenge = [UInt8](0x40 ..< 0x60)
    static var clientHelloMessage: [UInt8] {
        [1] + be16(0x0301) + be16(UInt16(cipherSpecs.count)) + be16(0) + be16(UInt16(challenge.count)) + cipherSpecs + challenge
    }
    static var clientHelloRecord: [UInt8] {
        let message = clientHelloMessage
        return [0x80 | UInt8(message.count >> 8), UInt8(message.count & 0xff)] + message
    }

    /// SSLv2 SERVER-HELLO (draft-hickman §C): msg_type 4, session-id-hit 0, certificate
    /// type 1 (X.509), version 0x0002, lengths, then certificate, cipher specs, connection id.
    static let certificate = [UInt8](repeating: 0x30, count: 24)
    static let serverCipherSpecs: [UInt8] = [0x01, 0x00, 0x80, 0x07, 0x00, 0xc0]   // RC4_128_WITH_MD5, DES_192_EDE3_CBC_WITH_MD5
    static let connectionID = [UInt8](0xa0 ..< 0xb0)
    static var serverHelloMessage: [UInt8] {
        [4, 0, 1] + be16(0x0002) + be16(UInt16(certificate.count)) + be16(UInt16(serverCipherSpecs.count))
            + be16(UInt16(connectionID.count)) + certificate + serverCipherSpecs + connectionID
    }
    static var serverHelloRecord: [UInt8] {
        let message = serverHelloMessage
        return [0x80 | UInt8(message.count >> 8), UInt8(message.count & 0xff)] + message
    }
}

enum SplitRecords {
    /// The RFC 8448 ClientHello split 100 + 96 over two handshake records (RFC 8446 §5.1
    /// allows a message to span records).
    static var clientHelloInTwoRecords: [UInt8] {
        let message = RFC8448.clientHello
        return TLSBuilder.record(Array(message[..<100])) + TLSBuilder.record(Array(message[100...]))
    }
}

private let scanner = HandshakeScanner(limit: 16_384)

private func decodeHeader(_ bytes: [UInt8], at offset: Int = 0) -> TLSRecordHeader? {
    TLSRecordHeader(decoding: bytes.span.bytes, at: offset)
}

@Suite("SSLv2 hellos")
struct SSLv2Tests {
    @Test("an SSLv2-compatible CLIENT-HELLO is found and decoded")
    func clientHello() throws {
        let record = SSLv2.clientHelloRecord
        let span = record.span.bytes
        let event = scanner.scan(span, from: 0, isStreamStart: true)
        #expect(event == .sslv2ClientHello(message: 2 ..< record.count, resumeAt: record.count))
        let hello = try ClientHello(decodingSSLv2: span, message: 2 ..< record.count)
        #expect(hello.isSSLv2Format)
        #expect(hello.legacyVersion == .tls10)
        #expect(Array(record[hello.cipherSuites]) == SSLv2.cipherSpecs)
        #expect(hello.cipherSuites.count / 3 == 3)
        #expect(hello.sessionID.isEmpty)
        #expect(Array(record[hello.random]) == SSLv2.challenge)
        #expect(hello.offeredVersions(span).versions == [.tls10])
        #expect(hello.extensions.count == 0)
    }

    @Test("an SSLv2 SERVER-HELLO is found and decoded: SSLv2 negotiated, first cipher kind")
    func serverHello() throws {
        let record = SSLv2.serverHelloRecord
        let span = record.span.bytes
        let event = scanner.scan(span, from: 0, isStreamStart: true)
        #expect(event == .sslv2ServerHello(message: 2 ..< record.count, resumeAt: record.count))
        let hello = try ServerHello(decodingSSLv2: span, message: 2 ..< record.count)
        #expect(hello.isSSLv2)
        #expect(hello.legacyVersion == .sslv2)
        #expect(hello.negotiatedVersion == .sslv2)
        #expect(hello.negotiatedVersion.name == "SSLv2")
        #expect(hello.cipherSuite.rawValue == 0x0080)   // SSL_CK_RC4_128_WITH_MD5 = 0x010080, low 16 bits
        #expect(Array(record[hello.sessionID]) == SSLv2.connectionID)
        #expect(!hello.isHelloRetryRequest)
    }

    @Test("SSLv2 shapes: only at the stream start, only types 1 and 4, waits for the rest")
    func sslv2Edges() throws {
        let record = SSLv2.clientHelloRecord
        // Mid-stream, a high-bit byte is not a record start.
        #expect(scanner.scan(record.span.bytes, from: 0, isStreamStart: false) == .notTLS)
        // Type 2 (CLIENT-MASTER-KEY) first is not a hello.
        var masterKey = record
        masterKey[2] = 2
        #expect(scanner.scan(masterKey.span.bytes, from: 0, isStreamStart: true) == .notTLS)
        for length in 0 ..< record.count {
            #expect(scanner.scan(Array(record[..<length]).span.bytes, from: 0, isStreamStart: true) == .needMore(from: 0))
        }
        // Cipher specs not a multiple of 3, or a challenge shorter than 16: malformed.
        var badSpecs = SSLv2.clientHelloMessage
        badSpecs[4] = 8
        #expect(throws: DecodeError.self) { try ClientHello(decodingSSLv2: badSpecs.span.bytes, message: 0 ..< badSpecs.count) }
        var shortChallenge = SSLv2.clientHelloMessage
        shortChallenge[8] = 8
        #expect(throws: DecodeError.self) {
            try ClientHello(decodingSSLv2: shortChallenge.span.bytes, message: 0 ..< shortChallenge.count)
        }
        // A server hello whose lengths run past the message.
        var long = SSLv2.serverHelloMessage
        long[6] = 0xff
        #expect(throws: DecodeError.self) { try ServerHello(decodingSSLv2: long.span.bytes, message: 0 ..< long.count) }
    }
}

@Suite("Records around hellos")
struct RecordScanTests {
    @Test("a ClientHello split over two records: helloSpansRecords, then gather rebuilds it")
    func spansTwoRecords() throws {
        let bytes = SplitRecords.clientHelloInTwoRecords
        let span = bytes.span.bytes
        #expect(scanner.scan(span, from: 0, isStreamStart: true) == .helloSpansRecords(firstRecord: 0))
        let output = UnsafeMutableRawBufferPointer.allocate(byteCount: 16_384, alignment: 1)
        defer { output.deallocate() }
        let gathered = scanner.gather(span, firstRecord: 0, into: output)
        #expect(gathered == .complete(length: 196, resumeAt: bytes.count))
        let copy = Array(UnsafeRawBufferPointer(rebasing: output[..<196]))
        #expect(copy == RFC8448.clientHello)
        let hello = try ClientHello(decoding: copy.span.bytes, body: 4 ..< 196)
        #expect(hello.extensions.serverName.map { String(decoding: copy[$0], as: UTF8.self) } == "server")
    }

    @Test("a ClientHello in three records with the handshake header itself split (2 + 2 bytes)")
    func headerSplit() throws {
        let message = RFC8448.clientHello
        let bytes = TLSBuilder.record(Array(message[..<2])) + TLSBuilder.record(Array(message[2 ..< 4]))
            + TLSBuilder.record(Array(message[4...]))
        let span = bytes.span.bytes
        #expect(scanner.scan(span, from: 0, isStreamStart: true) == .helloSpansRecords(firstRecord: 0))
        let output = UnsafeMutableRawBufferPointer.allocate(byteCount: 4096, alignment: 1)
        defer { output.deallocate() }
        #expect(scanner.gather(span, firstRecord: 0, into: output) == .complete(length: 196, resumeAt: bytes.count))
        #expect(Array(UnsafeRawBufferPointer(rebasing: output[..<196])) == message)
    }

    @Test("gather: waits for a missing record, refuses a non-handshake record, bounds the copy")
    func gatherEdges() {
        let message = RFC8448.clientHello
        let first = TLSBuilder.record(Array(message[..<100]))
        let output = UnsafeMutableRawBufferPointer.allocate(byteCount: 16_384, alignment: 1)
        defer { output.deallocate() }
        // Only the first record: the scanner knows the hello spans records, gather waits.
        #expect(scanner.scan(first.span.bytes, from: 0, isStreamStart: true) == .helloSpansRecords(firstRecord: 0))
        #expect(scanner.gather(first.span.bytes, firstRecord: 0, into: output) == .needMore)
        // The second record only partly there: still waiting.
        let partial = first + Array(TLSBuilder.record(Array(message[100...]))[..<50])
        #expect(scanner.gather(partial.span.bytes, firstRecord: 0, into: output) == .needMore)
        // Application data where the rest should be.
        let interrupted = first + TLSBuilder.record(Array(message[100...]), type: 23, version: 0x0303)
        #expect(scanner.gather(interrupted.span.bytes, firstRecord: 0, into: output) == .malformed)
        // An output smaller than the message.
        let small = UnsafeMutableRawBufferPointer.allocate(byteCount: 64, alignment: 1)
        defer { small.deallocate() }
        let whole = SplitRecords.clientHelloInTwoRecords
        #expect(scanner.gather(whole.span.bytes, firstRecord: 0, into: small) == .tooLarge(claimed: 196))
    }

    @Test("a ClientHello sharing its record with a following message")
    func sharedRecord() throws {
        let trailing = TLSBuilder.handshake(15, [0xde, 0xad])   // any later handshake message
        let bytes = TLSBuilder.record(RFC8448.clientHello + trailing)
        let event = scanner.scan(bytes.span.bytes, from: 0, isStreamStart: true)
        #expect(event == .clientHello(body: 9 ..< 201, resumeAt: bytes.count))
        let hello = try ClientHello(decoding: bytes.span.bytes, body: 9 ..< 201)
        #expect(hello.cipherSuites.count == 6)
    }

    @Test("a ServerHello whose record runs past the captured bytes still parses")
    func serverHelloThenPartialCertificate() throws {
        let certificate = TLSBuilder.handshake(11, [UInt8](repeating: 0x30, count: 1000))
        let fullRecord = TLSBuilder.record(RFC8448.serverHello + certificate, version: 0x0303)
        let available = Array(fullRecord[..<(5 + 90 + 20)])   // ServerHello whole, Certificate not
        let event = scanner.scan(available.span.bytes, from: 0, isStreamStart: true)
        #expect(event == .serverHello(body: 9 ..< 95, resumeAt: fullRecord.count))
        let hello = try ServerHello(decoding: available.span.bytes, body: 9 ..< 95)
        #expect(hello.negotiatedVersion == .tls13)
        #expect(hello.cipherSuite.rawValue == 0x1301)
    }

    @Test("ChangeCipherSpec before the hello is skipped; an alert is reported with its description")
    func ccsAndAlert() {
        let ccs: [UInt8] = [0x14, 0x03, 0x03, 0x00, 0x01, 0x01]
        let bytes = ccs + RFC8448.serverHelloRecord
        #expect(scanner.scan(bytes.span.bytes, from: 0, isStreamStart: true) == .serverHello(body: 15 ..< 101, resumeAt: 101))
        // RFC 8446 §6: level fatal (2), protocol_version (70).
        let alert: [UInt8] = [0x15, 0x03, 0x01, 0x00, 0x02, 0x02, 0x46]
        let event = scanner.scan(alert.span.bytes, from: 0, isStreamStart: true)
        #expect(event == .alert(TLSAlert(level: 2, description: AlertDescription(rawValue: 70)), resumeAt: 7))
        #expect(AlertDescription(rawValue: 70).name == "protocol_version")
        #expect(AlertDescription(rawValue: 40).name == "handshake_failure")
        #expect(AlertDescription(rawValue: 112).name == "unrecognized_name")
        #expect(AlertDescription(rawValue: 200).name == "alert_200")
        #expect(scanner.scan(Array(alert[..<6]).span.bytes, from: 0, isStreamStart: true) == .needMore(from: 0))
    }

    @Test("not a hello: application data, a Certificate first, plaintext, and a hello over the limit")
    func notHellos() {
        let appData = TLSBuilder.record([1, 2, 3], type: 23, version: 0x0303)
        #expect(scanner.scan(appData.span.bytes, from: 0, isStreamStart: true) == .midstream)
        let certificate = TLSBuilder.record(TLSBuilder.handshake(11, [0, 0, 0]))
        #expect(scanner.scan(certificate.span.bytes, from: 0, isStreamStart: true) == .midstream)
        let http = Array("GET / HTTP/1.1\r\nHost: x\r\n\r\n".utf8)
        #expect(scanner.scan(http.span.bytes, from: 0, isStreamStart: true) == .notTLS)
        let wrongMajor: [UInt8] = [0x16, 0x02, 0x00, 0x00, 0x10]
        #expect(scanner.scan(wrongMajor.span.bytes, from: 0, isStreamStart: true) == .notTLS)
        // A handshake length of 1 MiB in an ordinary record: refused before any copy.
        var huge = RFC8448.clientHelloRecord
        huge[6] = 0x10
        huge[7] = 0x00
        huge[8] = 0x00
        #expect(scanner.scan(huge.span.bytes, from: 0, isStreamStart: true) == .helloTooLarge(claimed: 0x10_0004))
        // A limit smaller than this hello.
        #expect(HandshakeScanner(limit: 100).scan(RFC8448.clientHelloRecord.span.bytes, from: 0, isStreamStart: true)
            == .helloTooLarge(claimed: 196))
    }

    @Test("record headers: content types, versions, lengths (RFC 8446 §5.1)")
    func recordHeader() throws {
        let record = RFC8448.clientHelloRecord
        let decoded = TLSRecordHeader(decoding: record.span.bytes, at: 0)
        let header = try #require(decoded)
        #expect(header == decodeHeader([0x16, 0x03, 0x01, 0x00, 0xc4]))
        #expect(header.contentType == .handshake && header.version == .tls10 && header.length == 196)
        #expect(decodeHeader([0x16, 0x03, 0x01, 0x00, 0x00]) == nil)   // empty
        #expect(decodeHeader([0x16, 0x03, 0x01, 0x48, 0x01]) == nil)   // 2^14 + 2048 + 1
        #expect(decodeHeader([0x16, 0x03, 0x01, 0x48, 0x00]) != nil)   // 2^14 + 2048 (RFC 5246 §6.2.3)
        #expect(decodeHeader([0x19, 0x03, 0x01, 0x00, 0x01]) == nil)   // content type 25
        #expect(decodeHeader([0x16, 0x03, 0x05, 0x00, 0x01]) == nil)   // minor version 5
        #expect(decodeHeader([0x16, 0x03, 0x01, 0x00]) == nil)         // short
        #expect(decodeHeader([0x16, 0x03, 0x01, 0x00, 0x01], at: -1) == nil)
        #expect(decodeHeader([0x17, 0x03, 0x03, 0x00, 0x20])?.contentType == .applicationData)
    }

    @Test("extensions: a GREASE extension, an ALPN list, a lying inner length, a framing error")
    func extensionEdges() throws {
        let alpn = [UInt8(2)] + Array("h2".utf8) + [UInt8(8)] + Array("http/1.1".utf8)
        let body = TLSBuilder.clientHelloBody(version: 0x0303, ciphers: [0x1301], extensions: [
            (0x0a0a, []),                                       // GREASE (RFC 8701)
            (16, be16(UInt16(alpn.count)) + alpn),              // ALPN (RFC 7301)
            (10, be16(6) + be16(0x001d)),                       // supported_groups claiming 6 bytes, holding 2
            TLSBuilder.supportedVersions([0x3a3a, 0x0304, 0x0303]),
        ])
        let span = body.span.bytes
        let hello = try ClientHello(decoding: span, body: 0 ..< body.count)
        #expect(hello.extensions.count == 4)
        #expect(hello.extensions.hasGREASE)
        #expect(hello.extensions.malformedExtensions == 1)
        #expect(hello.extensions.supportedGroups == nil)
        #expect(hello.extensions.applicationProtocols.map { Array(body[$0]) } == alpn)
        #expect(hello.offeredVersions(span).versions == [.tls13, .tls12])   // GREASE left out
        // An extension whose length runs past the block: kept as a framing error, not thrown.
        var broken = TLSBuilder.clientHelloBody(version: 0x0303, ciphers: [0x1301], extensions: [TLSBuilder.serverName("a.example")])
        broken[broken.count - 16] = 0x7f   // the server_name extension's length high byte (18 bytes from the end: type 2, length 2, body 14)
        let partial = try ClientHello(decoding: broken.span.bytes, body: 0 ..< broken.count)
        #expect(partial.extensions.framingError != nil)
        #expect(partial.extensions.serverName == nil)
    }
}
