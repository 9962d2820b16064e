/// Payload text for each format, with each format's escaping. Control characters that a
/// format has no escape for become `?`: relays rewrite them (rsyslog turns them into
/// `#NNN`) and some SIEM parsers split lines on them.
enum SyslogRender {
    /// RFC 5424 §6.3: the SD-ID `helloscope@32473`. 32473 is the private enterprise number
    /// RFC 5612 reserves for documentation; a deployment with its own PEN should use that.
    static let structuredDataID = "helloscope@32473"

    static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 || (0x7f ... 0x9f).contains(scalar.value)
    }

    /// Free text with control characters replaced.
    static func clean(_ text: String) -> String {
        var out = ""
        out.unicodeScalars.reserveCapacity(text.unicodeScalars.count)
        for scalar in text.unicodeScalars { out.unicodeScalars.append(isControl(scalar) ? "?" : scalar) }
        return out
    }

    /// RFC 5424 §6.3.3 PARAM-VALUE: `"`, `\` and `]` are escaped with a backslash.
    static func quoted(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"", "\\", "]": out += "\\" + String(scalar)
            default: out.unicodeScalars.append(isControl(scalar) ? "?" : scalar)
            }
        }
        return out + "\""
    }

    static func structuredData(_ fields: [SyslogField]) -> String {
        var out = "[" + structuredDataID
        for field in fields { out += " \(field.name)=\(quoted(field.value))" }
        return out + "]"
    }

    /// RFC 3164 has no structure: `key="value"` pairs (RFC 5424 quoting) then `msg="…"`.
    static func keyValues(_ content: SyslogContent) -> String {
        var parts = content.fields.map { "\($0.name)=\(quoted($0.value))" }
        parts.append("msg=\(quoted(content.text))")
        return parts.joined(separator: " ")
    }

    /// CEF header field: `\` and `|` are escaped (ArcSight CEF Implementation Standard).
    static func cefHeader(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\\", "|": out += "\\" + String(scalar)
            default: out.unicodeScalars.append(isControl(scalar) ? "?" : scalar)
            }
        }
        return out
    }

    /// CEF extension value: `\` and `=` are escaped, line breaks become `\n` and `\r`.
    static func cefValue(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\\", "=": out += "\\" + String(scalar)
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            default: out.unicodeScalars.append(isControl(scalar) ? "?" : scalar)
            }
        }
        return out
    }

    static func cef(_ content: SyslogContent, version: String) -> String {
        let header = ["CEF:0", "HelloScope", "HelloScope", cefHeader(version), cefHeader(content.signatureID),
                      cefHeader(content.title), String(content.severity.cef)].joined(separator: "|")
        var extensions: [String] = []
        for field in content.fields {
            guard let key = field.cefKey else { continue }
            if let label = field.cefLabel { extensions.append("\(key)Label=\(cefValue(label))") }
            extensions.append("\(key)=\(cefValue(field.cefValue ?? field.value))")
        }
        extensions.append("msg=\(cefValue(content.text))")
        return header + "|" + extensions.joined(separator: " ")
    }

    /// LEEF 2.0 (IBM QRadar): the header names the delimiter (`x09` for a tab); a value
    /// must not contain it, nor a line break, and LEEF has no escape for either.
    static func leef(_ content: SyslogContent, version: String, delimiter: Unicode.Scalar) -> String {
        func headerField(_ text: String) -> String {
            String(String.UnicodeScalarView(text.unicodeScalars.map { $0 == "|" || isControl($0) ? "_" : $0 }))
        }
        func value(_ text: String) -> String {
            String(String.UnicodeScalarView(text.unicodeScalars.map { $0 == delimiter ? " " : (isControl($0) ? "?" : $0) }))
        }
        let delimiterField = delimiter == "\t" ? "x09" : "x" + String(delimiter.value, radix: 16)
        var attributes = ["sev=\(content.severity.cef)"]
        for field in content.fields { attributes.append("\(field.leefKey)=\(value(field.value))") }
        attributes.append("msg=\(value(content.text))")
        return "LEEF:2.0|HelloScope|HelloScope|\(headerField(version))|\(headerField(content.signatureID))|\(delimiterField)|"
            + attributes.joined(separator: String(Character(delimiter)))
    }

    /// RFC 8259 string: `"`, `\` and control characters escaped; other text as UTF-8.
    static func jsonString(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }

    static func json(_ content: SyslogContent) -> String {
        var members = [
            "\"signatureId\":\(jsonString(content.signatureID))",
            "\"severity\":\(content.severity.cef)",
        ]
        for field in content.fields {
            members.append("\(jsonString(field.name)):\(field.isNumber ? field.value : jsonString(field.value))")
        }
        members.append("\"msg\":\(jsonString(content.text))")
        return "{" + members.joined(separator: ",") + "}"
    }
}
