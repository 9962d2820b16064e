@testable import HelloFingerprint
import HelloWire
import Testing

/// The memo answers with exactly what the string types make (which the other suites hold to
/// tshark and FoxIO), whether it remembers the inputs or not, and tells apart hellos that
/// differ in any one detail, even when all of them share one slot.
@Suite struct FingerprintMemoTests {
    struct Answer: Equatable {
        var ja3: String, ja4: String, ja3String: String, ja4Raw: String
    }

    func inputs(client message: [UInt8]) throws -> FingerprintInputs {
        let span = message.span.bytes
        var inputs = FingerprintInputs()
        inputs.readClient(try ClientHello(decoding: span, body: 4 ..< message.count), in: span)
        return inputs
    }

    func reference(_ message: [UInt8]) throws -> Answer {
        let result = try fingerprintClient(message)
        let ja3 = try #require(result.ja3), ja4 = try #require(result.ja4)
        return Answer(ja3: ja3.ja3, ja4: ja4.ja4, ja3String: ja3.ja3String, ja4Raw: ja4.ja4Raw)
    }

    func ask(_ memo: FingerprintMemo, _ inputs: FingerprintInputs) throws -> Answer {
        let made = try #require(memo.client(inputs))
        return Answer(ja3: text(made.ja3), ja4: text(made.ja4), ja3String: text(made.ja3String), ja4Raw: text(made.ja4Raw))
    }

    func text(_ bytes: UnsafeBufferPointer<UInt8>) -> String { String(decoding: bytes, as: UTF8.self) }

    @Test(arguments: FingerprintTextTests.clientHellos.map(\.1))
    func aRememberedHelloGetsWhatAFreshOneGets(_ hex: String) throws {
        let message = bytes(hex: hex)
        let memo = FingerprintMemo()
        let inputs = try inputs(client: message)
        let expected = try reference(message)
        #expect(try ask(memo, inputs) == expected)
        #expect(memo.misses == 1 && memo.hits == 0)
        #expect(try ask(memo, inputs) == expected)
        #expect(memo.misses == 1 && memo.hits == 1)
    }

    @Test(arguments: [Fixtures.tlsHandshakeFrame2, Fixtures.ipv6Frame6, Fixtures.httpsConnectFrame10,
                      Fixtures.dsAgentFrame6, Fixtures.dsAgentFrame48])
    func aRememberedServerHelloGetsWhatAFreshOneGets(_ hex: String) throws {
        let message = bytes(hex: hex)
        let (computed, hello) = try fingerprintServer(message)
        let expected = try #require(computed)
        var inputs = FingerprintInputs()
        inputs.readServer(hello, in: message.span.bytes)
        let memo = FingerprintMemo()
        for _ in 0 ..< 2 {
            let made = try #require(memo.server(inputs))
            #expect(text(made.ja3s) == expected.ja3s)
            #expect(text(made.ja3sString) == expected.ja3sString)
        }
        #expect(memo.misses == 1 && memo.hits == 1)
    }

