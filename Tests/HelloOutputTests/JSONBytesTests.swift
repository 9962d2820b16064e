import Foundation
import Testing
import HelloOutput
import HelloWire
import FrameTestSupport

/// Keys and strings are copied in pieces of 8 bytes up to 32 and by `memmove` past that: every
/// length around those edges must come out whole, and parse.
@Suite struct JSONBytesTests {
    @Test("keys of 1 to 33 characters are written whole, each once, in order")
    func keysOfEveryLength() throws {
        var json = JSONBytes(capacity: 64)   // small, so that the writing also grows it
        json.beginObject()
        json.int("a", 1)
        json.int("abcdefg", 7)
        json.int("abcdefgh", 8)
        json.int("abcdefghi", 9)
        json.int("abcdefghijklmno", 15)
        json.int("abcdefghijklmnop", 16)
        json.int("abcdefghijklmnopq", 17)
        json.int("abcdefghijklmnopqrstuvwxyz01234", 31)
        json.int("abcdefghijklmnopqrstuvwxyz012345", 32)
        json.int("abcdefghijklmnopqrstuvwxyz0123456", 33)
        json.endObject()
        let text = String(decoding: json.array, as: UTF8.self)
        #expect(text == #"{"a":1,"abcdefg":7,"abcdefgh":8,"abcdefghi":9,"abcdefghijklmno":15,"abcdefghijklmnop":16,"#
            + #""abcdefghijklmnopq":17,"abcdefghijklmnopqrstuvwxyz01234":31,"abcdefghijklmnopqrstuvwxyz012345":32,"#
            + #""abcdefghijklmnopqrstuvwxyz0123456":33}"#)
        let parsed = try #require(try JSONSerialization.jsonObject(with: Data(json.array)) as? [String: Int])
        #expect(parsed.count == 10)
        #expect(parsed.allSatisfy { $0.key.count == $0.value })
    }

    @Test("strings of 0 to 40 bytes, plain or with a byte to escape, are quoted whole", arguments: [false, true])
    func stringsOfEveryLength(escaped: Bool) throws {
        for length in 0 ... 40 {
            var bytes = (0 ..< length).map { UInt8(ascii: "a") + UInt8($0 % 26) }
            if escaped && length > 0 { bytes[length / 2] = UInt8(ascii: "\"") }
            var json = JSONBytes(capacity: 64)
            json.beginObject()
            json.key("s")
            bytes.withUnsafeBufferPointer { json.quotedBytes($0) }
            json.endObject()
            let parsed = try #require(try JSONSerialization.jsonObject(with: Data(json.array)) as? [String: String])
            #expect(parsed == ["s": String(decoding: bytes, as: UTF8.self)], "length \(length)")
        }
    }

    @Test("every version code is written as its name says, also where the buffer must grow for it")
    func versionsAsTheirNames() throws {
        // TLS 1.0 to 1.3 take a shortcut; its edges (0x0300, 0x0305) and the rest do not.
        let codes: [UInt16] = [0x0002, 0x0200, 0x02ff, 0x0300, 0x0301, 0x0302, 0x0303, 0x0304, 0x0305,
                               0x7f1c, 0x7e02, 0xfb17, 0xfefd, 0x0000, 0xffff]
        for code in codes {
            var json = JSONBytes(capacity: 64)
            json.beginObject()
            json.bool("padding-padding-padding-padding-padding-padding-", true)   // with `,"v":`, 61 of the 64 bytes
            json.version("v", TLSVersion(code))
            json.endObject()
            let parsed = try #require(try JSONSerialization.jsonObject(with: Data(json.array)) as? [String: Any])
            #expect(parsed["v"] as? String == TLSVersion(code).name, "code \(code)")
        }
    }
}

/// `timestamp` keeps the text of the last second it wrote and copies it for the next timestamp
/// in that second. A long-lived writer must write what a fresh one writes, whatever came before.
@Suite struct TimestampTests {
    func fresh(_ nanos: Int64) -> String {
        var out = JSONBytes()
        out.beginObject()
        out.timestamp("ts", nanos: nanos)
        out.endObject()
        return String(decoding: out.array, as: UTF8.self)
    }

    @Test func knownInstants() {
        #expect(fresh(0) == #"{"ts":"1970-01-01T00:00:00.000000Z"}"#)
        #expect(fresh(1_700_000_000_507_027_123) == #"{"ts":"2023-11-14T22:13:20.507027Z"}"#)
        #expect(fresh(-1) == #"{"ts":"1969-12-31T23:59:59.999999Z"}"#)
        #expect(fresh(951_782_400_000_000_000) == #"{"ts":"2000-02-29T00:00:00.000000Z"}"#)
    }

    @Test func aLongLivedWriterWritesWhatAFreshOneDoes() {
        var random = XorShift(seed: 0x7155)
        var instants: [Int64] = [0, -1, 1, 999_999_999, 1_000_000_000, -1_000_000_000, -1_000_000_001,
                                 253_402_300_799_999_999, 253_402_300_800_000_000, Int64.max, Int64.min + 1]
        var base: Int64 = 1_700_000_000_000_000_000
        for _ in 0 ..< 5_000 {
            switch random.below(8) {
            case 0: base = Int64(bitPattern: random.next()) / 4          // anywhere, years past 9999 and before 0 too
            case 1: base += Int64(random.below(3)) * 1_000_000_000       // the next second or two
            case 2: base -= 1_000_000_000                                 // back a second
            default: break
            }
            instants.append(base + Int64(random.below(1_000_000_000)))   // within the second
        }
        var out = JSONBytes()
        for nanos in instants {
            out.removeAll()
            out.beginObject()
            out.timestamp("ts", nanos: nanos)
            out.endObject()
            #expect(String(decoding: out.array, as: UTF8.self) == fresh(nanos), "\(nanos)")
        }
    }
}

/// `quotedPlainText` copies fingerprint text without looking for escapes (and `quotedBytes`
/// hands it text that needs none): the text must come out whole between its quotes at every
/// length the copy handles apart.
@Suite struct PlainTextTests {
    @Test func writesTheTextBetweenQuotes() {
        let alphabet = Array("0123456789abcdef,-_tq".utf8)
        var random = XorShift(seed: 0x9a1)
        for length in 0 ... 300 {
            let text = (0 ..< length).map { _ in alphabet[random.below(alphabet.count)] }
            let quoted = [UInt8(ascii: "\"")] + text + [UInt8(ascii: "\"")]
            var plain = JSONBytes(), escaping = JSONBytes()
            text.withUnsafeBufferPointer { plain.quotedPlainText($0); escaping.quotedBytes($0) }
            #expect(plain.array == quoted, "length \(length)")
            #expect(escaping.array == quoted, "length \(length)")
        }
    }
}
