#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The payload formats a SIEM parses: RFC 5424 with structured data, RFC 3164 with
/// key="value" pairs, ArcSight CEF, QRadar LEEF 2.0, and one JSON object per message.
public enum SyslogFormat: String, Sendable, CaseIterable {
    case rfc5424, rfc3164, cef, leef, json

    public init(parsing text: String) throws(SyslogConfigurationError) {
        guard let format = SyslogFormat(rawValue: text.lowercased()) else {
            throw .badValue(option: "--syslog-format", value: text,
                            expected: SyslogFormat.allCases.map(\.rawValue).joined(separator: "|"))
        }
        self = format
    }

    /// CEF and LEEF travel behind a BSD header (what ArcSight and QRadar connectors expect
    /// first); JSON behind an RFC 5424 one.
    public var defaultHeader: SyslogHeaderStyle {
        switch self {
        case .rfc5424, .json: .rfc5424
        case .rfc3164, .cef, .leef: .rfc3164
        }
    }
}

/// The syslog header in front of the payload.
public enum SyslogHeaderStyle: String, Sendable, CaseIterable {
    case rfc5424, rfc3164
}

/// RFC 5424 §6.2.1 facility codes (0 … 23).
public struct SyslogFacility: RawRepresentable, Sendable, Equatable {
    public var rawValue: Int
    public init?(rawValue: Int) {
        guard (0 ... 23).contains(rawValue) else { return nil }
        self.rawValue = rawValue
    }

    static let names = ["kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news", "uucp", "cron",
                        "authpriv", "ftp", "ntp", "security", "console", "solaris-cron",
                        "local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7"]

    public static let user = SyslogFacility(rawValue: 1)!
    public static let local0 = SyslogFacility(rawValue: 16)!
    public static let local4 = SyslogFacility(rawValue: 20)!

    /// A name (`local4`, `daemon` …) or a number 0 … 23.
    public init(parsing text: String) throws(SyslogConfigurationError) {
        let lowered = text.lowercased()
        if let index = Self.names.firstIndex(of: lowered) {
            rawValue = index
        } else if let number = Int(lowered), (0 ... 23).contains(number) {
            rawValue = number
        } else {
            throw .badValue(option: "--syslog-facility", value: text, expected: "local0…local7, user, daemon, … or 0…23")
        }
    }

    public var name: String { Self.names[rawValue] }
}

/// Everything but the event that shapes a message.
public struct SyslogMessageOptions: Sendable {
    public var format: SyslogFormat
    /// Nil: the format's `defaultHeader`.
    public var header: SyslogHeaderStyle?
    public var facility: SyslogFacility
    /// RFC 5424 APP-NAME (≤ 48 printable ASCII), RFC 3164 TAG.
    public var appName: String
    /// RFC 5424 HOSTNAME (≤ 255 printable ASCII); also CEF `dvchost`.
    public var hostname: String
    /// RFC 5424 PROCID, RFC 3164 `[pid]`; nil leaves it out.
    public var processID: String?
    /// Whole message, header included, framing excluded. 1024 is RFC 3164's limit and
    /// what many relays keep over UDP; 480 is RFC 5426's IPv4 floor and must still work.
    public var maximumBytes: Int
    /// Our version in the CEF/LEEF header.
    public var productVersion: String
    /// LEEF 2.0 attribute delimiter (a tab by default; `^` survives relays that escape tabs).
    public var leefDelimiter: Unicode.Scalar

    /// Below this the required fields and header no longer fit an IPv6 alert.
    public static let minimumMaximumBytes = 256
    public static let defaultMaximumBytes = 1024

    public init(format: SyslogFormat, header: SyslogHeaderStyle? = nil, facility: SyslogFacility = .local4,
                appName: String = "helloscope", hostname: String = SyslogMessageOptions.localHostname(),
                processID: String? = nil, maximumBytes: Int = SyslogMessageOptions.defaultMaximumBytes,
                productVersion: String = "0.1.0", leefDelimiter: Unicode.Scalar = "\t") {
        self.format = format
        self.header = header
        self.facility = facility
        self.appName = appName
        self.hostname = hostname
        self.processID = processID
        self.maximumBytes = maximumBytes
        self.productVersion = productVersion
        self.leefDelimiter = leefDelimiter
    }

    public static func localHostname() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return "localhost" }
        let name = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return name.isEmpty ? "localhost" : name
    }

    public var headerStyle: SyslogHeaderStyle { header ?? format.defaultHeader }
}

public enum SyslogConfigurationError: Error, Equatable, CustomStringConvertible {
    case badURL(String, reason: String)
    case badValue(option: String, value: String, expected: String)

    public var description: String {
        switch self {
        case .badURL(let url, let reason):
            "bad --syslog URL '\(url)': \(reason) (expected unix:///dev/log, udp://HOST:PORT, tcp://HOST:PORT or tls://HOST:PORT)"
        case .badValue(let option, let value, let expected):
            "bad \(option) '\(value)': expected \(expected)"
        }
    }
}

/// Turns events into messages that fit `maximumBytes`. When a message is too long it
/// gives up, in order: optional fields by `DropRank` (SNI first), then the tail of the
/// sentence, then the tail of the hostname, then required fields. Values are cut before
/// they are escaped, at `Character` boundaries, so an escape or a UTF-8 sequence is never
/// split and the message stays valid in its format. Pure: no clock, no I/O.
public struct SyslogEncoder: Sendable {
    public let options: SyslogMessageOptions

