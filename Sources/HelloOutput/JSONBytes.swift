import HelloWire

/// A JSON object written straight into memory it owns: no String, no Foundation, no Array.
/// Each write first reserves its worst case once (a key and a number: a fixed bound; a
/// string: six bytes per input byte), then stores bytes without further checks. Over
/// `[UInt8].append` per byte (a uniqueness and a capacity check each) this took about 40 %
/// fewer instructions per session line (callgrind, 29 k sessions). Not copyable: it owns
/// its buffer.
public struct JSONBytes: ~Copyable {
    private var base: UnsafeMutablePointer<UInt8>
    private var capacity: Int
    /// Bytes written so far.
    public private(set) var count = 0
    private var needsComma = false
    /// Where an IPv6 address is formatted by `IPAddress.write(into:)`, the one place that
    /// knows RFC 5952, before it is copied in.
    private var addressText: [UInt8] = []
    /// The second of the last timestamp written, and its text up to the fraction
    /// (`"YYYY-MM-DDTHH:MM:SS.`, 21 bytes): sessions end many to a second, and working out the
    /// civil date took about 390 instructions a line.
    private var lastSecond = Int64.min
    private var lastSecondText: (UInt64, UInt64, UInt64) = (0, 0, 0)
    private static var secondTextLength: Int { 21 }

    public init(capacity: Int = 2048) {
        self.capacity = max(capacity, 64)
        base = .allocate(capacity: self.capacity)
    }

    deinit { base.deallocate() }

    /// The bytes written, in place (valid until the next write).
    public func withBytes<Result>(_ body: (UnsafeRawBufferPointer) throws -> Result) rethrows -> Result {
        try body(UnsafeRawBufferPointer(start: base, count: count))
    }

    /// A copy of the bytes written.
    public var array: [UInt8] { withBytes { Array($0) } }

    /// Forgets the bytes written and keeps the memory. Where the document stands (whether a
    /// comma comes next) is kept, so a document can be handed out in pieces.
    public mutating func removeAll() {
        count = 0
    }

    /// Makes room for `extra` more bytes; every unchecked store below is covered by one.
    @inline(__always)
    private mutating func reserve(_ extra: Int) {
        if capacity - count < extra { grow(to: count + extra) }
    }

    @inline(never)
    private mutating func grow(to needed: Int) {
        var newCapacity = capacity * 2
        while newCapacity < needed { newCapacity *= 2 }
        let newBase = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
        newBase.update(from: base, count: count)
        base.deallocate()
        base = newBase
        capacity = newCapacity
    }

    /// Stores one byte. Safe only inside room made by `reserve`.
    @inline(__always)
    private mutating func put(_ byte: UInt8) {
        base[count] = byte
        count &+= 1   // cannot overflow: inside the capacity
    }

    /// Stores `text`. Safe only inside `length(text)` of room made by `reserve`.
    @inline(__always)
    private mutating func put(_ text: StaticString) {
        text.withUTF8Buffer { utf8 in
            if let start = utf8.baseAddress { Self.copyShort(from: start, count: utf8.count, to: base + count) }
            count &+= utf8.count
        }
    }

    /// Copies `count` bytes; from 4 to 32 in two or four overlapping moves, where a call to
    /// `memmove` for a key's dozen bytes cost more than the copy (about 55 keys per line).
    @inline(__always)
    private static func copyShort(from source: UnsafePointer<UInt8>, count: Int, to target: UnsafeMutablePointer<UInt8>) {
        let from = UnsafeRawPointer(source), to = UnsafeMutableRawPointer(target)
        if count >= 8 && count <= 16 {
            let head = from.loadUnaligned(as: UInt64.self)
            let tail = from.loadUnaligned(fromByteOffset: count - 8, as: UInt64.self)
            to.storeBytes(of: head, as: UInt64.self)
            to.storeBytes(of: tail, toByteOffset: count - 8, as: UInt64.self)
        } else if count > 16 && count <= 32 {
            let first = from.loadUnaligned(as: UInt64.self)
            let second = from.loadUnaligned(fromByteOffset: 8, as: UInt64.self)
            let third = from.loadUnaligned(fromByteOffset: count - 16, as: UInt64.self)
            let fourth = from.loadUnaligned(fromByteOffset: count - 8, as: UInt64.self)
            to.storeBytes(of: first, as: UInt64.self)
            to.storeBytes(of: second, toByteOffset: 8, as: UInt64.self)
            to.storeBytes(of: third, toByteOffset: count - 16, as: UInt64.self)
            to.storeBytes(of: fourth, toByteOffset: count - 8, as: UInt64.self)
        } else if count >= 4 && count < 8 {
            to.storeBytes(of: from.loadUnaligned(as: UInt32.self), as: UInt32.self)
            to.storeBytes(of: from.loadUnaligned(fromByteOffset: count - 4, as: UInt32.self), toByteOffset: count - 4, as: UInt32.self)
        } else {
            target.update(from: source, count: count)
        }
    }

