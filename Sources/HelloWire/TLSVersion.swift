/// A protocol version code as it appears on the wire (RFC 8446 §4.1.2, RFC 6101, and the
/// SSLv2 draft's 0x0002). Open registry: every 16-bit code is a value, and unknown ones
/// still print (in hex). Does not decide what was negotiated; see `ServerHello`.
public struct TLSVersion: RawRepresentable, Hashable, Comparable, Sendable {
    public var rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }
    public init(_ rawValue: UInt16) { self.rawValue = rawValue }

    public static let sslv2 = TLSVersion(0x0002)
    public static let sslv3 = TLSVersion(0x0300)
    public static let tls10 = TLSVersion(0x0301)
    public static let tls11 = TLSVersion(0x0302)
    public static let tls12 = TLSVersion(0x0303)
    public static let tls13 = TLSVersion(0x0304)

    /// RFC 8701: 0x?a?a with equal bytes.
    public var isGREASE: Bool { rawValue & 0x0f0f == 0x0a0a && rawValue >> 8 == rawValue & 0xff }

    /// TLS 1.3 drafts (0x7fNN) and the Google (0x7eNN) and Facebook (0xfbNN) experiments.
    public var isTLS13Draft: Bool {
        let high = rawValue >> 8
        return high == 0x7f || high == 0x7e || high == 0xfb
    }

    public var isKnown: Bool {
        switch rawValue {
        case 0x0002, 0x0300 ... 0x0304: return true
        default: return isTLS13Draft
        }
    }

    /// Orders versions by age; drafts of 1.3 sit between TLS 1.2 and TLS 1.3.
    /// Unknown codes rank lowest so they never pass a minimum-version check.
    public var rank: Int {
        switch rawValue {
        case 0x0002: return 1
        case 0x0300 ... 0x0304: return Int(rawValue) << 8
        default: return isTLS13Draft ? 0x0303 << 8 | 0x80 | Int(rawValue & 0x7f) : 0
        }
    }

    public static func < (lhs: TLSVersion, rhs: TLSVersion) -> Bool { lhs.rank < rhs.rank }

    /// The pieces of the display name, so writers can emit it without building a String.
    public enum NameParts: Sendable {
        case fixed(StaticString)
        case numbered(StaticString, Int)   // prefix followed by a decimal number
        case hex(UInt16)                   // "0x" and four hex digits
    }

    public var nameParts: NameParts {
        switch rawValue {
        case 0x0002: return .fixed("SSLv2")
        case 0x0300: return .fixed("SSLv3")
        case 0x0301: return .fixed("TLSv1.0")
        case 0x0302: return .fixed("TLSv1.1")
        case 0x0303: return .fixed("TLSv1.2")
        case 0x0304: return .fixed("TLSv1.3")
        default:
            switch rawValue >> 8 {
            case 0x7f: return .numbered("TLSv1.3-draft", Int(rawValue & 0xff))
            case 0x7e: return .numbered("TLSv1.3-google-exp", Int(rawValue & 0xff))
            case 0xfb: return .numbered("TLSv1.3-fb-draft", Int(rawValue & 0xff))
            default: return .hex(rawValue)
            }
        }
    }

    /// `SSLv2` … `TLSv1.3`, `TLSv1.3-draftNN`, or `0x….` for unknown codes.
    public var name: String {
        switch nameParts {
        case .fixed(let text): return text.description
        case .numbered(let prefix, let number): return prefix.description + String(number)
        case .hex(let code): return hexCode(code)
        }
    }

    /// Parses a name as printed by `name` (case-insensitive), or a hex code like `0x0303`.
    public init?(name: String) {
        let lowered = name.lowercased()
        if lowered.hasPrefix("0x"), let code = UInt16(lowered.dropFirst(2), radix: 16) {
            self.init(code)
            return
        }
        let known: [(String, UInt16)] = [
            ("sslv2", 0x0002), ("sslv3", 0x0300), ("tlsv1.0", 0x0301), ("tlsv1", 0x0301),
            ("tlsv1.1", 0x0302), ("tlsv1.2", 0x0303), ("tlsv1.3", 0x0304),
        ]
        guard let match = known.first(where: { $0.0 == lowered }) else { return nil }
        self.init(match.1)
    }
}

/// `0x` followed by four lower-case hex digits, the form every JSON code field uses.
public func hexCode(_ value: UInt16) -> String {
    let digits = String(value, radix: 16)
    return "0x" + String(repeating: "0", count: 4 - digits.count) + digits
}
