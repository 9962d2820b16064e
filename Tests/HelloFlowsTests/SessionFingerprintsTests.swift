import HelloFingerprint
import HelloFlows
import HelloWire
import Testing

/// `finishHashes` as `analyze`'s writer runs it (RFC 8448's hellos): it hands back the raw
/// strings it hashed, for the JSON line to copy instead of writing them again. They must be
/// the strings the writer would write, all three intact after the call, and the hashes must
/// be the same whether the memo remembered the hellos or not, or the tracker hashed them.
@Suite struct SessionFingerprintsTests {
    private func pending() throws -> SessionFingerprints {
        let client = Array(Hellos.tls13ClientHelloRecord.dropFirst(5))
        let server = Array(Hellos.tls13ServerHelloRecord.dropFirst(5))
        var prints = SessionFingerprints()
        let clientSpan = client.span.bytes
        prints.inputs.readClient(try ClientHello(decoding: clientSpan, body: 4 ..< client.count), in: clientSpan)
        let serverSpan = server.span.bytes
        prints.inputs.readServer(try ServerHello(decoding: serverSpan, body: 4 ..< server.count), in: serverSpan)
        prints.hashesPending = true
        return prints
    }

    private func text(_ inputs: FingerprintInputs, _ write: (FingerprintInputs, UnsafeMutableBufferPointer<UInt8>) -> Int) -> String {
        var room = [UInt8](repeating: 0, count: FingerprintText.scratchCapacity)
        let count = room.withUnsafeMutableBufferPointer { write(inputs, $0) }
        return String(decoding: room.prefix(count), as: UTF8.self)
    }

    private func string(_ buffer: UnsafeBufferPointer<UInt8>?) -> String? {
        buffer.map { String(decoding: $0, as: UTF8.self) }
    }

    private func expectWriterStrings(_ rendered: RenderedFingerprints, _ inputs: FingerprintInputs) {
        let ja3String = text(inputs) { FingerprintText.writeJA3($0, into: $1) }
        #expect(ja3String.hasPrefix("771,4865-4867-4866,"))
        #expect(string(rendered.ja3String) == ja3String)
        #expect(string(rendered.ja4Raw) == text(inputs) { FingerprintText.writeJA4Raw($0, into: $1).count })
        #expect(string(rendered.ja3sString) == text(inputs) { FingerprintText.writeJA3S($0, into: $1) })
    }

    @Test func rawStringsComeBackAsTheWriterWritesThem() throws {
        let memo = FingerprintMemo()
        var prints = try pending()
        let fresh = prints.finishHashes(memo: memo)
        #expect(!prints.hashesPending)
        expectWriterStrings(fresh, prints.inputs)
        #expect(prints.ja3.count == 32 && prints.ja4.count == 36 && prints.ja3s.count == 32)

        var again = try pending()
        let remembered = again.finishHashes(memo: memo)
        #expect(memo.hits == 2, "the second session's hellos are the first's")
        expectWriterStrings(remembered, again.inputs)
        #expect(again.ja3.string == prints.ja3.string && again.ja4.string == prints.ja4.string && again.ja3s.string == prints.ja3s.string)
    }

    /// The tracker hashed (its own memo) and the writer's memo gives the strings, keeping the
    /// hashes it finds: on a memo that has never seen the hellos, and on one that has.
    @Test func hashesMadeOnTheTrackerKeepTheirStrings() throws {
        let trackerMemo = FingerprintMemo(), writerMemo = FingerprintMemo()
        var hashed = try pending()
        hashed.finishHashes(memo: trackerMemo)
        let expected = hashed
        for _ in 0 ..< 2 {
            var prints = expected
            let rendered = prints.finishHashes(memo: writerMemo)
            expectWriterStrings(rendered, prints.inputs)
            #expect(prints.ja3.string == expected.ja3.string && prints.ja4.string == expected.ja4.string
                    && prints.ja3s.string == expected.ja3s.string)
        }
        #expect(writerMemo.misses == 2 && writerMemo.hits == 2)
    }

    @Test func nothingIsHashedWhenNothingWasPending() throws {
        var prints = try pending()
        prints.hashesPending = false
        let rendered = prints.finishHashes(memo: FingerprintMemo())
        #expect(rendered.ja3String == nil && rendered.ja4Raw == nil && rendered.ja3sString == nil)
        #expect(prints.ja3.isEmpty && prints.ja4.isEmpty && prints.ja3s.isEmpty)
    }
}

/// The tracker hashing on the packet path, as `capture` runs it (its own memo), against the
/// tracker leaving the hashing to a writer, as `analyze` does: over connections whose hellos
/// repeat and alternate (three ClientHellos, two ServerHellos), every session's JA3, JA4 and
/// JA3S agree, and the ones hashed on the packet path match the reference types.
@Suite struct TrackerFingerprintMemoTests {
    @Test func repeatedHellosHashedInPlaceMatchTheWritersHashes() throws {
        let clients = [Hellos.tls13ClientHelloRecord, Hellos.tls12ClientHelloRecord, Hellos.tls10ClientHelloRecord()]
        let servers = [Hellos.tls13ServerHelloRecord, Hellos.serverHelloRecord(version: 0x0303, cipher: 0xc02f)]
        var frames: [[UInt8]] = []
        for index in 0 ..< 30 {
            var conversation = Conversation(initiator: ("10.0.\(index / 200).\(index % 200 + 1)", UInt16(40_000 + index)),
                                            responder: ("10.9.9.9", 443))
            conversation.open()
            conversation.send(fromInitiator: true, clients[index % clients.count])
            conversation.send(fromInitiator: false, servers[(index / 2) % servers.count])
            conversation.close(fromInitiator: true)
            frames += conversation.frames
        }
        let inPlace = run(frames).sessions
        var deferred = testConfiguration()
        deferred.deferFingerprintHashes = true
        let memo = FingerprintMemo()
        let written = run(frames, configuration: deferred).sessions.map { session in
            var session = session
            session.fingerprints.finishHashes(memo: memo)
            return session
        }
        try #require(inPlace.count == 30 && written.count == 30)
        for (made, expected) in zip(inPlace, written) {
            #expect(made.fingerprints.ja3.count == 32 && made.fingerprints.ja4.count == 36 && made.fingerprints.ja3s.count == 32)
            #expect(made.fingerprints.ja3.string == expected.fingerprints.ja3.string)
            #expect(made.fingerprints.ja4.string == expected.fingerprints.ja4.string)
            #expect(made.fingerprints.ja3s.string == expected.fingerprints.ja3s.string)
        }
        // Closures, not key paths: a key path through `ShortBytes` crashes the 6.3 compiler.
        #expect(Set(inPlace.map { $0.fingerprints.ja3.string }).count == 3)
        #expect(Set(inPlace.map { $0.fingerprints.ja3s.string }).count == 2)

        let message = Array(Hellos.tls13ClientHelloRecord.dropFirst(5))
        let span = message.span.bytes
        let hello = try ClientHello(decoding: span, body: 4 ..< message.count)
        let ja3 = JA3(hello: hello, in: span)?.ja3, ja4 = JA4(hello: hello, in: span)?.ja4
        let tls13Clients = inPlace.filter { $0.offered.maximum?.rawValue == 0x0304 }
        #expect(tls13Clients.count == 10)
        for session in tls13Clients {
            #expect(session.fingerprints.ja3.string == ja3)
            #expect(session.fingerprints.ja4.string == ja4)
        }
    }
}
