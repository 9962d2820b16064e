import Foundation

/// Strict, independent parsers for what the encoder writes (and what rsyslog writes back):
/// written from the RFCs and the CEF/LEEF guides, not from the encoder's code. Shared by
/// HelloSyslogTests and EndToEndTests.
public struct ParseError: Error, CustomStringConvertible {
    public var description: String
    public init(_ text: String) { description = text }
}

/// RFC 5424 §6 message.
public struct RFC5424Message {
    public var priority: Int
    public var version: Int
    public var timestamp: String
    public var hostname: String
    public var appName: String
    public var processID: String
    public var messageID: String
    public var structuredData: [(id: String, params: [(name: String, value: String)])]
    public var message: String

    public func param(_ name: String, in id: String = "helloscope@32473") -> String? {
        structuredData.first { $0.id == id }?.params.first { $0.name == name }?.value
    }

    public init(parsing text: String) throws {
        let chars = Array(text.unicodeScalars)
        var index = 0
        func expect(_ scalar: Unicode.Scalar) throws {
            guard index < chars.count, chars[index] == scalar else { throw ParseError("expected '\(scalar)' at \(index) in \(text)") }
            index += 1
        }
        func token(_ what: String, maximum: Int) throws -> String {
            let start = index
            while index < chars.count, chars[index] != " " {
                guard chars[index].value >= 33 && chars[index].value <= 126 else { throw ParseError("non-printable \(what)") }
                index += 1
            }
            guard index > start, index - start <= maximum else { throw ParseError("bad \(what) length in \(text)") }
            return String(String.UnicodeScalarView(chars[start ..< index]))
        }
        try expect("<")
        let pri = try token("PRI", maximum: 200)
        guard let close = pri.firstIndex(of: ">"), let value = Int(pri[..<close]), (0 ... 191).contains(value) else {
            throw ParseError("bad PRI in \(text)")
        }
        priority = value
        guard let parsedVersion = Int(pri[pri.index(after: close)...]), parsedVersion >= 1 else { throw ParseError("bad VERSION") }
        version = parsedVersion
        try expect(" ")
        timestamp = try token("TIMESTAMP", maximum: 40)
        try expect(" ")
        hostname = try token("HOSTNAME", maximum: 255)
        try expect(" ")
        appName = try token("APP-NAME", maximum: 48)
        try expect(" ")
        processID = try token("PROCID", maximum: 128)
        try expect(" ")
        messageID = try token("MSGID", maximum: 32)
        try expect(" ")
        structuredData = []
        if index < chars.count, chars[index] == "-" {
            index += 1
        } else {
            while index < chars.count, chars[index] == "[" {
                index += 1
                let start = index
                while index < chars.count, chars[index] != " ", chars[index] != "]" { index += 1 }
                let id = String(String.UnicodeScalarView(chars[start ..< index]))
                guard !id.isEmpty, id.count <= 32, !id.contains("="), !id.contains("\"") else { throw ParseError("bad SD-ID") }
                var params: [(String, String)] = []
                while index < chars.count, chars[index] == " " {
                    index += 1
                    let nameStart = index
                    while index < chars.count, chars[index] != "=" {
                        guard chars[index].value >= 33 && chars[index].value <= 126, chars[index] != "]", chars[index] != "\"", chars[index] != " " else {
                            throw ParseError("bad PARAM-NAME in \(text)")
                        }
                        index += 1
                    }
                    let name = String(String.UnicodeScalarView(chars[nameStart ..< index]))
                    guard !name.isEmpty, name.count <= 32 else { throw ParseError("bad PARAM-NAME length") }
                    try expect("=")
                    try expect("\"")
                    var value = String.UnicodeScalarView()
                    while true {
                        guard index < chars.count else { throw ParseError("unterminated PARAM-VALUE in \(text)") }
                        let scalar = chars[index]
                        index += 1
                        if scalar == "\"" { break }
                        if scalar == "]" { throw ParseError("unescaped ] in PARAM-VALUE") }
                        if scalar == "\\" {
                            guard index < chars.count, ["\"", "\\", "]"].contains(chars[index]) else {
                                throw ParseError("stray backslash in PARAM-VALUE")
                            }
                            value.append(chars[index])
                            index += 1
                        } else {
                            value.append(scalar)
                        }
                    }
                    params.append((name, String(value)))
                }
                try expect("]")
                structuredData.append((id, params))
            }
            guard !structuredData.isEmpty else { throw ParseError("no STRUCTURED-DATA in \(text)") }
        }
        if index < chars.count {
            try expect(" ")
            message = String(String.UnicodeScalarView(chars[index...]))
        } else {
            message = ""
        }
    }
}

