// What each fuzz target does with one input, shared by the libFuzzer executables in Fuzz/
// and by the regression tests that replay saved crash inputs (Tests/HelloWireTests/Corpus).
import HelloFingerprint
import HelloFlows
import HelloWire

/// Link → TCP decoding. The first byte picks the link type, the rest is the frame.
public func fuzzFrame(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size > 0 else { return 0 }
    let links: [LinkType] = [.ethernet, .linuxSLL, .linuxSLL2, .null, .loop, .raw]
    let linkType = links[Int(data[0]) % links.count]
    let decoder = FrameDecoder(linkType: linkType)
    let frame = UnsafeRawBufferPointer(start: data + 1, count: size - 1)
    let decoded = decoder.decode(frame.bytes)
    if case .segment(let segment) = decoded {
        // Every range handed out must lie inside the frame.
        precondition(segment.payload.lowerBound >= 0 && segment.payload.upperBound <= frame.count)
    }
    // A decoder that places flows decodes the same, and places each segment where the flow
    // table looks its key up; stored in a line of its own, as `analyze`'s reader has it stored.
    let placing = FrameDecoder(linkType: linkType, placing: fuzzPlacementKey.flowHash)
    let line = UnsafeMutableRawPointer.allocate(byteCount: 64, alignment: 64)
    defer { line.deallocate() }
    placing.decode(frame.bytes, storingAt: line)
    switch (decoded, line.load(as: FrameOutcome.self)) {
    case (.skipped(let plain), .skipped(let placed)):
        precondition(plain == placed, "a placing decoder skipped the frame otherwise")
    case (.segment(let plain), .segment(let placed)):
        var expected = plain
        if !plain.isBare { expected.flowPlacement = fuzzPlacementKey.placement(FlowKey.of(plain).key) }
        precondition(expected.source == placed.source && expected.destination == placed.destination
                     && expected.sourcePort == placed.sourcePort && expected.destinationPort == placed.destinationPort
                     && expected.sequence == placed.sequence && expected.payload == placed.payload
                     && expected.flags == placed.flags && expected.payloadCut == placed.payloadCut
                     && expected.isIPv6 == placed.isIPv6 && expected.vlans == placed.vlans
                     && expected.encapsulation == placed.encapsulation && expected.flowPlacement == placed.flowPlacement,
                     "a placing decoder's segment differs from the plain one placed by its key")
    default:
        preconditionFailure("a placing decoder decoded the frame otherwise")
    }
    return 0
}

private let fuzzPlacementKey = FlowHashKey(seed: 0x706c_6163_6564)

/// The TLS record scanner and the hello decoders on one direction's stream bytes. The
/// first byte says whether the stream starts there (SSLv2 headers are only looked for then).
public func fuzzHello(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size > 0 else { return 0 }
    let stream = UnsafeRawBufferPointer(start: data + 1, count: size - 1)
    let span = stream.bytes
    let scanner = HandshakeScanner(limit: 16_384)
    let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: 16_384, alignment: 16)
    defer { scratch.deallocate() }
    var from = 0
    for _ in 0 ..< 8 {
        let event = scanner.scan(span, from: from, isStreamStart: data[0] & 1 == 0 && from == 0)
        switch event {
        case .clientHello(let body, let resume):
            if let hello = try? ClientHello(decoding: span, body: body) {
                _ = hello.offeredVersions(span)
                checkRanges(hello.extensions, count: stream.count)
                var inputs = FingerprintInputs()
                inputs.readClient(hello, in: span)
                checkMemo(client: inputs)
                checkShapes(hello, inputs: inputs, stream, body: body)
            }
            from = resume
        case .serverHello(let body, let resume):
            if let hello = try? ServerHello(decoding: span, body: body) {
                _ = hello.negotiatedVersion
                checkRanges(hello.extensions, count: stream.count)
                var inputs = FingerprintInputs()
                inputs.readServer(hello, in: span)
                checkMemo(server: inputs)
            }
            from = resume
        case .sslv2ClientHello(let message, let resume):
            _ = try? ClientHello(decodingSSLv2: span, message: message)
            from = resume
        case .sslv2ServerHello(let message, let resume):
            _ = try? ServerHello(decodingSSLv2: span, message: message)
            from = resume
        case .helloSpansRecords(let first):
            if case .complete(let length, _) = scanner.gather(span, firstRecord: first, into: scratch) {
                let gathered = UnsafeRawBufferPointer(start: scratch.baseAddress, count: length).bytes
                _ = try? ClientHello(decoding: gathered, body: 4 ..< length)
                _ = try? ServerHello(decoding: gathered, body: 4 ..< length)
            }
            return 0
        case .alert(_, let resume):
            from = resume
        default:
            return 0
        }
        guard from < stream.count else { return 0 }
    }
    return 0
}

/// Two slots, kept across inputs: hellos of one run replace each other's entries and meet
/// remembered ones, as on a busy link.
nonisolated(unsafe) private let memo = FingerprintMemo(slots: 2)

