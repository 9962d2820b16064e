import HelloFingerprint
import HelloFlows
import HelloWire
import Testing

/// `finishHashes` as `analyze`'s writer runs it (RFC 8448's hellos): given room, it hands back
/// the raw strings it hashed, for the JSON line to copy instead of writing them again. They
/// must be the strings the writer would write, all three intact after the call, and the
/// hashes must not depend on the room.
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

    @Test func rawStringsComeBackAsTheWriterWritesThem() throws {
        var prints = try pending()
        let scratch = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: SessionFingerprints.renderedScratchCapacity)
        defer { scratch.deallocate() }
        let rendered = prints.finishHashes(scratch: scratch)
        #expect(!prints.hashesPending)
        let inputs = prints.inputs
        let ja3String = text(inputs) { FingerprintText.writeJA3($0, into: $1) }
        #expect(ja3String.hasPrefix("771,4865-4867-4866,"))
        #expect(string(rendered.ja3String) == ja3String)
        #expect(string(rendered.ja4Raw) == text(inputs) { FingerprintText.writeJA4Raw($0, into: $1).count })
        #expect(string(rendered.ja3sString) == text(inputs) { FingerprintText.writeJA3S($0, into: $1) })

        var small = try pending()
        let one = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: FingerprintText.scratchCapacity)
        defer { one.deallocate() }
        let none = small.finishHashes(scratch: one)
        #expect(none.ja3String == nil && none.ja4Raw == nil && none.ja3sString == nil)
        #expect(small.ja3.string == prints.ja3.string && small.ja4.string == prints.ja4.string && small.ja3s.string == prints.ja3s.string)
        #expect(prints.ja3.count == 32 && prints.ja4.count == 36 && prints.ja3s.count == 32)
    }

    @Test func nothingComesBackWhenNothingWasPending() throws {
        var prints = try pending()
        prints.hashesPending = false
        let scratch = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: SessionFingerprints.renderedScratchCapacity)
        defer { scratch.deallocate() }
        let rendered = prints.finishHashes(scratch: scratch)
        #expect(rendered.ja3String == nil && rendered.ja4Raw == nil && rendered.ja3sString == nil)
        #expect(prints.ja3.isEmpty && prints.ja4.isEmpty && prints.ja3s.isEmpty)
    }
}