/// RFC 3164 §4.1 as we write it: `<PRI>Mmm dd hh:mm:ss HOST TAG[PID]: CONTENT`.
public struct RFC3164Message {
    public var priority: Int
    public var timestamp: String
    public var hostname: String
    public var tag: String
    public var content: String

    public init(parsing text: String) throws {
        guard text.hasPrefix("<"), let close = text.firstIndex(of: ">"), let pri = Int(text[text.index(after: text.startIndex) ..< close]),
              (0 ... 191).contains(pri) else { throw ParseError("bad PRI in \(text)") }
        priority = pri
        let rest = text[text.index(after: close)...]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        guard rest.count > 16, months.contains(String(rest.prefix(3))) else { throw ParseError("bad TIMESTAMP in \(text)") }
        timestamp = String(rest.prefix(15))
        let time = Array(timestamp)
        guard time[3] == " ", time[4] == " " || time[4].isNumber, time[5].isNumber, time[6] == " ", time[9] == ":", time[12] == ":" else {
            throw ParseError("bad TIMESTAMP '\(timestamp)'")
        }
        var after = rest.dropFirst(15)
        guard after.first == " " else { throw ParseError("no space after TIMESTAMP") }
        after = after.dropFirst()
        guard let space = after.firstIndex(of: " ") else { throw ParseError("no HOSTNAME") }
        hostname = String(after[..<space])
        after = after[after.index(after: space)...]
        guard let colon = after.range(of: ": ") else { throw ParseError("no TAG in \(text)") }
        tag = String(after[..<colon.lowerBound])
        let tagName = tag.split(separator: "[").first.map(String.init) ?? ""
        guard !tagName.isEmpty, tagName.count <= 32 else { throw ParseError("bad TAG '\(tag)'") }
        content = String(after[colon.upperBound...])
    }
}

/// `key="value" key2="value2"`, RFC 5424 quoting, single spaces.
public func parseKeyValues(_ text: String) throws -> [(String, String)] {
    let chars = Array(text.unicodeScalars)
    var index = 0
    var pairs: [(String, String)] = []
    while index < chars.count {
        if !pairs.isEmpty {
            guard chars[index] == " " else { throw ParseError("expected a space between pairs in \(text)") }
            index += 1
        }
        let start = index
        while index < chars.count, chars[index] != "=" {
            guard chars[index].properties.isAlphabetic || ("0" ... "9").contains(chars[index]) else { throw ParseError("bad key in \(text)") }
            index += 1
        }
        let key = String(String.UnicodeScalarView(chars[start ..< index]))
        guard !key.isEmpty, index + 1 < chars.count, chars[index + 1] == "\"" else { throw ParseError("bad pair in \(text)") }
        index += 2
        var value = String.UnicodeScalarView()
        while true {
            guard index < chars.count else { throw ParseError("unterminated value in \(text)") }
            let scalar = chars[index]
            index += 1
            if scalar == "\"" { break }
            if scalar.value < 0x20 { throw ParseError("control character in value") }
            if scalar == "\\" {
                guard index < chars.count, ["\"", "\\", "]"].contains(chars[index]) else { throw ParseError("stray backslash") }
                value.append(chars[index])
                index += 1
            } else {
                value.append(scalar)
            }
        }
        pairs.append((key, String(value)))
    }
    return pairs
}

/// ArcSight CEF: 7 header fields (`\|`, `\\` escapes) and `key=value` extensions
/// (`\=`, `\\`, `\n`, `\r` escapes; a value ends where the next ` key=` begins).
public struct CEFMessage {
    public var header: [String]
    public var extensions: [String: String]
    public var keyOrder: [String]