    public init(options: SyslogMessageOptions) throws(SyslogConfigurationError) {
        guard options.maximumBytes >= SyslogMessageOptions.minimumMaximumBytes else {
            throw .badValue(option: "--syslog-max-size", value: String(options.maximumBytes),
                            expected: "at least \(SyslogMessageOptions.minimumMaximumBytes) bytes")
        }
        self.options = options
    }

    /// `timestampNanos`: when the message is made (wall clock, Unix epoch).
    public func encode(_ event: SyslogEvent, timestampNanos: Int64) -> [UInt8] {
        var header = SyslogHeaderParts(options: options, timestampNanos: timestampNanos)
        var content = SyslogContent(event, hostname: header.hostname)
        let limit = options.maximumBytes
        var bytes = render(content, header)
        if bytes.count <= limit { return bytes }

        for rank in Set(content.fields.map(\.dropRank)).sorted() where rank < SyslogField.required {
            content.fields.removeAll { $0.dropRank == rank }
            bytes = render(content, header)
            if bytes.count <= limit { return bytes }
        }
        let fullText = Array(content.text)
        if let fitted = longestFitting(fullText.count, { count in
            content.text = String(fullText.prefix(count))
            return render(content, header)
        }) { return fitted }
        content.text = ""
        let fullHost = Array(header.hostname)
        if let fitted = longestFitting(fullHost.count, { count in
            header.hostname = count == 0 ? "-" : String(fullHost.prefix(count))
            return render(content, header)
        }) { return fitted }
        header.hostname = "-"
        for rank in Set(content.fields.map(\.dropRank)).sorted() {
            content.fields.removeAll { $0.dropRank == rank }
            bytes = render(content, header)
            if bytes.count <= limit { return bytes }
        }
        return bytes   // unreachable above `minimumMaximumBytes`: header and event name only
    }

    /// Binary search for the longest prefix (0 … full) whose rendering fits.
    private func longestFitting(_ full: Int, _ render: (Int) -> [UInt8]) -> [UInt8]? {
        var low = 0, high = full
        var best: [UInt8]?
        while low <= high {
            let middle = (low + high) / 2
            let bytes = render(middle)
            if bytes.count <= options.maximumBytes {
                best = bytes
                low = middle + 1
            } else {
                high = middle - 1
            }
        }
        return best
    }

    func render(_ content: SyslogContent, _ header: SyslogHeaderParts) -> [UInt8] {
        let payload: String
        var structuredData = "-"
        switch options.format {
        case .rfc5424, .rfc3164:
            if options.headerStyle == .rfc5424 {
                structuredData = SyslogRender.structuredData(content.fields)
                payload = SyslogRender.clean(content.text)
            } else {
                payload = SyslogRender.keyValues(content)
            }
        case .cef: payload = SyslogRender.cef(content, version: options.productVersion)
        case .leef: payload = SyslogRender.leef(content, version: options.productVersion, delimiter: options.leefDelimiter)
        case .json: payload = SyslogRender.json(content)
        }
        let priority = options.facility.rawValue * 8 + content.severity.syslog
        var line: String
        switch options.headerStyle {
        case .rfc5424:
            line = "<\(priority)>1 \(rfc3339(header.timestampNanos)) \(header.hostname) \(header.appName) \(header.processID ?? "-") \(content.messageID) \(structuredData)"
            if !payload.isEmpty { line += " " + payload }
        case .rfc3164:
            let tag = header.processID.map { "\(header.tag)[\($0)]" } ?? header.tag
            line = "<\(priority)>\(rfc3164Time(header.timestampNanos)) \(header.hostname) \(tag): \(payload)"
        }
        return Array(line.utf8)
    }
}

/// Header fields, made legal once: RFC 5424 §6 allows PRINTUSASCII only, with lengths.
struct SyslogHeaderParts {
    var timestampNanos: Int64
    var hostname: String
    var appName: String
    var tag: String
    var processID: String?

    init(options: SyslogMessageOptions, timestampNanos: Int64) {
        self.timestampNanos = timestampNanos
        hostname = Self.printable(options.hostname, maximum: 255)
        appName = Self.printable(options.appName, maximum: 48)
        // RFC 3164 §5.3: the TAG is alphanumeric, at most 32 characters.
        let tagScalars = options.appName.unicodeScalars.filter { $0.isASCII && ($0.properties.isAlphabetic || ("0" ... "9").contains($0) || $0 == "-" || $0 == "_" || $0 == ".") }
        let tag = String(String.UnicodeScalarView(tagScalars.prefix(32)))
        self.tag = tag.isEmpty ? "helloscope" : tag
        processID = options.processID.map { Self.printable($0, maximum: 128) }
    }

    /// PRINTUSASCII (33 … 126), `_` for anything else, `-` (NILVALUE) when empty.
    static func printable(_ text: String, maximum: Int) -> String {
        let scalars = text.unicodeScalars.prefix(maximum).map { $0.value >= 33 && $0.value <= 126 ? Character($0) : "_" }
        return scalars.isEmpty ? "-" : String(scalars)
    }
}
