import Foundation
import HelloFingerprint
import HelloFlows
import HelloWire
import SyslogTestSupport
import Testing
@testable import HelloSyslog

@Suite struct SyslogFormatTests {
    let hostile = Fixtures.alert(serverName: Fixtures.hostileSNI)

    @Test func rfc5424HasHeaderAndStructuredData() throws {
        let line = try Fixtures.encode(.alert(hostile), Fixtures.options(.rfc5424))
        let message = try RFC5424Message(parsing: line)
        #expect(message.priority == 20 * 8 + 3)            // local4, error (TLS 1.0)
        #expect(message.version == 1)
        #expect(message.timestamp == "2023-11-14T22:15:00.123Z")
        #expect(message.hostname == "sensor-1")
        #expect(message.appName == "helloscope")
        #expect(message.processID == "-")
        #expect(message.messageID == "EARLY_TLS_FIRST")
        #expect(message.structuredData.map(\.id) == ["helloscope@32473"])
        #expect(message.param("endpoint") == "192.0.2.10")
        #expect(message.param("endpointPort") == "4120")
        #expect(message.param("side") == "server")
        #expect(message.param("tlsVersion") == "TLSv1.0")
        #expect(message.param("tlsVersionCode") == "0x0301")
        #expect(message.param("peer") == "198.51.100.7")
        #expect(message.param("endpointRole") == "manager")
        #expect(message.param("serviceRole") == "manager_heartbeat")
        #expect(message.param("verdict") == "early_tls_negotiated")
        #expect(message.param("count") == "1")
        #expect(message.param("firstSeen") == "2023-11-14T22:13:20.000Z")
        for name in ["ja3", "ja4", "ja3s", "fingerprintLabel"] { #expect(message.param(name) == nil, "\(name) without fingerprints") }
        // `"` `\` `]` escaped and back; control characters replaced.
        #expect(message.param("serverName") == "evil|x=y\\z\"q]w?TAB?NL?CR e\u{301}ü漢😀")
        #expect(message.message == "TLSv1.0 negotiated by server 192.0.2.10 (manager): fix the server's settings")
        #expect(line.contains(#"q\]w"#) && line.contains(#"z\"q"#))
    }

    @Test func rfc3164HasBSDHeaderAndQuotedPairs() throws {
        var options = Fixtures.options(.rfc3164)
        options.processID = "4242"
        let line = try Fixtures.encode(.alert(Fixtures.alert(version: .sslv3, side: .client, serverName: Fixtures.hostileSNI)), options)
        let message = try RFC3164Message(parsing: line)
        #expect(message.priority == 20 * 8 + 2)            // SSLv3: critical
        #expect(message.timestamp == "Nov 14 22:15:00")
        #expect(message.hostname == "sensor-1")
        #expect(message.tag == "helloscope[4242]")
        let pairs = Dictionary(try parseKeyValues(message.content), uniquingKeysWith: { first, _ in first })
        #expect(pairs["event"] == "early_tls_first_seen")
        #expect(pairs["endpoint"] == "192.0.2.10")
        #expect(pairs["side"] == "client")
        #expect(pairs["tlsVersion"] == "SSLv3")
        #expect(pairs["serverName"] == "evil|x=y\\z\"q]w?TAB?NL?CR e\u{301}ü漢😀")
        #expect(pairs["msg"]?.hasPrefix("SSLv3 negotiated by client") == true)
    }

    @Test func cefHeaderExtensionsAndEscaping() throws {
        var options = Fixtures.options(.cef)
        options.productVersion = "1.0|beta\\2"
        let line = try Fixtures.encode(.alert(hostile), options)
        let bsd = try RFC3164Message(parsing: line)
        #expect(bsd.content.hasPrefix("CEF:0|HelloScope|HelloScope|"))
        let cef = try CEFMessage(parsing: line)
        #expect(cef.header == ["CEF:0", "HelloScope", "HelloScope", "1.0|beta\\2", "1001", "Early TLS endpoint first seen", "8"])
        #expect(line.contains(#"1.0\|beta\\2"#))
        // The server is to blame: it is the destination, the client the source.
        #expect(cef.extensions["dst"] == "192.0.2.10")
        #expect(cef.extensions["dpt"] == "4120")
        #expect(cef.extensions["src"] == "198.51.100.7")
        #expect(cef.extensions["spt"] == "50123")
        #expect(cef.extensions["app"] == "TLSv1.0")
        #expect(cef.extensions["dvchost"] == "sensor-1")
        #expect(cef.extensions["cat"] == "early_tls_first_seen")
        #expect(cef.extensions["start"] == "1700000000000")
        #expect(cef.extensions["reason"] == "early_tls_negotiated")
        #expect(cef.extensions["destinationServiceName"] == "manager_heartbeat")
        #expect(cef.labeled("blame") == "server")
        #expect(cef.labeled("count") == "1")
        #expect(cef.labeled("endpointRole") == "manager")
        #expect(cef.labeled("tlsVersionCode") == "0x0301")
        #expect(cef.labelsAreUnique)
        #expect(cef.labeled("ja3") == nil && cef.extensions["cs3"] == nil)
        // `=` and `\` escaped, line breaks as \n and \r; a tab has no CEF escape.
        #expect(cef.labeled("serverName") == "evil|x=y\\z\"q]w?TAB\nNL\rCR e\u{301}ü漢😀")
        #expect(line.contains(#"evil|x\=y\\z"#))
        #expect(!line.contains("\n") && !line.contains("\r") && !line.contains("\t"))
        #expect(cef.keyOrder.last == "msg")
        #expect(!line.contains("Trend Micro"))
    }

    @Test func clientSideAlertIsTheCEFSource() throws {
        let cef = try CEFMessage(parsing: Fixtures.encode(.alert(Fixtures.alert(side: .client)), Fixtures.options(.cef)))
        #expect(cef.extensions["src"] == "192.0.2.10")
        #expect(cef.extensions["dst"] == "198.51.100.7")
        #expect(cef.extensions["dpt"] == "4120")
    }

    @Test func leefTabDelimitedAttributes() throws {
        let line = try Fixtures.encode(.alert(hostile), Fixtures.options(.leef))
        let leef = try LEEFMessage(parsing: line)
        #expect(leef.header == ["LEEF:2.0", "HelloScope", "HelloScope", "0.1.0", "1001", "x09"])
        #expect(leef.attributes["dst"] == "192.0.2.10")
        #expect(leef.attributes["dstPort"] == "4120")
        #expect(leef.attributes["src"] == "198.51.100.7")
        #expect(leef.attributes["srcPort"] == "50123")
        #expect(leef.attributes["sev"] == "8")
        #expect(leef.attributes["tlsVersion"] == "TLSv1.0")
        #expect(leef.attributes["cat"] == "early_tls_first_seen")
        // The delimiter becomes a space; line breaks have no LEEF escape.
        #expect(leef.attributes["serverName"] == "evil|x=y\\z\"q]w TAB?NL?CR e\u{301}ü漢😀")
    }

    @Test func leefWithAnotherDelimiter() throws {
        var options = Fixtures.options(.leef)
        options.leefDelimiter = "^"
        let leef = try LEEFMessage(parsing: Fixtures.encode(.alert(Fixtures.alert(serverName: "a^b")), options))
        #expect(leef.header[5] == "x5e")
        #expect(leef.attributes["serverName"] == "a b")
    }

    @Test func jsonRoundTripsEveryCharacter() throws {
        let line = try Fixtures.encode(.alert(hostile), Fixtures.options(.json))
        let message = try RFC5424Message(parsing: line)
        #expect(message.messageID == "EARLY_TLS_FIRST")
        let object = try parseJSONObject(message.message)
        #expect(object["serverName"] as? String == Fixtures.hostileSNI)
        #expect(object["count"] as? Int == 1)
        #expect(object["endpointPort"] as? Int == 4120)
        #expect(object["severity"] as? Int == 8)
        #expect(object["signatureId"] as? String == "1001")
        #expect(object["tlsVersion"] as? String == "TLSv1.0")
    }

    @Test(arguments: SyslogFormat.allCases)
    func healthEventInEveryFormat(format: SyslogFormat) throws {
        let event = SyslogEvent.health(.destinationRegained(destination: "tcp://127.0.0.1:15514", downNanos: 2_500_000_000, droppedAlerts: 17))
        let line = try Fixtures.encode(event, Fixtures.options(format))
        switch format {
        case .rfc5424:
            let message = try RFC5424Message(parsing: line)
            #expect(message.messageID == "SENSOR_DEST_REGAINED")
            #expect(message.param("droppedAlerts") == "17")
            #expect(message.param("downMilliseconds") == "2500")
        case .rfc3164:
            let pairs = Dictionary(try parseKeyValues(RFC3164Message(parsing: line).content), uniquingKeysWith: { first, _ in first })
            #expect(pairs["droppedAlerts"] == "17")
        case .cef:
            let cef = try CEFMessage(parsing: line)
            #expect(cef.header[4] == "2003")
            #expect(cef.labeled("droppedAlerts") == "17")
            #expect(cef.labeled("destination") == "tcp://127.0.0.1:15514")
        case .leef:
            #expect(try LEEFMessage(parsing: line).attributes["droppedAlerts"] == "17")
        case .json:
            #expect(try parseJSONObject(line)["droppedAlerts"] as? Int == 17)
        }
    }

    /// The client's JA3 and JA4, the server's JA3S and the label, in each format's own
    /// place: SD-PARAMs, quoted pairs, CEF custom strings with labels, LEEF and JSON keys.
    @Test(arguments: SyslogFormat.allCases)
    func fingerprintsInEveryFormat(format: SyslogFormat) throws {
        let alert = Fixtures.alert(fingerprints: Fixtures.fingerprints)
        let line = try Fixtures.encode(.alert(alert), Fixtures.options(format))
        let values: [String: String?]
        switch format {
        case .rfc5424:
            let message = try RFC5424Message(parsing: line)
            values = Dictionary(uniqueKeysWithValues: Self.fingerprintNames.map { ($0, message.param($0)) })
        case .rfc3164:
            let pairs = Dictionary(try parseKeyValues(RFC3164Message(parsing: line).content), uniquingKeysWith: { first, _ in first })
            values = Dictionary(uniqueKeysWithValues: Self.fingerprintNames.map { ($0, pairs[$0]) })
        case .cef:
            let cef = try CEFMessage(parsing: line)
            #expect(cef.extensions["cs3Label"] == "ja3" && cef.extensions["cs4Label"] == "ja4")
            #expect(cef.extensions["cs6Label"] == "fingerprintLabel" && cef.extensions["flexString1Label"] == "ja3s")
            #expect(cef.labelsAreUnique)
            values = Dictionary(uniqueKeysWithValues: Self.fingerprintNames.map { ($0, cef.labeled($0)) })
        case .leef:
            let leef = try LEEFMessage(parsing: line)
            values = Dictionary(uniqueKeysWithValues: Self.fingerprintNames.map { ($0, leef.attributes[$0]) })
        case .json:
            let object = try parseJSONObject(RFC5424Message(parsing: line).message)
            values = Dictionary(uniqueKeysWithValues: Self.fingerprintNames.map { ($0, object[$0] as? String) })
        }
        #expect(values["ja3"] == Fixtures.ja3)
        #expect(values["ja4"] == Fixtures.ja4)
        #expect(values["ja3s"] == Fixtures.ja3s)
        // Escaped and back where the format has escapes; a tab has none in RFC 5424, CEF or LEEF.
        let label = try #require(values["fingerprintLabel"] ?? nil)
        switch format {
        case .json: #expect(label == Fixtures.hostileLabel)
        case .leef: #expect(label == Fixtures.hostileLabel.replacingOccurrences(of: "\t", with: " "))
        default: #expect(label == Fixtures.hostileLabel.replacingOccurrences(of: "\t", with: "?"))
        }
    }

    static let fingerprintNames = ["ja3", "ja4", "ja3s", "fingerprintLabel"]

    @Test(arguments: SyslogFormat.allCases)
    func weakCipherAlertInEveryFormat(format: SyslogFormat) throws {
        let alert = Fixtures.weakCipherAlert(fingerprints: AlertFingerprints(ja3: Fixtures.ja3, ja4: Fixtures.ja4, ja3s: Fixtures.ja3s))
        let line = try Fixtures.encode(.weakCipher(alert), Fixtures.options(format))
        var fields: [String: String] = [:]
        switch format {
        case .rfc5424:
            let message = try RFC5424Message(parsing: line)
            #expect(message.messageID == "WEAK_CIPHER")
            #expect(message.priority == 20 * 8 + 3)          // high finding: error
            fields = Dictionary(uniqueKeysWithValues: message.structuredData[0].params.map { ($0.name, $0.value) })
            #expect(message.message.hasPrefix("TLS_RSA_WITH_RC4_128_SHA uses RC4"))
        case .rfc3164:
            fields = Dictionary(try parseKeyValues(RFC3164Message(parsing: line).content), uniquingKeysWith: { first, _ in first })
        case .cef:
            let cef = try CEFMessage(parsing: line)
            #expect(cef.header[4] == "1101" && cef.header[5] == "Weak cipher suite negotiated" && cef.header[6] == "8")
            #expect(cef.extensions["dst"] == "192.0.2.10" && cef.extensions["src"] == "198.51.100.7")
            #expect(cef.extensions["reason"] == "rc4")
            #expect(cef.labeled("cipher") == "TLS_RSA_WITH_RC4_128_SHA")
            #expect(cef.labeled("ja3s") == Fixtures.ja3s)
            #expect(cef.labelsAreUnique)
            fields = ["event": cef.extensions["cat"] ?? "", "endpoint": cef.extensions["dst"] ?? "", "finding": cef.extensions["reason"] ?? "",
                      "findingSeverity": "high", "cipher": cef.labeled("cipher") ?? ""]
        case .leef:
            let leef = try LEEFMessage(parsing: line)
            #expect(leef.header[4] == "1101")
            #expect(leef.attributes["sev"] == "8")
            fields = leef.attributes
            fields["endpoint"] = leef.attributes["dst"]
            fields["event"] = leef.attributes["cat"]
        case .json:
            let object = try parseJSONObject(RFC5424Message(parsing: line).message)
            #expect(object["signatureId"] as? String == "1101")
            fields = object.compactMapValues { $0 as? String }
        }
        #expect(fields["event"] == "weak_cipher_first_seen")
        #expect(fields["endpoint"] == "192.0.2.10")
        #expect(fields["finding"] == "rc4")
        #expect(fields["findingSeverity"] == "high")
        #expect(fields["cipher"] == "TLS_RSA_WITH_RC4_128_SHA")
        if format != .cef {
            #expect(fields["cipherCode"] == "0x0005")
            #expect(fields["ja3s"] == Fixtures.ja3s)
        }
    }

    @Test func findingSeverityMapsToBothScales() {
        #expect(AlertSeverity.forFinding(.high) == AlertSeverity.forVersion(.tls10))
        #expect(AlertSeverity.forFinding(.medium) == AlertSeverity.forVersion(.tls11))
        #expect(AlertSeverity.forFinding(.low) < AlertSeverity.forFinding(.medium))
        #expect(AlertSeverity.forFinding(.low).syslog == 5)   // notice
    }

    @Test func severityRisesWithAge() {
        let ssl2 = AlertSeverity.forVersion(.sslv2), ssl3 = AlertSeverity.forVersion(.sslv3)
        let tls10 = AlertSeverity.forVersion(.tls10), tls11 = AlertSeverity.forVersion(.tls11)
        #expect(ssl2 == ssl3)
        #expect(ssl3 > tls10 && tls10 > tls11)
        #expect(ssl3.syslog < tls10.syslog && tls10.syslog < tls11.syslog)   // lower syslog number is worse
    }

    @Test func timestamps() {
        #expect(rfc3339(0) == "1970-01-01T00:00:00.000Z")
        #expect(rfc3339(1_700_000_000_999_000_000) == "2023-11-14T22:13:20.999Z")
        #expect(rfc3339(951_782_400_000_000_000) == "2000-02-29T00:00:00.000Z")
        #expect(rfc3164Time(1_700_000_000_000_000_000) == "Nov 14 22:13:20")
        #expect(rfc3164Time(1_698_800_000_000_000_000) == "Nov  1 00:53:20")
    }

    @Test func headerFieldsAreMadePrintable() throws {
        var options = Fixtures.options(.rfc5424, hostname: "host name\u{e9}", appName: String(repeating: "a", count: 60))
        options.processID = "12 3"
        let message = try RFC5424Message(parsing: Fixtures.encode(.alert(Fixtures.alert()), options))
        #expect(message.hostname == "host_name_")
        #expect(message.appName == String(repeating: "a", count: 48))
        #expect(message.processID == "12_3")
    }

    @Test func facilityAndFormatParsing() throws {
        #expect(try SyslogFacility(parsing: "local7").rawValue == 23)
        #expect(try SyslogFacility(parsing: "DAEMON").rawValue == 3)
        #expect(try SyslogFacility(parsing: "13").rawValue == 13)
        #expect(throws: SyslogConfigurationError.self) { try SyslogFacility(parsing: "local8") }
        #expect(throws: SyslogConfigurationError.self) { try SyslogFacility(parsing: "24") }
        #expect(try SyslogFormat(parsing: "CEF") == .cef)
        #expect(throws: SyslogConfigurationError.self) { try SyslogFormat(parsing: "gelf") }
        #expect(throws: SyslogConfigurationError.self) { try SyslogEncoder(options: Fixtures.options(.json, maximumBytes: 100)) }
    }
}