    public init(parsing text: String) throws {
        guard let start = text.range(of: "CEF:") else { throw ParseError("no CEF: in \(text)") }
        let chars = Array(text[start.lowerBound...].unicodeScalars)
        guard !chars.contains(where: { $0 == "\n" || $0 == "\r" }) else { throw ParseError("raw line break") }
        var fields: [String] = []
        var current = String.UnicodeScalarView()
        var index = 0
        while fields.count < 7 {
            guard index < chars.count else { throw ParseError("CEF header has \(fields.count) fields: \(text)") }
            let scalar = chars[index]
            index += 1
            if scalar == "\\" {
                guard index < chars.count, chars[index] == "|" || chars[index] == "\\" else { throw ParseError("bad header escape") }
                current.append(chars[index])
                index += 1
            } else if scalar == "|" {
                fields.append(String(current))
                current = String.UnicodeScalarView()
            } else {
                current.append(scalar)
            }
        }
        header = fields
        guard header[0] == "CEF:0" else { throw ParseError("bad CEF version \(header[0])") }
        guard let severity = Int(header[6]), (0 ... 10).contains(severity) else { throw ParseError("bad severity") }
        let ext = Array(chars[index...])
        // Unescaped `=` positions are key separators.
        var separators: [Int] = []
        var position = 0
        while position < ext.count {
            if ext[position] == "\\" {
                guard position + 1 < ext.count, ["\\", "=", "n", "r"].contains(ext[position + 1]) else {
                    throw ParseError("bad extension escape in \(text)")
                }
                position += 2
                continue
            }
            if ext[position] == "=" { separators.append(position) }
            position += 1
        }
        var keys: [(key: String, keyStart: Int, valueStart: Int)] = []
        for separator in separators {
            var keyStart = separator
            while keyStart > 0, ext[keyStart - 1] != " " { keyStart -= 1 }
            let key = String(String.UnicodeScalarView(ext[keyStart ..< separator]))
            guard !key.isEmpty, key.unicodeScalars.allSatisfy({ $0.isASCII && ($0.properties.isAlphabetic || ("0" ... "9").contains($0)) }) else {
                throw ParseError("bad extension key '\(key)' in \(text)")
            }
            guard keys.isEmpty ? keyStart == 0 : keyStart > keys.last!.valueStart else { throw ParseError("text before first key") }
            keys.append((key, keyStart, separator + 1))
        }
        extensions = [:]
        keyOrder = []
        for (offset, entry) in keys.enumerated() {
            let end = offset + 1 < keys.count ? keys[offset + 1].keyStart - 1 : ext.count
            var value = String.UnicodeScalarView()
            var cursor = entry.valueStart
            while cursor < end {
                if ext[cursor] == "\\" {
                    switch ext[cursor + 1] {
                    case "n": value.append("\n")
                    case "r": value.append("\r")
                    default: value.append(ext[cursor + 1])
                    }
                    cursor += 2
                } else {
                    value.append(ext[cursor])
                    cursor += 1
                }
            }
            guard extensions[entry.key] == nil else { throw ParseError("duplicate key \(entry.key)") }
            extensions[entry.key] = String(value)
            keyOrder.append(entry.key)
        }
    }

    /// The value of a custom field whose label is `label` (`cs1Label=serverName cs1=…`):
    /// `cs1`…`cs6`, `cn1`…`cn3`, `flexString1`, `flexString2`.
    public func labeled(_ label: String) -> String? {
        let keys = (1 ... 6).map { "cs\($0)" } + (1 ... 3).map { "cn\($0)" } + ["flexString1", "flexString2"]
        for key in keys where extensions[key + "Label"] == label { return extensions[key] }
        return nil
    }

    /// Every label used once only: two custom fields with one label would be ambiguous.
    public var labelsAreUnique: Bool {
        let labels = extensions.filter { $0.key.hasSuffix("Label") }.map(\.value)
        return Set(labels).count == labels.count
    }
}

/// LEEF 2.0: `LEEF:2.0|Vendor|Product|Version|EventID|Delimiter|k=v<delim>k=v`.
public struct LEEFMessage {
    public var header: [String]
    public var attributes: [String: String]

    public init(parsing text: String) throws {
        guard let start = text.range(of: "LEEF:") else { throw ParseError("no LEEF: in \(text)") }
        let body = String(text[start.lowerBound...])
        guard !body.contains("\n"), !body.contains("\r") else { throw ParseError("raw line break") }
        let parts = body.split(separator: "|", maxSplits: 6, omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 7, parts[0] == "LEEF:2.0" else { throw ParseError("bad LEEF header in \(text)") }
        header = Array(parts[0 ..< 6])
        let delimiterField = parts[5]
        let delimiter: Character
        if delimiterField.hasPrefix("x") || delimiterField.hasPrefix("0x"), let code = UInt32(delimiterField.split(separator: "x").last!, radix: 16),
           let scalar = Unicode.Scalar(code) {
            delimiter = Character(scalar)
        } else if delimiterField.count == 1 {
            delimiter = delimiterField.first!
        } else {
            throw ParseError("bad LEEF delimiter '\(delimiterField)'")
        }
        attributes = [:]
        for attribute in parts[6].split(separator: delimiter, omittingEmptySubsequences: false) {
            guard let equals = attribute.firstIndex(of: "=") else { throw ParseError("attribute without '=': \(attribute)") }
            let key = String(attribute[..<equals])
            guard !key.isEmpty, key.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) }) else { throw ParseError("bad LEEF key '\(key)'") }
            guard attributes[key] == nil else { throw ParseError("duplicate LEEF key \(key)") }
            attributes[key] = String(attribute[attribute.index(after: equals)...])
        }
    }
}

public func parseJSONObject(_ text: String) throws -> [String: Any] {
    guard let start = text.firstIndex(of: "{") else { throw ParseError("no JSON object in \(text)") }
    let object = try JSONSerialization.jsonObject(with: Data(text[start...].utf8))
    guard let dictionary = object as? [String: Any] else { throw ParseError("JSON is not an object") }
    return dictionary
}
