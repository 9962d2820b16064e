import Foundation
import Testing
import HelloOutput
import HelloWire

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
