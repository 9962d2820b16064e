/// Text made safe for HTML element content and double- or single-quoted attribute values.
/// Everything from the JSON goes through here: an SNI is whatever a client sent.
/// Control characters (a NUL decoded from `\u0000`) are shown as `\u00XX`, as the JSON had them.
func escapeHTML(_ text: String) -> String {
    var out = ""
    out.reserveCapacity(text.utf8.count)
    for scalar in text.unicodeScalars {
        switch scalar {
        case "&": out += "&amp;"
        case "<": out += "&lt;"
        case ">": out += "&gt;"
        case "\"": out += "&quot;"
        case "'": out += "&#39;"
        case "\t", "\n": out.unicodeScalars.append(scalar)
        case _ where scalar.value < 0x20 || (0x7f ..< 0xa0).contains(scalar.value):
            let hex = String(scalar.value, radix: 16, uppercase: true)
            out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
        default: out.unicodeScalars.append(scalar)
        }
    }
    return out
}

/// "57.1%": one decimal, rounded down so 99.96% never reads as 100%.
func percent(_ part: Int, of whole: Int) -> String {
    guard whole > 0 else { return "–" }
    let tenths = part * 1000 / whole
    return tenths % 10 == 0 ? "\(tenths / 10)%" : "\(tenths / 10).\(tenths % 10)%"
}
