import FrameTestSupport
import HelloFingerprint
@testable import HelloFlows
import HelloWire
import Testing

// The tracker's ClientHello memo (ClientHelloMemo.swift) takes a hello for a remembered one
// when every byte outside the opaque runs is the same (HelloFingerprintTests/OpaqueBytesTests
// shows those runs change nothing). Here: that it finds a hello's shape wherever the hello
// lies, that no byte that counts goes uncompared, and that sessions whose hellos it found read
// exactly as each reads in a tracker of its own.

/// `message` (a ClientHello handshake message) with every opaque byte rewritten from `random`.
func rewritingOpaqueBytes(_ message: [UInt8], _ random: inout XorShift) throws -> [UInt8] {
    let hello = try ClientHello(decoding: message.span.bytes, body: 4 ..< message.count)
    var rewritten = message
    _ = hello.forEachOpaqueRange(message.span.bytes) { range in
        for offset in range { rewritten[offset] = UInt8(truncatingIfNeeded: random.next()) }
        return true
    }
    return rewritten
}

/// What the fingerprints are made of, as text (the JA3 and JA4_r strings).
func inputsText(_ inputs: FingerprintInputs) -> String {
    var text = [UInt8](repeating: 0, count: FingerprintText.scratchCapacity)
    let ja3 = text.withUnsafeMutableBufferPointer { FingerprintText.writeJA3(inputs, into: $0) }
    var raw = [UInt8](repeating: 0, count: FingerprintText.scratchCapacity)
    let ja4 = raw.withUnsafeMutableBufferPointer { FingerprintText.writeJA4Raw(inputs, into: $0).count }
    return String(decoding: text[0 ..< ja3], as: UTF8.self) + " " + String(decoding: raw[0 ..< ja4], as: UTF8.self)
}

struct ClientHelloMemoTests {
    /// RFC 8448 §3's ClientHello: a key share, a session ticket and psk_key_exchange_modes.
    static let rfc8448 = Array(Hellos.tls13ClientHelloRecord[5...])

    @Test("a hello of a remembered shape is found wherever it lies, as its own decode")
    func foundAnywhereAsItself() throws {
        let memo = ClientHelloMemo()
        let first = Self.rfc8448
        let span = first.span.bytes
        let hello = try ClientHello(decoding: span, body: 4 ..< first.count)
        var inputs = FingerprintInputs()
        inputs.readClient(hello, in: span)
        memo.remember(span, body: 4 ..< first.count, hello, offered: hello.offeredVersions(span), inputs: inputs)

        var random = XorShift(seed: 8448)
        for shift in [0, 1, 37, 1_000] {
            let other = [UInt8](repeating: 0xa5, count: shift) + (try rewritingOpaqueBytes(first, &random))
            let otherSpan = other.span.bytes
            let body = shift + 4 ..< other.count
            let lookedUp = memo.find(otherSpan, body: body)
            let found = try #require(lookedUp, "shift \(shift)")
            let decoded = try ClientHello(decoding: otherSpan, body: body)
            #expect(found.pointee.hello.moved(by: body.lowerBound) == decoded)
            #expect(found.pointee.offered == decoded.offeredVersions(otherSpan))
            var own = FingerprintInputs()
            own.readClient(decoded, in: otherSpan)
            #expect(found.pointee.hasInputs)
            #expect(inputsText(found.pointee.inputs) == inputsText(own))
        }
        #expect(memo.hits == 4)
    }

    @Test("every byte outside the opaque runs is compared: changing any one is another shape")
    func everyCountedByteIsCompared() throws {
        let memo = ClientHelloMemo()
        let message = Self.rfc8448
        let span = message.span.bytes
        let body = 4 ..< message.count
        let hello = try ClientHello(decoding: span, body: body)
        memo.remember(span, body: body, hello, offered: hello.offeredVersions(span), inputs: nil)
        var opaque = Set<Int>()
        _ = hello.forEachOpaqueRange(span) { opaque.formUnion($0); return true }
        var counted = 0
        for offset in body where !opaque.contains(offset) {
            var changed = message
            changed[offset] ^= 0x01
            let lookedUp = memo.find(changed.span.bytes, body: body)
            #expect(lookedUp == nil, "byte \(offset)")
            counted += 1
        }
        #expect(memo.find(span, body: body) != nil)
        // Opaque here: the random (32), the key share's key (32), and the bodies of
        // psk_key_exchange_modes (2) and record_size_limit (2); the session id is empty.
        #expect(opaque.count == 68)
        #expect(counted == body.count - 68)
        // One more or one less byte is another shape, whatever the bytes.
        let longer = message + [0]
        #expect(memo.find(longer.span.bytes, body: 4 ..< longer.count) == nil)
        #expect(memo.find(span, body: 4 ..< message.count - 1) == nil)
    }