    /// At least the UTF-8 length of `text`: a one-character literal may be held as a
    /// scalar, which has no `utf8CodeUnitCount` and takes at most 4 bytes.
    @inline(__always)
    private static func length(_ text: StaticString) -> Int {
        text.hasPointerRepresentation ? text.utf8CodeUnitCount : 4
    }

    /// Stores a non-negative number's digits. Safe only inside `maximumDecimalDigits` of room.
    @inline(__always)
    private mutating func putDecimal(_ value: Int) {
        var digits = 1
        var limit = 10
        while value >= limit && digits < Self.maximumDecimalDigits {
            digits += 1
            limit = limit &* 10
        }
        var rest = value
        var at = count + digits
        count = at
        repeat {
            at -= 1
            base[at] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: rest % 10)
            rest /= 10
        } while at > count - digits
    }

    /// Digits of `Int.max`.
    private static let maximumDecimalDigits = 19

    /// Any key plus its punctuation: `,"` `":`.
    private static let keyPunctuation = 4

    /// Stores `,` when an element came before. Room: one byte.
    @inline(__always)
    private mutating func putComma() {
        if needsComma { put(UInt8(ascii: ",")) }
    }

    public mutating func beginObject() {
        reserve(1)
        put(UInt8(ascii: "{"))
        needsComma = false
    }

    public mutating func endObject() {
        reserve(1)
        put(UInt8(ascii: "}"))
        needsComma = true
    }

    @inline(__always)
    public mutating func beginArray(_ key: StaticString) {
        self.key(key)
        reserve(1)
        put(UInt8(ascii: "["))
        needsComma = false
    }

    public mutating func endArray() {
        reserve(1)
        put(UInt8(ascii: "]"))
        needsComma = true
    }

    /// A raw byte outside any value (the newline after a line).
    public mutating func byte(_ value: UInt8) {
        reserve(1)
        put(value)
    }

    /// Inlined: a key is a literal, so where it is written its length and bytes are known and
    /// the copy becomes a few stores (as a call, 50 instructions a key, 7 % of the writer).
    @inline(__always)
    public mutating func key(_ key: StaticString) {
        reserve(Self.length(key) + Self.keyPunctuation)
        putComma()
        put(UInt8(ascii: "\""))
        put(key)
        put(UInt8(ascii: "\""))
        put(UInt8(ascii: ":"))
        needsComma = true
    }

    /// A key known only at run time (inventory maps), escaped like any string.
    public mutating func key(dynamic name: String) {
        reserve(1)
        putComma()
        var name = name
        name.withUTF8 { quotedBytes($0) }
        reserve(1)
        put(UInt8(ascii: ":"))
        needsComma = true
    }

    /// Goes on with a list (or object) that other bytes began: the next member takes a comma.
    /// For a document written in parts, each part in a buffer of its own.
    public mutating func continueList() {
        needsComma = true
    }

    /// Starts an array element (comma handling only).
    public mutating func element() {
        reserve(1)
        putComma()
        needsComma = true
    }

    public mutating func appendStatic(_ text: StaticString) {
        reserve(Self.length(text))
        put(text)
    }

    /// Members written before (each with its leading comma, as `key` writes them), copied in
    /// after at least one member of the object.
    mutating func appendMembers(_ members: UnsafeBufferPointer<UInt8>) {
        reserve(members.count)
        if let start = members.baseAddress { (base + count).update(from: start, count: members.count) }
        count &+= members.count
        needsComma = true
    }

    /// Bytes that are JSON already (a name quoted and escaped ahead of time), where they lie.
    @inline(__always)
    mutating func appendJSON(_ text: UnsafeBufferPointer<UInt8>) {
        reserve(text.count)
        if let start = text.baseAddress { Self.copyShort(from: start, count: text.count, to: base + count) }
        count &+= text.count
    }

    @inline(__always)
    public mutating func null(_ key: StaticString) {
        reserve(Self.length(key) + Self.keyPunctuation + 4)
        self.key(key)
        put("null")
    }

    @inline(__always)
    public mutating func bool(_ key: StaticString, _ value: Bool) {
        reserve(Self.length(key) + Self.keyPunctuation + 5)
        self.key(key)
        put(value ? "true" : "false")
    }

    @inline(__always)
    public mutating func int(_ key: StaticString, _ value: Int) {
        self.key(key)
        number(value)
    }

    /// A number as a value (an array element, or after `key`).
    public mutating func number(_ value: Int) {
        reserve(Self.maximumDecimalDigits + 1)
        if value < 0 {
            put(UInt8(ascii: "-"))
            putDecimal(-value)
        } else {
            putDecimal(value)
        }
    }

    @inline(__always)
    public mutating func staticString(_ key: StaticString, _ value: StaticString?) {
        guard let value else { return null(key) }
        self.key(key)
        quotedStatic(value)
    }

    @inline(__always)
    public mutating func quotedStatic(_ value: StaticString) {
        reserve(Self.length(value) + 2)
        put(UInt8(ascii: "\""))
        put(value)
        put(UInt8(ascii: "\""))
    }

    /// Hex code as `"0x0303"`.
    @inline(__always)
    public mutating func hex(_ key: StaticString, _ value: UInt16?) {
        guard let value else { return null(key) }
        self.key(key)
        quotedHex(value)
    }

    public mutating func quotedHex(_ value: UInt16) {
        reserve(8)
        put(UInt8(ascii: "\""))
        putHexCode(value)
        put(UInt8(ascii: "\""))
    }

    /// `0x` and four hex digits. Room: six bytes.
    @inline(__always)
    private mutating func putHexCode(_ value: UInt16) {
        put(UInt8(ascii: "0"))
        put(UInt8(ascii: "x"))
        put(Self.hexDigit(UInt8(truncatingIfNeeded: value >> 12)))
        put(Self.hexDigit(UInt8(truncatingIfNeeded: value >> 8) & 0xf))
        put(Self.hexDigit(UInt8(truncatingIfNeeded: value >> 4) & 0xf))
        put(Self.hexDigit(UInt8(truncatingIfNeeded: value) & 0xf))
    }

    @inline(__always)
    private static func hexDigit(_ nibble: UInt8) -> UInt8 { nibble < 10 ? 0x30 &+ nibble : 0x57 &+ nibble }

    public mutating func version(_ key: StaticString, _ value: TLSVersion?) {
        guard let value else { return null(key) }
        self.key(key)
        quotedVersion(value)
    }

    /// `"TLSv1.` (22 54 4c 53 76 31 2e) as the first bytes of a little-endian word: a literal,
    /// which a lazily made global would not be.
    private static var quotedTLS1Prefix: UInt64 { 0x002e_3176_534c_5422 }

    public mutating func quotedVersion(_ value: TLSVersion) {
        // TLS 1.0 to 1.3, six of a line's version fields, in three stores: through the name's
        // static string each took about 140 instructions (callgrind, 1.1 M of them a run).
        let minor = value.rawValue &- 0x0301
        if minor <= 3 {
            reserve(9)
            let at = UnsafeMutableRawPointer(base + count)
            at.storeBytes(of: Self.quotedTLS1Prefix, as: UInt64.self)
            at.storeBytes(of: UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: minor), toByteOffset: 7, as: UInt8.self)
            at.storeBytes(of: UInt8(ascii: "\""), toByteOffset: 8, as: UInt8.self)
            count &+= 9
            return
        }
        openString()
        versionName(value)
        closeString()
    }

    /// A version's name (`TLSVersion.name`) as bytes, inside a string opened with `openString`.
    public mutating func versionName(_ value: TLSVersion) {
        switch value.nameParts {
        case .fixed(let name):
            appendStatic(name)
        case .numbered(let prefix, let number):
            reserve(Self.length(prefix) + Self.maximumDecimalDigits + 1)
            put(prefix)
            if number < 0 { put(UInt8(ascii: "-")); putDecimal(-number) } else { putDecimal(number) }
        case .hex(let code):
            reserve(6)
            putHexCode(code)
        }
    }

    /// A version's name as an object's key (the inventory's counts per version).
    public mutating func versionKey(_ value: TLSVersion) {
        reserve(1)
        putComma()
        quotedVersion(value)
        reserve(1)
        put(UInt8(ascii: ":"))
        needsComma = true
    }

    /// Opens a string whose content the caller writes in pieces that need no escape
    /// (`appendStatic`, `versionName`, `number`); `closeString` ends it.
    public mutating func openString() {
        reserve(1)
        put(UInt8(ascii: "\""))
    }

    public mutating func closeString() {
        reserve(1)
        put(UInt8(ascii: "\""))
    }

    /// Whether a byte goes into a JSON string as `\"`, `\\` or `\u00XX` rather than as itself.
    @inline(__always)
    private static func needsEscape(_ byte: UInt8) -> Bool {
        byte < 0x20 || byte >= 0x7f || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\")
    }

    /// Stores one byte of a string, escaped per RFC 8259; bytes that are not printable ASCII
    /// become \u00XX escapes of the byte, so the line stays valid JSON. Room: six bytes.
    @inline(__always)
    private mutating func putEscaped(_ byte: UInt8) {
        if !Self.needsEscape(byte) {
            put(byte)
        } else if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") {
            put(UInt8(ascii: "\\"))
            put(byte)
        } else {
            put("\\u00")
            put(Self.hexDigit(byte >> 4))
            put(Self.hexDigit(byte & 0xf))
        }
    }

    /// A string from raw bytes off the wire: escaped per RFC 8259; bytes that are not
    /// valid UTF-8 become \u00XX escapes of the byte, so the line stays valid JSON.
    public mutating func quotedBytes(count: Int, _ byteAt: (Int) -> UInt8) {
        reserve(count * 6 + 2)
        put(UInt8(ascii: "\""))
        for index in 0 ..< count { putEscaped(byteAt(index)) }
        put(UInt8(ascii: "\""))
    }

    /// `quotedBytes` over a buffer. Most strings (fingerprints, names) need no escape: those
    /// are checked without a branch per byte and copied whole.
    public mutating func quotedBytes(_ buffer: UnsafeBufferPointer<UInt8>) {
        guard Self.escapes(in: buffer) != 0 else { return quotedPlainText(buffer) }
        reserve(buffer.count * 6 + 2)
        put(UInt8(ascii: "\""))
        for byte in buffer { putEscaped(byte) }
        put(UInt8(ascii: "\""))
    }

    /// Non-zero when some byte of `text` needs escaping (`needsEscape`), without branches, so
    /// the compiler can check many bytes at once.
    @inline(__always)
    private static func escapes(in text: UnsafeBufferPointer<UInt8>) -> UInt8 {
        var escapes: UInt8 = 0
        for byte in text {
            escapes |= (byte &- 0x20 >= 0x5f ? 1 : 0) | (byte == UInt8(ascii: "\"") ? 1 : 0) | (byte == UInt8(ascii: "\\") ? 1 : 0)
        }
        return escapes
    }

    /// Opens a string that the caller writes in place: up to `room` bytes into the buffer
    /// returned, which is valid until the next call on `self`; `endString(written:)` closes it.
    /// For writers of plain ASCII (fingerprint strings), so nothing is copied twice.
    public mutating func beginString(room: Int) -> UnsafeMutableBufferPointer<UInt8> {
        reserve(room + 2)
        put(UInt8(ascii: "\""))
        return UnsafeMutableBufferPointer(start: base + count, count: room)
    }

    /// Closes the string `beginString(room:)` opened, `written` bytes long: plain text that
    /// needs no escape (see `quotedPlainText`), checked in debug builds only.
    public mutating func endString(written: Int) {
        assert(Self.escapes(in: UnsafeBufferPointer(start: base + count, count: written)) == 0, "plain text that needs an escape")
        count += written
        put(UInt8(ascii: "\""))
    }

    /// `buffer` as a string, copied without looking for bytes to escape: for text HelloScope
    /// writes itself from an alphabet that has none (fingerprint hashes and their raw strings:
    /// digits, hex, letters, `,`, `-`, `_`; the fuzz target `FuzzHello` holds them to it). The
    /// check cost about five instructions a byte, a seventh of the output thread's; debug
    /// builds, which the tests run, still make it.
    public mutating func quotedPlainText(_ buffer: UnsafeBufferPointer<UInt8>) {
        assert(Self.escapes(in: buffer) == 0, "plain text that needs an escape")
        reserve(buffer.count + 2)
        put(UInt8(ascii: "\""))
        if let start = buffer.baseAddress {
            Self.copyShort(from: start, count: buffer.count, to: base + count)
            count &+= buffer.count
        }
        put(UInt8(ascii: "\""))
    }

    public mutating func address(_ key: StaticString, _ value: IPAddress) {
        self.key(key)
        quotedAddress(value)
    }

    /// An address as a string value: dotted quad or RFC 5952 text, as `IPAddress.description`.
    public mutating func quotedAddress(_ value: IPAddress) {
        guard value.isIPv4 else {
            addressText.removeAll(keepingCapacity: true)
            value.write(into: &addressText)
            reserve(addressText.count + 2)
            put(UInt8(ascii: "\""))
            for byte in addressText { put(byte) }
            put(UInt8(ascii: "\""))
            return
        }
        // Dotted quad, as `IPAddress.write(into:)` words it.
        reserve(17)
        put(UInt8(ascii: "\""))
        putOctet(UInt8(truncatingIfNeeded: value.low >> 24))
        put(UInt8(ascii: "."))
        putOctet(UInt8(truncatingIfNeeded: value.low >> 16))
        put(UInt8(ascii: "."))
        putOctet(UInt8(truncatingIfNeeded: value.low >> 8))
        put(UInt8(ascii: "."))
        putOctet(UInt8(truncatingIfNeeded: value.low))
        put(UInt8(ascii: "\""))
    }

    /// An IPv4 octet without leading zeros. Room: three bytes.
    @inline(__always)
    private mutating func putOctet(_ octet: UInt8) {
        if octet >= 100 { put(UInt8(ascii: "0") &+ octet / 100) }
        if octet >= 10 { put(UInt8(ascii: "0") &+ octet / 10 % 10) }
        put(UInt8(ascii: "0") &+ octet % 10)
    }

    /// RFC 3339 UTC with microseconds, from nanoseconds since the epoch.
    public mutating func timestamp(_ key: StaticString, nanos: Int64) {
        self.key(key)
        var seconds = nanos / 1_000_000_000
        var fraction = nanos % 1_000_000_000
        if fraction < 0 { fraction += 1_000_000_000; seconds -= 1 }
        // The widest case: a year past 9999 written whole.
        reserve(Self.maximumDecimalDigits + 26)
        if seconds == lastSecond {
            withUnsafeBytes(of: lastSecondText) { text in
                UnsafeMutableRawPointer(base + count).copyMemory(from: text.baseAddress!, byteCount: Self.secondTextLength)
            }
            count &+= Self.secondTextLength
        } else {
            let start = count
            putSecond(seconds)
            if count - start == Self.secondTextLength {
                lastSecond = seconds
                withUnsafeMutableBytes(of: &lastSecondText) { text in
                    text.baseAddress!.copyMemory(from: base + start, byteCount: Self.secondTextLength)
                }
            }
        }
        padded(Int(fraction / 1000), 6)
        put(UInt8(ascii: "Z"))
        put(UInt8(ascii: "\""))
    }

    /// `"YYYY-MM-DDTHH:MM:SS.` for `seconds` since 1970 (UTC), inside room `timestamp` made.
    private mutating func putSecond(_ seconds: Int64) {
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let secondOfDay = seconds - days * 86_400
        // Civil date from days since 1970-01-01 (H. Hinnant's algorithm).
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        put(UInt8(ascii: "\""))
        padded(Int(year), 4); put(UInt8(ascii: "-"))
        padded(Int(month), 2); put(UInt8(ascii: "-"))
        padded(Int(day), 2); put(UInt8(ascii: "T"))
        padded(Int(secondOfDay / 3600), 2); put(UInt8(ascii: ":"))
        padded(Int(secondOfDay / 60 % 60), 2); put(UInt8(ascii: ":"))
        padded(Int(secondOfDay % 60), 2); put(UInt8(ascii: "."))
    }

    /// `value` in at least `width` digits (negative as 0). Room: `maximumDecimalDigits`.
    @inline(__always)
    private mutating func padded(_ value: Int, _ width: Int) {
        var divisor = 1
        for _ in 1 ..< width { divisor *= 10 }
        var rest = max(value, 0)
        if rest >= divisor * 10 { putDecimal(rest); return }
        while divisor > 0 {
            put(UInt8(ascii: "0") + UInt8(rest / divisor))
            rest %= divisor
            divisor /= 10
        }
    }
}