    /// Hellos that differ in one detail each: legacy version, supported_versions (JA4's
    /// version only), one suite, suite order, an extension, ALPN, a code moved from one list
    /// to the next (same codes, other lists), point formats. In a one-slot memo every look-up
    /// replaces the last; in a roomy one they stay. Either way each answer is its own.
    @Test(arguments: [1, 128]) func hellosThatDifferInOneDetailAreNeverConfused(_ slots: Int) throws {
        func hello(version: UInt16 = 0x0303, ciphers: [UInt16] = [0x1301, 0x1302, 0xc02f],
                   versions: [UInt16] = [0x0304, 0x0303], alpn: String = "h2",
                   groups: [UInt16] = [29, 23], signatures: [UInt16] = [0x0403, 0x0804],
                   formats: [UInt8] = [0], extra: [(UInt16, [UInt8])] = []) -> [UInt8] {
            let protocols = [UInt8(alpn.utf8.count)] + Array(alpn.utf8)
            let serverName: [UInt8] = be16(8) + [0] + be16(5) + Array("a.com".utf8)
            let pointFormats: [UInt8] = [UInt8(formats.count)] + formats
            let applicationProtocols: [UInt8] = be16(UInt16(protocols.count)) + protocols
            let supportedVersions: [UInt8] = [UInt8(versions.count * 2)] + versions.flatMap(be16)
            var extensions: [(UInt16, [UInt8])] = [(0x0000, serverName), (0x000a, list16(groups)), (0x000d, list16(signatures))]
            extensions += [(0x000b, pointFormats), (0x0010, applicationProtocols), (0x002b, supportedVersions)]
            extensions += extra
            return syntheticClientHello(version: version, ciphers: ciphers, extensions: extensions)
        }
        let variants = [
            hello(), hello(version: 0x0301), hello(versions: [0x0303]), hello(ciphers: [0x1301, 0x1302, 0xc030]),
            hello(ciphers: [0x1302, 0x1301, 0xc02f]), hello(extra: [(0x0017, [])]), hello(alpn: "http/1.1"),
            hello(groups: [29, 23, 0x0403], signatures: [0x0804]), hello(formats: [0, 1]),
        ]
        let expected = try variants.map(reference)
        let distinct = Set(expected.map { (answer: Answer) -> String in answer.ja3String + "|" + answer.ja4Raw })
        #expect(distinct.count == variants.count, "each variant must make other strings")
        let memo = FingerprintMemo(slots: slots)
        let all = try variants.map { try inputs(client: $0) }
        for round in 0 ..< 3 {
            for (index, inputs) in all.enumerated() {
                #expect(try ask(memo, inputs) == expected[index], "variant \(index), round \(round)")
            }
        }
        #expect(memo.hits + memo.misses == 3 * variants.count)
        if slots == 1 { #expect(memo.hits == 0) }
    }

    /// Two hellos that meet in one slot both stay while they alternate, as a mix of two TLS
    /// stacks does: with one slot per hash they evicted each other at every look-up.
    @Test func hellosThatMeetInOneSlotBothStay() throws {
        let memo = FingerprintMemo(slots: 16)
        let messages = (0 ..< 64).map {
            syntheticClientHello(version: 0x0303, ciphers: [0x1301, 0xc000 + UInt16($0)], extensions: [(0x000a, list16([29, 23]))])
        }
        let all = try messages.map { try inputs(client: $0) }
        let places = all.map { memo.clientSlots($0) }
        // 64 hellos in 16 first slots: some two share one. The second of them must have another
        // slot to go to (it has, but for one chance in 16).
        let pairs = all.indices.flatMap { first in
            all.indices.filter { $0 > first && places[$0].0 == places[first].0 && places[$0].1 != places[$0].0 }.map { (first, $0) }
        }
        let (first, second) = try #require(pairs.first)
        let expected = try [reference(messages[first]), reference(messages[second])]
        for _ in 0 ..< 20 {
            #expect(try ask(memo, all[first]) == expected[0])
            #expect(try ask(memo, all[second]) == expected[1])
        }
        #expect(memo.misses == 2 && memo.hits == 38, "misses \(memo.misses), hits \(memo.hits)")
    }

    /// Hashes made already (by the tracker) are kept with the strings written for them, and
    /// answer the next look-up that has to hash.
    @Test func hashesMadeElsewhereAreRemembered() throws {
        let message = bytes(hex: Fixtures.tlsHandshakeFrame1)
        let expected = try reference(message)
        let inputs = try inputs(client: message)
        let memo = FingerprintMemo()
        let ja3 = Array(expected.ja3.utf8), ja4 = Array(expected.ja4.utf8)
        let made = try #require(ja3.withUnsafeBufferPointer { ja3 in ja4.withUnsafeBufferPointer { memo.client(inputs, known: (ja3, $0)) } })
        #expect(text(made.ja3String) == expected.ja3String && text(made.ja4Raw) == expected.ja4Raw)
        #expect(memo.misses == 1)
        #expect(try ask(memo, inputs) == expected)
        #expect(memo.hits == 1)
    }

    /// Strings too long for an entry are made each time, and still right; lists that were
    /// cut make none (their hashes come from the whole hello).
    @Test func longAndCutHellosAreNotRemembered() throws {
        let ciphers = (0 ..< 120).map { UInt16(0x0100 + $0) }
        let long = syntheticClientHello(version: 0x0303, ciphers: ciphers, extensions: [(0x000a, list16([29, 23]))])
        let memo = FingerprintMemo()
        let expected = try reference(long)
        #expect(expected.ja3String.utf8.count + expected.ja4Raw.utf8.count > 1_088)
        let inputs = try inputs(client: long)
        #expect(try ask(memo, inputs) == expected)
        #expect(try ask(memo, inputs) == expected)
        #expect(memo.misses == 2 && memo.hits == 0)

        let cut = syntheticClientHello(version: 0x0303, ciphers: (0 ..< 300).map { UInt16(0x0100 + $0) }, extensions: nil)
        let cutInputs = try self.inputs(client: cut)
        #expect(cutInputs.clientCut)
        #expect(memo.client(cutInputs) == nil)
    }
}

/// A stamp (`InputsStamp`) names inputs for as long as the process runs, so the memo may answer
/// a stamped look-up from the entry that answered that stamp before, without the key, as long
/// as that entry has not been stored into since.
@Suite struct StampedLookUpTests {
    @Test("stamped look-ups answer as look-ups by inputs, also once their entries are replaced (2 slots, 6 hellos)")
    func stampsAnswerAsInputs() throws {
        let hellos = try FingerprintTextTests.clientHellos.prefix(6).map { _, hex in
            let message = bytes(hex: hex)
            let span = message.span.bytes
            var inputs = FingerprintInputs()
            inputs.readClient(try ClientHello(decoding: span, body: 4 ..< message.count), in: span)
            return inputs
        }
        #expect(hellos.count == 6)
        func answer(_ made: FingerprintMemo.Client?) -> [String] {
            guard let made else { return [] }
            return [made.ja3, made.ja4, made.ja3String, made.ja4Raw].map { String(decoding: $0, as: UTF8.self) }
        }
        let expected = hellos.map { inputs in
            let fresh = FingerprintMemo()
            return withExtendedLifetime(fresh) { answer(fresh.client(inputs)) }   // its answers live in it
        }
        #expect(expected.allSatisfy { !$0.isEmpty })
        let memo = FingerprintMemo(slots: 2)
        var state: UInt64 = 0x5747_4d50
        var wrong = 0
        for _ in 0 ..< 3_000 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            // Runs of one hello (its stamp answers) broken by others (which replace its entry).
            let index = Int(state >> 61) < 6 ? Int(state >> 61) : 0
            let made = answer(memo.client(hellos[index], stamp: InputsStamp(index + 1)))
            if made != expected[index] { wrong += 1 }
        }
        #expect(wrong == 0)
        #expect(memo.hits > 0 && memo.misses > 100)
    }
}
