import Foundation
import HelloWire
import SyslogTestSupport
import Testing
@testable import HelloSyslog

/// Relays cut syslog lines at 2 KiB, 1024 and 480 bytes (shared/DOMAIN.md): every message
/// must fit the limit whole and still parse.
@Suite struct SyslogSizeTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var format: SyslogFormat
        var limit: Int
        var ipv6: Bool
        var longHostname: Bool
        var testDescription: String { "\(format) \(limit) \(ipv6 ? "v6" : "v4")\(longHostname ? " long-host" : "")" }
    }

    static let cases: [Case] = SyslogFormat.allCases.flatMap { format in
        [480, 1024, 2048].flatMap { limit in
            [false, true].flatMap { ipv6 in [false, true].map { Case(format: format, limit: limit, ipv6: ipv6, longHostname: $0) } }
        }
    }

    /// Parses a message of any format; returns the fields that must survive any cut.
    static func requiredFields(_ line: String, _ format: SyslogFormat) throws -> (endpoint: String?, version: String?, serverName: String?) {
        switch format {
        case .rfc5424:
            let message = try RFC5424Message(parsing: line)
            return (message.param("endpoint"), message.param("tlsVersion"), message.param("serverName"))
        case .rfc3164:
            let pairs = Dictionary(try parseKeyValues(RFC3164Message(parsing: line).content), uniquingKeysWith: { first, _ in first })
            return (pairs["endpoint"], pairs["tlsVersion"], pairs["serverName"])
        case .cef:
            _ = try RFC3164Message(parsing: line)
            let cef = try CEFMessage(parsing: line)
            return (cef.extensions["dst"], cef.extensions["app"], cef.labeled("serverName"))
        case .leef:
            _ = try RFC3164Message(parsing: line)
            let leef = try LEEFMessage(parsing: line)
            return (leef.attributes["dst"], leef.attributes["tlsVersion"], leef.attributes["serverName"])
        case .json:
            let object = try parseJSONObject(RFC5424Message(parsing: line).message)
            return (object["endpoint"] as? String, object["tlsVersion"] as? String, object["serverName"] as? String)
        }
    }

    @Test(arguments: cases)
    func hostileAlertFitsAndParses(_ test: Case) throws {
        let endpoint = test.ipv6 ? "2001:db8:ffff:eeee:dddd:cccc:bbbb:aaaa" : "192.0.2.10"
        let peer = test.ipv6 ? "2001:db8:1111:2222:3333:4444:5555:6666" : "198.51.100.7"
        let longLabel = String(repeating: Fixtures.hostileLabel, count: 6)
        let alert = Fixtures.alert(endpoint: endpoint, peer: peer, serverName: Fixtures.longHostileSNI,
                                   fingerprints: AlertFingerprints(ja3: Fixtures.ja3, ja4: Fixtures.ja4, ja3s: Fixtures.ja3s, label: longLabel))
        let hostname = test.longHostname ? String(repeating: "h", count: 255) : "sensor-1.example.net"
        let options = Fixtures.options(test.format, maximumBytes: test.limit, hostname: hostname, appName: String(repeating: "a", count: 48))
        let bytes = try SyslogEncoder(options: options).encode(.alert(alert), timestampNanos: Fixtures.timestamp)
        #expect(bytes.count <= test.limit)
        let line = try #require(String(validating: bytes, as: UTF8.self), "cut inside a UTF-8 character")
        let fields = try Self.requiredFields(line, test.format)
        #expect(fields.endpoint == IPAddress(endpoint)!.description)
        #expect(fields.version == "TLSv1.0")
        // The SNI is kept whole or dropped, never cut; so are the fingerprints and the label.
        if let serverName = fields.serverName {
            #expect(serverName.count >= 150, "SNI was cut: \(serverName)")
        }
        let prints = try Self.fingerprints(line, test.format)
        if let ja3 = prints.ja3 { #expect(ja3 == Fixtures.ja3) }
        if let ja4 = prints.ja4 { #expect(ja4 == Fixtures.ja4) }
        if let ja3s = prints.ja3s { #expect(ja3s == Fixtures.ja3s) }
        if let label = prints.label { #expect(label.count == longLabel.count, "label was cut: \(label)") }
        // At 2048 bytes everything fits.
        if test.limit == 2048 && !test.longHostname {
            #expect(prints == AlertFingerprints(ja3: Fixtures.ja3, ja4: Fixtures.ja4, ja3s: Fixtures.ja3s, label: prints.label))
            #expect(prints.label != nil)
        }
    }

    /// The fingerprint fields of a message of any format (nil where absent).
    static func fingerprints(_ line: String, _ format: SyslogFormat) throws -> AlertFingerprints {
        let value: (String) -> String?
        switch format {
        case .rfc5424:
            let message = try RFC5424Message(parsing: line)
            value = { message.param($0) }
        case .rfc3164:
            let pairs = Dictionary(try parseKeyValues(RFC3164Message(parsing: line).content), uniquingKeysWith: { first, _ in first })
            value = { pairs[$0] }
        case .cef:
            let cef = try CEFMessage(parsing: line)
            value = { cef.labeled($0) }
        case .leef:
            let leef = try LEEFMessage(parsing: line)
            value = { leef.attributes[$0] }
        case .json:
            let object = try parseJSONObject(RFC5424Message(parsing: line).message)
            value = { object[$0] as? String }
        }
        return AlertFingerprints(ja3: value("ja3"), ja4: value("ja4"), ja3s: value("ja3s"), label: value("fingerprintLabel"))
    }

    /// The optional fields go in a fixed order: SNI, label, JA3S, JA3, JA4, then the peer.
    /// With room for exactly the alert without the first k of them, the encoder gives
    /// exactly that alert's message, byte for byte.
    @Test(arguments: SyslogFormat.allCases)
    func optionalFieldsGoInOrder(format: SyslogFormat) throws {
        let full = Fixtures.alert(serverName: Fixtures.hostileSNI, fingerprints: Fixtures.fingerprints)
        var stripped = full
        let steps: [(inout EarlyTLSAlert) -> Void] = [
            { $0.serverName = nil }, { $0.fingerprints.label = nil }, { $0.fingerprints.ja3s = nil },
            { $0.fingerprints.ja3 = nil }, { $0.fingerprints.ja4 = nil },
        ]
        let roomy = try SyslogEncoder(options: Fixtures.options(format, maximumBytes: 4096))
        for (index, step) in steps.enumerated() {
            step(&stripped)
            let expected = roomy.encode(.alert(stripped), timestampNanos: Fixtures.timestamp)
            let tight = try SyslogEncoder(options: Fixtures.options(format, maximumBytes: expected.count))
            let line = tight.encode(.alert(full), timestampNanos: Fixtures.timestamp)
            #expect(line == expected, "step \(index): \(String(decoding: line, as: UTF8.self))")
        }
        // One byte less than the alert without any fingerprint: the peer goes next.
        let bare = roomy.encode(.alert(stripped), timestampNanos: Fixtures.timestamp)
        let tighter = try SyslogEncoder(options: Fixtures.options(format, maximumBytes: bare.count - 1))
        let line = try #require(String(validating: tighter.encode(.alert(full), timestampNanos: Fixtures.timestamp), as: UTF8.self))
        #expect(!line.contains("198.51.100.7"))
        #expect(try Self.requiredFields(line, format).endpoint == "192.0.2.10")
    }

    /// A weak-cipher alert fits too, with its required fields (cipher, finding) kept.
    @Test(arguments: SyslogFormat.allCases)
    func weakCipherAlertFits480(format: SyslogFormat) throws {
        let alert = Fixtures.weakCipherAlert(endpoint: "2001:db8:ffff:eeee:dddd:cccc:bbbb:aaaa", serverName: Fixtures.longHostileSNI,
                                             fingerprints: Fixtures.fingerprints)
        let options = Fixtures.options(format, maximumBytes: 480, hostname: String(repeating: "h", count: 255))
        let bytes = try SyslogEncoder(options: options).encode(.weakCipher(alert), timestampNanos: Fixtures.timestamp)
        #expect(bytes.count <= 480)
        let line = try #require(String(validating: bytes, as: UTF8.self))
        #expect(line.contains("TLS_RSA_WITH_RC4_128_SHA"))
        #expect(line.contains("rc4"))
        #expect(line.contains("2001:db8:ffff:eeee:dddd:cccc:bbbb:aaaa"))
        _ = try Self.fingerprints(line, format)   // parses
    }

    @Test(arguments: SyslogFormat.allCases)
    func smallMessagesAreLeftAlone(format: SyslogFormat) throws {
        let encoder = try SyslogEncoder(options: Fixtures.options(format, maximumBytes: 2048))
        let full = encoder.encode(.alert(Fixtures.alert()), timestampNanos: Fixtures.timestamp)
        let tight = try SyslogEncoder(options: Fixtures.options(format, maximumBytes: full.count))
            .encode(.alert(Fixtures.alert()), timestampNanos: Fixtures.timestamp)
        #expect(tight == full)
    }

    /// The SNI goes first: with just enough room for everything but the SNI, the peer stays.
    @Test(arguments: SyslogFormat.allCases)
    func serverNameIsDroppedFirst(format: SyslogFormat) throws {
        let without = try SyslogEncoder(options: Fixtures.options(format, maximumBytes: 4096))
            .encode(.alert(Fixtures.alert(serverName: nil)), timestampNanos: Fixtures.timestamp)
        let line = try #require(String(validating: try SyslogEncoder(options: Fixtures.options(format, maximumBytes: without.count))
            .encode(.alert(Fixtures.alert(serverName: Fixtures.longHostileSNI)), timestampNanos: Fixtures.timestamp), as: UTF8.self))
        #expect(line.utf8.count == without.count)
        #expect(line.contains("198.51.100.7"))
        #expect(try Self.requiredFields(line, format).serverName == nil)
    }

    /// Cutting the sentence at every limit from full size down never splits an escape or a
    /// character: each result parses.
    @Test(arguments: SyslogFormat.allCases)
    func everyLimitParses(format: SyslogFormat) throws {
        let alert = Fixtures.alert(endpoint: "2001:db8::1", serverName: Fixtures.hostileSNI, fingerprints: Fixtures.fingerprints)
        let hostname = "h\u{e9}st-" + String(repeating: "x", count: 200)
        for limit in stride(from: 700, through: 256, by: -7) {
            let options = Fixtures.options(format, maximumBytes: limit, hostname: hostname)
            let bytes = try SyslogEncoder(options: options).encode(.alert(alert), timestampNanos: Fixtures.timestamp)
            #expect(bytes.count <= limit)
            let line = try #require(String(validating: bytes, as: UTF8.self))
            _ = try Self.requiredFields(line, format)
        }
    }
}
