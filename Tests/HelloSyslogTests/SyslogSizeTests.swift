import Foundation
import HelloWire
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
        let alert = Fixtures.alert(endpoint: endpoint, peer: peer, serverName: Fixtures.longHostileSNI)
        let hostname = test.longHostname ? String(repeating: "h", count: 255) : "sensor-1.example.net"
        let options = Fixtures.options(test.format, maximumBytes: test.limit, hostname: hostname, appName: String(repeating: "a", count: 48))
        let bytes = try SyslogEncoder(options: options).encode(.alert(alert), timestampNanos: Fixtures.timestamp)
        #expect(bytes.count <= test.limit)
        let line = try #require(String(validating: bytes, as: UTF8.self), "cut inside a UTF-8 character")
        let fields = try Self.requiredFields(line, test.format)
        #expect(fields.endpoint == IPAddress(endpoint)!.description)
        #expect(fields.version == "TLSv1.0")
        // The SNI is kept whole or dropped, never cut.
        if let serverName = fields.serverName {
            #expect(serverName.count >= 150, "SNI was cut: \(serverName)")
        }
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
        let alert = Fixtures.alert(endpoint: "2001:db8::1", serverName: Fixtures.hostileSNI)
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