/// What the memo answers for a ClientHello's inputs, made or remembered (asked twice), must be
/// what `FingerprintText` makes of them directly.
private func checkMemo(client inputs: FingerprintInputs) {
    let scratch = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: 2 * FingerprintText.scratchCapacity + 72)
    defer { scratch.deallocate() }
    let size = FingerprintText.scratchCapacity
    let ja3Text = UnsafeMutableBufferPointer(rebasing: scratch[0 ..< size]), ja4Text = UnsafeMutableBufferPointer(rebasing: scratch[size ..< 2 * size])
    let ja3 = UnsafeMutableBufferPointer(rebasing: scratch[2 * size ..< 2 * size + 32])
    let ja4 = UnsafeMutableBufferPointer(rebasing: scratch[2 * size + 32 ..< 2 * size + 72])
    guard inputs.hasClient, let madeJA3 = FingerprintText.ja3Hash(inputs, scratch: ja3Text, hash: ja3),
          let madeJA4 = FingerprintText.ja4(inputs, scratch: ja4Text, ja4: ja4) else {
        return precondition(memo.client(inputs) == nil)
    }
    for _ in 0 ..< 2 {
        guard let answer = memo.client(inputs) else { preconditionFailure("the memo gave no fingerprint for a hello that has one") }
        precondition(same(answer.ja3, ja3, madeJA3.digits) && same(answer.ja3String, ja3Text, madeJA3.text))
        precondition(same(answer.ja4, ja4, madeJA4.count) && same(answer.ja4Raw, ja4Text, madeJA4.raw))
        precondition([answer.ja3, answer.ja3String, answer.ja4, answer.ja4Raw].allSatisfy(isPlainText))
    }
}

/// The JSON writer copies fingerprints and their raw strings without escaping them
/// (`JSONBytes.quotedPlainText`): no byte of them may need an escape, whatever the hello.
private func isPlainText(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
    bytes.allSatisfy { $0 >= 0x20 && $0 < 0x7f && $0 != UInt8(ascii: "\"") && $0 != UInt8(ascii: "\\") }
}

/// The same for a ServerHello's JA3S.
private func checkMemo(server inputs: FingerprintInputs) {
    let scratch = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: FingerprintText.scratchCapacity + 32)
    defer { scratch.deallocate() }
    let text = UnsafeMutableBufferPointer(rebasing: scratch[0 ..< FingerprintText.scratchCapacity])
    let hash = UnsafeMutableBufferPointer(rebasing: scratch[FingerprintText.scratchCapacity...])
    guard inputs.hasServer, let made = FingerprintText.ja3sHash(inputs, scratch: text, hash: hash) else {
        return precondition(memo.server(inputs) == nil)
    }
    for _ in 0 ..< 2 {
        guard let answer = memo.server(inputs) else { preconditionFailure("the memo gave no JA3S for a hello that has one") }
        precondition(same(answer.ja3s, hash, made.digits) && same(answer.ja3sString, text, made.text))
        precondition(isPlainText(answer.ja3s) && isPlainText(answer.ja3sString))
    }
}

/// Kept across inputs, as `memo`.
nonisolated(unsafe) private let shapes = ClientHelloMemo()

/// The ClientHello memo's premise, on any hello: once remembered, the same hello with every
/// opaque byte changed, lying elsewhere, is found, and what was remembered is its own decode.
private func checkShapes(_ hello: ClientHello, inputs: FingerprintInputs, _ stream: UnsafeRawBufferPointer, body: Range<Int>) {
    let span = stream.bytes
    let kept = shapes.remember(span, body: body, hello, offered: hello.offeredVersions(span), inputs: inputs) != 0
    // The same bytes 3 further on, every opaque one inverted.
    let shift = 3
    let copy = UnsafeMutableRawBufferPointer.allocate(byteCount: body.upperBound + shift, alignment: 1)
    defer { copy.deallocate() }
    copy.initializeMemory(as: UInt8.self, repeating: 0)
    UnsafeMutableRawBufferPointer(rebasing: copy[body.lowerBound + shift ..< body.upperBound + shift])
        .copyMemory(from: UnsafeRawBufferPointer(rebasing: stream[body]))
    _ = hello.forEachOpaqueRange(span) { opaque in
        for offset in opaque { copy[offset + shift] ^= 0xff }
        return true
    }
    let moved = body.lowerBound + shift ..< body.upperBound + shift
    let variant = UnsafeRawBufferPointer(copy).bytes
    guard let found = shapes.find(variant, body: moved) else {
        return precondition(!kept, "a remembered shape was not found")
    }
    guard let decoded = try? ClientHello(decoding: variant, body: moved) else {
        preconditionFailure("a hello found in the memo does not decode")
    }
    precondition(found.pointee.hello.moved(by: moved.lowerBound) == decoded, "the memo's decode is not the hello's")
    precondition(found.pointee.offered == decoded.offeredVersions(variant))
    var own = FingerprintInputs()
    own.readClient(decoded, in: variant)
    precondition(found.pointee.hasInputs && found.pointee.inputs.hasSameClientSide(as: own), "the memo's inputs are not the hello's")
}

