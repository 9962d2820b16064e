import HelloWire

/// A JSON object written straight into a byte buffer: no String, no Foundation, so a
/// session line costs no allocation once the buffer has grown to its working size.
public struct JSONBytes {
    public var bytes: [UInt8]
    private var needsComma = false

    public init(capacity: Int = 2048) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    public mutating func beginObject() {
        bytes.append(UInt8(ascii: "{"))
        needsComma = false
    }

    public mutating func endObject() {
        bytes.append(UInt8(ascii: "}"))
        needsComma = true
    }

    public mutating func beginArray(_ key: StaticString) {
        self.key(key)
        bytes.append(UInt8(ascii: "["))
        needsComma = false
    }

    public mutating func endArray() {
        bytes.append(UInt8(ascii: "]"))
        needsComma = true
    }

    public mutating func key(_ key: StaticString) {
        if needsComma { bytes.append(UInt8(ascii: ",")) }
        bytes.append(UInt8(ascii: "\""))
        appendStatic(key)
        bytes.append(UInt8(ascii: "\""))
        bytes.append(UInt8(ascii: ":"))
        needsComma = true
    }

    /// A key known only at run time (inventory maps), escaped like any string.
    public mutating func key(dynamic name: String) {
        if needsComma { bytes.append(UInt8(ascii: ",")) }
        var name = name
        name.withUTF8 { quotedBytes($0) }
        bytes.append(UInt8(ascii: ":"))
        needsComma = true
    }

    /// Starts an array element (comma handling only).
    public mutating func element() {
        if needsComma { bytes.append(UInt8(ascii: ",")) }
        needsComma = true
    }

    public mutating func appendStatic(_ text: StaticString) {
        text.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    public mutating func null(_ key: StaticString) {
        self.key(key)
        appendStatic("null")
    }

    public mutating func bool(_ key: StaticString, _ value: Bool) {
        self.key(key)
        appendStatic(value ? "true" : "false")
    }

    public mutating func int(_ key: StaticString, _ value: Int) {
        self.key(key)
        if value < 0 {
            bytes.append(UInt8(ascii: "-"))
            writeDecimal(-value, into: &bytes)
        } else {
            writeDecimal(value, into: &bytes)
        }
    }

    public mutating func staticString(_ key: StaticString, _ value: StaticString?) {
        guard let value else { return null(key) }
        self.key(key)
        quotedStatic(value)
    }

    public mutating func quotedStatic(_ value: StaticString) {
        bytes.append(UInt8(ascii: "\""))
        appendStatic(value)
        bytes.append(UInt8(ascii: "\""))
    }

    /// Hex code as `"0x0303"`.
    public mutating func hex(_ key: StaticString, _ value: UInt16?) {
        guard let value else { return null(key) }
        self.key(key)
        quotedHex(value)
    }

    public mutating func quotedHex(_ value: UInt16) {
        let digits: StaticString = "0123456789abcdef"
        bytes.append(UInt8(ascii: "\""))
        bytes.append(UInt8(ascii: "0"))
        bytes.append(UInt8(ascii: "x"))
        for shift in stride(from: 12, through: 0, by: -4) {
            bytes.append(digits.utf8Start[Int((value >> UInt16(shift)) & 0xf)])
        }
        bytes.append(UInt8(ascii: "\""))
    }

    public mutating func version(_ key: StaticString, _ value: TLSVersion?) {
        guard let value else { return null(key) }
        self.key(key)
        quotedVersion(value)
    }

    public mutating func quotedVersion(_ value: TLSVersion) {
        switch value.nameParts {
        case .fixed(let name):
            quotedStatic(name)
        case .numbered(let prefix, let number):
            bytes.append(UInt8(ascii: "\""))
            appendStatic(prefix)
            writeDecimal(number, into: &bytes)
            bytes.append(UInt8(ascii: "\""))
        case .hex(let code):
            quotedHex(code)
        }
    }

    /// A string from raw bytes off the wire: escaped per RFC 8259; bytes that are not
    /// valid UTF-8 become \u00XX escapes of the byte, so the line stays valid JSON.
    public mutating func quotedBytes(count: Int, _ byteAt: (Int) -> UInt8) {
        let digits: StaticString = "0123456789abcdef"
        bytes.append(UInt8(ascii: "\""))
        for index in 0 ..< count {
            let byte = byteAt(index)
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"):
                bytes.append(UInt8(ascii: "\\"))
                bytes.append(byte)
            case 0x20 ..< 0x7f:
                bytes.append(byte)
            default:
                appendStatic("\\u00")
                bytes.append(digits.utf8Start[Int(byte >> 4)])
                bytes.append(digits.utf8Start[Int(byte & 0xf)])
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }

    /// `quotedBytes` over a buffer: runs that need no escape are copied whole.
    public mutating func quotedBytes(_ buffer: UnsafeBufferPointer<UInt8>) {
        bytes.append(UInt8(ascii: "\""))
        var runStart = 0
        for index in 0 ..< buffer.count {
            let byte = buffer[index]
            guard byte < 0x20 || byte >= 0x7f || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") else { continue }
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: buffer[runStart ..< index]))
            escape(byte)
            runStart = index + 1
        }
        bytes.append(contentsOf: UnsafeBufferPointer(rebasing: buffer[runStart ..< buffer.count]))
        bytes.append(UInt8(ascii: "\""))
    }

    private mutating func escape(_ byte: UInt8) {
        let digits: StaticString = "0123456789abcdef"
        if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") {
            bytes.append(UInt8(ascii: "\\"))
            bytes.append(byte)
        } else {
            appendStatic("\\u00")
            bytes.append(digits.utf8Start[Int(byte >> 4)])
            bytes.append(digits.utf8Start[Int(byte & 0xf)])
        }
    }

    public mutating func address(_ key: StaticString, _ value: IPAddress) {
        self.key(key)
        bytes.append(UInt8(ascii: "\""))
        value.write(into: &bytes)
        bytes.append(UInt8(ascii: "\""))
    }

    /// RFC 3339 UTC with microseconds, from nanoseconds since the epoch.
    public mutating func timestamp(_ key: StaticString, nanos: Int64) {
        self.key(key)
        var seconds = nanos / 1_000_000_000
        var fraction = nanos % 1_000_000_000
        if fraction < 0 { fraction += 1_000_000_000; seconds -= 1 }
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
        bytes.append(UInt8(ascii: "\""))
        padded(Int(year), 4); bytes.append(UInt8(ascii: "-"))
        padded(Int(month), 2); bytes.append(UInt8(ascii: "-"))
        padded(Int(day), 2); bytes.append(UInt8(ascii: "T"))
        padded(Int(secondOfDay / 3600), 2); bytes.append(UInt8(ascii: ":"))
        padded(Int(secondOfDay / 60 % 60), 2); bytes.append(UInt8(ascii: ":"))
        padded(Int(secondOfDay % 60), 2); bytes.append(UInt8(ascii: "."))
        padded(Int(fraction / 1000), 6)
        bytes.append(UInt8(ascii: "Z"))
        bytes.append(UInt8(ascii: "\""))
    }

    private mutating func padded(_ value: Int, _ width: Int) {
        var divisor = 1
        for _ in 1 ..< width { divisor *= 10 }
        var rest = max(value, 0)
        if rest >= divisor * 10 { writeDecimal(rest, into: &bytes); return }
        while divisor > 0 {
            bytes.append(UInt8(ascii: "0") + UInt8(rest / divisor))
            rest %= divisor
            divisor /= 10
        }
    }
}