    @Test("bodies too short to place or too long to keep are neither kept nor found")
    func outOfBoundsBodies() throws {
        let memo = ClientHelloMemo()
        let short = TLSBuilder.handshake(1, [3, 3] + [UInt8](repeating: 1, count: 32) + [0, 0, 2, 0, 0x2f, 1, 0])
        let shortHello = try ClientHello(decoding: short.span.bytes, body: 4 ..< short.count)
        memo.remember(short.span.bytes, body: 4 ..< short.count, shortHello, offered: shortHello.offeredVersions(short.span.bytes), inputs: nil)
        #expect(memo.find(short.span.bytes, body: 4 ..< short.count) == nil)

        let padded = TLSBuilder.handshake(1, TLSBuilder.clientHelloBody(
            version: 0x0303, ciphers: [0xc02f], extensions: [TLSBuilder.serverName("big.example"), (21, [UInt8](repeating: 0, count: 2_100))]))
        let paddedHello = try ClientHello(decoding: padded.span.bytes, body: 4 ..< padded.count)
        memo.remember(padded.span.bytes, body: 4 ..< padded.count, paddedHello, offered: paddedHello.offeredVersions(padded.span.bytes), inputs: nil)
        #expect(memo.find(padded.span.bytes, body: 4 ..< padded.count) == nil)
    }

    @Test("a hello without a plain shape pushes no remembered one out")
    func unplainHelloKeepsTheSet() throws {
        let memo = ClientHelloMemo()
        // Three hellos of one length and one set: two with a server name each, one whose
        // server_name list runs past its extension (skipped, counted malformed).
        func hello(_ serverName: [UInt8]) -> [UInt8] {
            TLSBuilder.handshake(1, TLSBuilder.clientHelloBody(
                version: 0x0303, ciphers: [0xc02f, 0xc030, 0x009c], extensions: [(0, serverName), (23, [])]))
        }
        let named = { (name: String) in [0, UInt8(name.utf8.count + 3), 0, 0, UInt8(name.utf8.count)] + Array(name.utf8) }
        let first = hello(named("aa.example")), second = hello(named("ab.example"))
        var broken = named("ac.example")
        broken[1] = 200   // the list's length, past the extension
        let malformed = hello(broken)
        #expect(first.count == malformed.count)
        for message in [first, second, malformed] {
            let span = message.span.bytes
            let decoded = try ClientHello(decoding: span, body: 4 ..< message.count)
            let stamp = memo.remember(span, body: 4 ..< message.count, decoded, offered: decoded.offeredVersions(span),
                                      inputs: FingerprintInputs())
            #expect((stamp == 0) == (message == malformed))
        }
        for message in [first, second] {
            let found = memo.find(message.span.bytes, body: 4 ..< message.count)
            #expect(found != nil)
        }
        let notKept = memo.find(malformed.span.bytes, body: 4 ..< malformed.count)
        #expect(notKept == nil)
    }

    @Test("with far more shapes than entries, a hello is found only as itself")
    func manyShapesNoFalseFinds() throws {
        let memo = ClientHelloMemo()
        var random = XorShift(seed: 77)
        // 600 shapes: the same length and first suites (so they crowd the same sets), differing in the last suite.
        let messages = (0 ..< 600).map { index in
            TLSBuilder.handshake(1, TLSBuilder.clientHelloBody(
                version: 0x0303, ciphers: [0xc02f, 0xc030, 0x009c, UInt16(0x1000 + index)],
                extensions: [TLSBuilder.serverName("agent.example"), (23, [])]))
        }
        var found = 0, wrong: [Int] = [], index = 0
        for _ in 0 ..< 3_000 {
            // Half the time one of the last two hellos again, else any of them.
            index = random.below(2) == 0 ? max(0, index - random.below(2)) : random.below(messages.count)
            let message = messages[index]
            let span = message.span.bytes
            let body = 4 ..< message.count
            let decoded = try ClientHello(decoding: span, body: body)
            var own = FingerprintInputs()
            own.readClient(decoded, in: span)
            if let known = memo.find(span, body: body) {
                if known.pointee.hello.moved(by: body.lowerBound) != decoded || inputsText(known.pointee.inputs) != inputsText(own) {
                    wrong.append(index)
                }
                found += 1
            } else {
                memo.remember(span, body: body, decoded, offered: decoded.offeredVersions(span), inputs: own)
                if memo.find(span, body: body) == nil { wrong.append(index) }
            }
        }
        #expect(wrong.isEmpty, "found as another shape, or not kept: hellos \(wrong.prefix(10))")
        #expect(found > 500)
    }