private func same(_ answer: UnsafeBufferPointer<UInt8>, _ made: UnsafeMutableBufferPointer<UInt8>, _ count: Int) -> Bool {
    answer.count == count && answer.elementsEqual(made.prefix(count))
}

private func checkRanges(_ extensions: HelloExtensions, count: Int) {
    for range in [extensions.serverName, extensions.supportedVersions, extensions.applicationProtocols,
                  extensions.keyShare, extensions.supportedGroups, extensions.signatureAlgorithms] {
        if let range { precondition(range.lowerBound >= 0 && range.upperBound <= count) }
    }
}

/// Reassembly and classification fed a sequence of segments: the input is cut into
/// records of [direction+flags byte][2-byte sequence offset][1-byte length][payload],
/// sent as Ethernet/IPv4/TCP frames of one connection, with small limits so caps are hit.
struct DiscardingSink: SessionSink {
    mutating func accept(_ session: borrowing SessionRecord) {
        let stored = session.serverName.count   // outside the autoclosure, which cannot capture a borrow
        precondition(stored <= 255)
    }
}

public func fuzzFlows(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    var configuration = TrackerConfiguration()
    configuration.maximumFlows = 4
    configuration.reassemblyBound = 2048
    configuration.maximumReassemblyMemory = 8 * 2048
    configuration.maximumPendingSessions = 4
    // Fixed: with four flows the table evicts, and which flow goes depends on the key. An
    // input must do the same every time the fuzzer or a replay runs it.
    configuration.flowHashKey = FlowHashKey(seed: 0x6865_6c6c_6f73_636f)
    // Two entries, not 128: the tracker is made anew per input, and a 264 KiB memo each time
    // held this target to 4 600 inputs a second (8 400 with two). Two also make hellos
    // replace each other.
    configuration.fingerprintMemoSlots = 2
    // One set of the ClientHello memo (two hellos) for the same reasons.
    configuration.clientHelloMemoSets = 1
    var tracker = FlowTracker(configuration: configuration, sink: DiscardingSink())
    let decoder = FrameDecoder(linkType: .ethernet)
    var frame = [UInt8](repeating: 0, count: 54 + 255)
    var at = 0
    var time: Int64 = 1_000_000_000
    while at + 4 <= size {
        let control = data[at]
        let offset = UInt32(data[at + 1]) << 8 | UInt32(data[at + 2])
        let length = min(Int(data[at + 3]), size - at - 4)
        let fromClient = control & 1 == 0
        let port = UInt16(control >> 5)   // a few connections
        writeFrame(&frame, fromClient: fromClient, port: port, sequence: (fromClient ? 1000 : 5000) &+ offset,
                   flags: (control >> 1) & 0x0f, payload: UnsafeBufferPointer(start: data + at + 4, count: length))
        frame.withUnsafeBytes { raw in
            let bytes = UnsafeRawBufferPointer(rebasing: raw[0 ..< 54 + length])
            tracker.process(frame: bytes.bytes, decoder: decoder, timestampNanos: time, wireLength: bytes.count)
        }
        time += 1_000_000
        at += 4 + length
    }
    tracker.finish(now: time)
    return 0
}

private func writeFrame(_ frame: inout [UInt8], fromClient: Bool, port: UInt16, sequence: UInt32, flags: UInt8,
                        payload: UnsafeBufferPointer<UInt8>) {
    let client: [UInt8] = [10, 213, 9, 2], server: [UInt8] = [10, 213, 9, 1]
    let clientPort = 40000 + port, serverPort: UInt16 = 443
    frame[12] = 0x08; frame[13] = 0x00
    frame[14] = 0x45
    let total = 40 + payload.count
    frame[16] = UInt8(total >> 8); frame[17] = UInt8(total & 0xff)
    frame[23] = 6
    let (source, destination) = fromClient ? (client, server) : (server, client)
    for index in 0 ..< 4 { frame[26 + index] = source[index]; frame[30 + index] = destination[index] }
    let (sourcePort, destinationPort) = fromClient ? (clientPort, serverPort) : (serverPort, clientPort)
    frame[34] = UInt8(sourcePort >> 8); frame[35] = UInt8(sourcePort & 0xff)
    frame[36] = UInt8(destinationPort >> 8); frame[37] = UInt8(destinationPort & 0xff)
    for index in 0 ..< 4 { frame[38 + index] = UInt8(truncatingIfNeeded: sequence >> UInt32(24 - 8 * index)) }
    frame[46] = 0x50
    // SYN, FIN, RST or plain ACK, picked by the input.
    frame[47] = [0x10, 0x02, 0x11, 0x14, 0x18, 0x12, 0x10, 0x10][Int(flags & 7)]
    for index in 0 ..< payload.count { frame[54 + index] = payload[index] }
}