    /// The tracker with the memo against itself without it: every session of a few shapes
    /// through one tracker (nearly all found in the memo), each also through a fresh tracker
    /// (whose memo is empty, so it decodes).
    @Test("sessions whose ClientHellos the memo found read as each reads alone")
    func sessionsReadAsAlone() throws {
        var random = XorShift(seed: 2026)
        let shapes: [(client: [UInt8], server: [UInt8], port: UInt16)] = [
            (Self.rfc8448, Hellos.tls13ServerHelloRecord, 4120),
            (Array(Hellos.tls10ClientHelloRecord()[5...]), Hellos.serverHelloRecord(version: 0x0301, cipher: 0xc014), 4118),
            (Array(Hellos.tls10ClientHelloRecord(serverName: "relay.example")[5...]), Hellos.serverHelloRecord(version: 0x0301, cipher: 0x002f), 4122),
            (Array(Hellos.tls12ClientHelloRecord[5...]), Hellos.serverHelloRecord(version: 0x0303, cipher: 0xc02f), 443),
        ]
        var conversations: [Conversation] = []
        for index in 0 ..< 240 {
            let shape = shapes[random.below(shapes.count)]
            var conversation = Conversation(initiator: ("10.7.\(index / 200).\(index % 200 + 2)", UInt16(40_000 + index)),
                                            responder: ("10.7.255.1", shape.port))
            conversation.open()
            conversation.send(fromInitiator: true, TLSBuilder.record(try rewritingOpaqueBytes(shape.client, &random)))
            conversation.send(fromInitiator: false, shape.server)
            conversation.close(fromInitiator: true)
            conversation.close(fromInitiator: false)
            conversations.append(conversation)
        }
        let decoder = FrameDecoder(linkType: .ethernet)
        func facts(_ session: SessionRecord) -> String {
            "\(Outcome(session)) legacy=\(String(describing: session.clientLegacyVersion)) id=\(session.clientSessionID.lowercasedBytes)"
                + " suites=\(session.cipherSuitesOffered) extensions=\(session.extensionsOffered) grease=\(session.clientGREASE)"
                + " alpn=\(session.alpnOffered.string) role=\(session.roleIndex) ja3=\(session.fingerprints.ja3.string)"
                + " ja4=\(session.fingerprints.ja4.string) inputs=\(inputsText(session.fingerprints.inputs))"
        }

        var shared = FlowTracker(configuration: testConfiguration(), sink: Collector())
        var alone: [String] = []
        for (index, conversation) in conversations.enumerated() {
            var own = FlowTracker(configuration: testConfiguration(), sink: Collector())
            for (at, frame) in conversation.frames.enumerated() {
                let now = baseNanos + Int64(index * 100 + at) * 1_000
                shared.process(frame: frame.span.bytes, decoder: decoder, timestampNanos: now, wireLength: frame.count)
                own.process(frame: frame.span.bytes, decoder: decoder, timestampNanos: now, wireLength: frame.count)
            }
            own.finish(now: baseNanos + Int64(index * 100 + 99) * 1_000)
            #expect(own.clientHellos.hits == 0)
            alone += own.sink.sessions.map(facts)
        }
        shared.finish(now: baseNanos + 1_000_000_000)
        #expect(shared.sink.sessions.count == 240)
        #expect(shared.sink.sessions.map(facts) == alone)
        // Every hello but the first of each shape (and any pushed out by another shape of its set).
        #expect(shared.clientHellos.hits >= 240 - 2 * shapes.count)
        // Each session carries the stamp of its hello's shape: one stamp, one of everything read
        // from the hello (the JSON writer copies a line's middle from a session with the same
        // stamp, `MiddleFields`), and a stamp for every shape.
        var inputsByStamp: [InputsStamp: Set<String>] = [:]
        for session in shared.sink.sessions {
            let read = "\(inputsText(session.fingerprints.inputs)) name=\(session.serverName.string) alpn=\(session.alpnOffered.string)"
                + " legacy=\(String(describing: session.clientLegacyVersion)) offered=\(String(describing: session.offered))"
            inputsByStamp[session.fingerprints.clientStamp, default: []].insert(read)
        }
        #expect(inputsByStamp[0] == nil)
        #expect(inputsByStamp.values.allSatisfy { $0.count == 1 })
        #expect(inputsByStamp.count >= shapes.count)
    }
}
