import Foundation
import SyslogTestSupport
import Testing

/// `helloscope analyze` on every bundled capture with `--syslog`, into a real rsyslogd on
/// loopback (ports 15800–15899; HelloSyslogTests use 157xx). What should arrive is derived
/// from the captures' `.expected.jsonl`, not from the binary's own output: each early-TLS
/// endpoint (the side to blame, by address, Deep Security role and side) alerts once, and
/// the alerts' counts add up to the early sessions. Each line rsyslog wrote is parsed
/// strictly as its format. Under CI a missing rsyslogd fails (`RsyslogDaemon.start` throws).
@Suite(.serialized, .enabled(if: RsyslogDaemon.shouldRun("EndToEndTests"), "rsyslogd is not installed"))
struct SyslogEndToEndTests {
    static let formats = ["rfc5424", "rfc3164", "cef", "leef", "json"]
    static let captures = CaptureCase.all.map(\.capture.path)

    /// Label text with what the formats escape (`"` `\` `]` `=`) and what they must carry
    /// whole (`|`, UTF-8); no control characters, which some formats replace.
    static let hostileLabel = #"Legacy "stack" | a=b \ c ] ü漢"#

    // MARK: What the captures say should arrive

    struct Endpoint: Hashable, CustomStringConvertible {
        var address: String
        var role: String
        var side: String
        var description: String { "\(side) \(address) (\(role))" }
    }

    struct Expected {
        /// Early sessions per endpoint to blame; each key alerts once as first seen.
        var sessions: [Endpoint: Int] = [:]
        var earlySessions: Int { sessions.values.reduce(0, +) }
        /// With `--syslog-reminder 0`: the first-seen alerts, and at the end one reminder per
        /// endpoint with more sessions.
        var alerts: Int { sessions.count + sessions.values.count { $0 > 1 } }
    }

    /// README "Deep Security roles": service role → (port, listener, peer). The listener is the
    /// endpoint on the port: the server when the server's port matches (tried first).
    static let roleTable: [String: (port: Int, listener: String, peer: String)] = [
        "agent": (4118, "agent", "manager"),
        "manager_console": (4119, "manager", "console_client"),
        "manager_heartbeat": (4120, "manager", "agent"),
        "relay": (4122, "relay", "agent_or_relay"),
        "dsaas": (443, "dsaas", "agent"),
        "other": (0, "other", "other"),
    ]

    static func expected(_ cases: [CaptureCase] = CaptureCase.all) throws -> Expected {
        var expected = Expected()
        for capture in cases {
            for session in try Helloscope.jsonLines(String(contentsOf: capture.expected, encoding: .utf8)) {
                let verdict = session["verdict"] as? String
                guard verdict == "early_tls_negotiated" || verdict == "early_only_refused" else { continue }
                // An early-only hello refused is the client's doing; a ServerHello alone, the server's.
                let side = session["early_tls_side"] as? String ?? (verdict == "early_only_refused" ? "client" : "server")
                let service = try #require(session["role"] as? String)
                let rule = try #require(roleTable[service], "role \(service) is not in the README's table")
                let listenerIsServer = rule.port == 0 || session["server_port"] as? Int == rule.port
                let serverRole = listenerIsServer ? rule.listener : rule.peer
                let clientRole = listenerIsServer ? rule.peer : rule.listener
                let address = try #require(session[side] as? String)
                expected.sessions[Endpoint(address: address, role: side == "client" ? clientRole : serverRole, side: side), default: 0] += 1
            }
        }
        return expected
    }

    // MARK: Reading what rsyslog wrote

    /// One message rsyslog wrote (its RFC 5424 line around ours), checked as `format` and
    /// brought to common names: event, endpoint, side, endpointRole, count, ja3, ja4, ja3s,
    /// fingerprintLabel, finding, droppedAlerts.
    static func decode(_ raw: String, format: String) throws -> [String: String] {
        let line = try RFC5424Message(parsing: raw)
        let payload = String(line.message.drop { $0 == " " })
        var fields: [String: String]
        switch format {
        case "rfc5424":
            let data = try #require(line.structuredData.first, "no structured data: \(raw)")
            // RFC 5424 §6.3.2: an SD-ID that is not IANA's is name@<private enterprise number>.
            #expect(line.structuredData.map(\.id) == ["helloscope@32473"])
            #expect(isEnterpriseSDID(data.id))
            fields = Dictionary(data.params.map { ($0.name, $0.value) }, uniquingKeysWith: { first, _ in first })
            #expect(fields.count == data.params.count, "an SD-PARAM twice: \(raw)")
            #expect(!line.message.isEmpty)
        case "rfc3164":
            let pairs = try parseKeyValues(payload)
            fields = Dictionary(pairs, uniquingKeysWith: { first, _ in first })
            #expect(fields.count == pairs.count, "a key twice: \(raw)")
            #expect(fields["msg"] != nil)
        case "cef":
            let cef = try CEFMessage(parsing: payload)
            #expect(Array(cef.header[0 ... 2]) == ["CEF:0", "HelloScope", "HelloScope"])
            #expect(["1001", "1002", "1003", "1101", "2001", "2002", "2003", "2004"].contains(cef.header[4]))
            #expect(!cef.header[5].isEmpty)
            #expect(cef.labelsAreUnique)
            #expect(cef.keyOrder.last == "msg")
            let side = cef.labeled("blame")
            fields = ["event": cef.extensions["cat"] ?? "", "side": side ?? "", "endpointRole": cef.labeled("endpointRole") ?? "",
                      "count": cef.labeled("count") ?? "", "finding": cef.extensions["reason"] ?? ""]
            fields["endpoint"] = side == "client" ? cef.extensions["src"] : cef.extensions["dst"]
            for name in ["ja3", "ja4", "ja3s", "fingerprintLabel", "droppedAlerts"] { fields[name] = cef.labeled(name) }
        case "leef":
            let leef = try LEEFMessage(parsing: payload)
            #expect(leef.header == ["LEEF:2.0", "HelloScope", "HelloScope", leef.header[3], leef.header[4], "x09"])
            #expect(Int(leef.attributes["sev"] ?? "").map { (0 ... 10).contains($0) } == true)
            fields = leef.attributes
            fields["event"] = leef.attributes["cat"]
            fields["endpoint"] = leef.attributes["side"] == "client" ? leef.attributes["src"] : leef.attributes["dst"]
        case "json":
            #expect(line.structuredData.isEmpty)
            let object = try parseJSONObject(payload)
            #expect(object["signatureId"] is String && object["severity"] is Int)
            fields = object.compactMapValues { value in
                if let text = value as? String { return text }
                if let number = value as? Int { return String(number) }
                return nil
            }
        default:
            throw ParseError("no format \(format)")
        }
        return fields
    }

    static func isEnterpriseSDID(_ id: String) -> Bool {
        let parts = id.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, id.utf8.count <= 32 else { return false }
        let name = parts[0].unicodeScalars.allSatisfy { $0.value > 32 && $0.value < 127 && !"=] \"".unicodeScalars.contains($0) }
        let pen = parts[1].split(separator: ".", omittingEmptySubsequences: false)
        return name && !pen.isEmpty && pen.allSatisfy { !$0.isEmpty && $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) }
    }

    /// The messages of one run (its APP-NAME), decoded; waits until `done` holds or
    /// `timeout` passes, then a little longer so that a duplicate would show.
    static func messages(_ daemon: RsyslogDaemon, appName: String, format: String, timeout: Double = 15,
                         until done: ([[String: String]]) -> Bool) throws -> [[String: String]] {
        func read() throws -> [[String: String]] {
            try daemon.lines().filter { (try? RFC5424Message(parsing: $0))?.appName == appName }.map { try decode($0, format: format) }
        }
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline, !(try done(read())) { usleep(100_000) }
        usleep(400_000)
        return try read()
    }

    static func alerts(_ messages: [[String: String]]) -> [[String: String]] {
        messages.filter { $0["event"]?.hasPrefix("early_tls_") == true }
    }

    static func endpoint(_ message: [String: String]) -> Endpoint {
        Endpoint(address: message["endpoint"] ?? "?", role: message["endpointRole"] ?? "?", side: message["side"] ?? "?")
    }

    /// The first-seen alerts name each expected endpoint exactly once, reminders follow for
    /// endpoints with more sessions, and the counts add up per endpoint.
    static func checkAlerts(_ messages: [[String: String]], _ expected: Expected, _ context: String) {
        let alerts = alerts(messages)
        let first = alerts.filter { $0["event"] == "early_tls_first_seen" }.map(endpoint)
        #expect(first.count == expected.sessions.count, "\(context): \(first.count) first-seen alerts")
        #expect(Set(first) == Set(expected.sessions.keys), "\(context): \(first.map(\.description).sorted())")
        var counted: [Endpoint: Int] = [:]
        for alert in alerts { counted[endpoint(alert), default: 0] += Int(alert["count"] ?? "") ?? 0 }
        #expect(counted == expected.sessions, "\(context): counts \(counted)")
    }

    static func writeLabels(in directory: URL) throws -> String {
        // Label the stacks the early sessions used: every client JA4 and server JA3S.
        let sessions = try Helloscope.jsonLines(try Helloscope.run(["analyze", "--quiet", "--json", "-"] + captures).stdout)
        var lines = ["fingerprint,label"]
        for session in sessions where session["early_tls"] as? Bool == true || session["verdict"] as? String == "early_only_refused" {
            for key in ["ja4", "ja3s"] { if let print = session[key] as? String { lines.append("\(print),\(hostileLabel)") } }
        }
        let path = directory.appendingPathComponent("labels.csv").path
        try lines.joined(separator: "\n").write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    // MARK: Delivery in every format

    enum Transport: String, CaseIterable, Sendable { case tcp, udp, tls }

    /// TCP in every format; UDP and TLS (RFC 5425 with rsyslog-gnutls) in one each.
    static let deliveries: [(Transport, [String])] = [(.tcp, formats), (.udp, ["leef"]), (.tls, ["cef"])]

    @Test(arguments: Transport.allCases)
    func everyEarlyEndpointArrivesOnceInEveryFormat(transport: Transport) throws {
        let expected = try Self.expected()
        #expect(expected.sessions.count >= 3, "the captures should have several early endpoints")
        let directory = try RsyslogDaemon.makeDirectory("e2e-\(transport.rawValue)")
        let port = 15800 + (Transport.allCases.firstIndex(of: transport) ?? 0)
        var daemonArguments = ["--\(transport.rawValue)", String(port)]
        var tlsArguments: [String] = []
        if transport == .tls {
            let (certificate, key) = try RsyslogDaemon.makeCertificate(in: directory)
            daemonArguments += ["--ca", certificate, "--cert", certificate, "--key", key]
            tlsArguments = ["--syslog-ca", certificate]
        }
        let daemon = RsyslogDaemon(directory: directory, arguments: daemonArguments)
        try daemon.start()
        defer { daemon.stop() }
        let labels = try Self.writeLabels(in: directory)

        let formats = Self.deliveries.first { $0.0 == transport }?.1 ?? []
        for format in formats {
            let appName = "e2e-\(transport.rawValue)-\(format)"
            let result = try Helloscope.run(["analyze", "--quiet", "--labels", labels,
                                             "--syslog", "\(transport.rawValue)://127.0.0.1:\(port)", "--syslog-format", format,
                                             "--syslog-app-name", appName, "--syslog-hostname", "sensor-e2e", "--syslog-reminder", "0"]
                                            + tlsArguments + Self.captures)
            #expect(result.status == 0, "\(appName): \(result.stderr)")
            #expect(!result.stderr.contains("warning"), "\(appName): \(result.stderr)")
            let messages = try Self.messages(daemon, appName: appName, format: format) { Self.alerts($0).count >= expected.alerts }
            #expect(Self.alerts(messages).count == expected.alerts, "\(appName): \(messages.count) messages")
            #expect(messages.count == Self.alerts(messages).count, "\(appName): only alerts expected: \(messages)")
            Self.checkAlerts(messages, expected, appName)
            for alert in Self.alerts(messages) {
                let ja3 = try #require(alert["ja3"], "\(appName): no ja3 in \(alert)")
                #expect(ja3.count == 32 && ja3.allSatisfy(\.isHexDigit))
                let ja4 = try #require(alert["ja4"], "\(appName): no ja4 in \(alert)")
                #expect(ja4.hasPrefix("t1") && ja4.split(separator: "_").count == 3, "\(ja4)")
                // JA3S only for a server to blame (and only where a ServerHello was seen).
                if alert["side"] == "client" { #expect(alert["ja3s"] == nil) }
                if alert["side"] == "server" { #expect(alert["ja3s"]?.count == 32) }
                // Escaped on the way and back, through rsyslog.
                #expect(alert["fingerprintLabel"] == Self.hostileLabel, "\(appName): \(alert["fingerprintLabel"] ?? "nil")")
            }
        }
    }

    /// `--alert-every-session`: one event per early session (first seen, then one per
    /// session) with `--alert-spacing 0`; with the default spacing (1 s of capture time)
    /// sessions closer than that are counted into a later alert, and nothing is lost.
    @Test func everySessionAlertsOncePerSession() throws {
        let expected = try Self.expected()
        let directory = try RsyslogDaemon.makeDirectory("e2e-every")
        let daemon = RsyslogDaemon(directory: directory, arguments: ["--tcp", "15803"])
        try daemon.start()
        defer { daemon.stop() }
        for (appName, spacing) in [("e2e-every-0", "0"), ("e2e-every-1", "1")] {
            let result = try Helloscope.run(["analyze", "--quiet", "--syslog", "tcp://127.0.0.1:15803", "--syslog-format", "json",
                                             "--syslog-app-name", appName, "--alert-every-session", "--alert-spacing", spacing,
                                             "--syslog-reminder", "0"] + Self.captures)
            #expect(result.status == 0, "\(result.stderr)")
            let messages = try Self.messages(daemon, appName: appName, format: "json") { messages in
                Self.alerts(messages).reduce(0) { $0 + (Int($1["count"] ?? "") ?? 0) } >= expected.earlySessions
            }
            Self.checkAlerts(messages, expected, appName)
            let alerts = Self.alerts(messages)
            if spacing == "0" {
                #expect(alerts.count == expected.earlySessions)
                #expect(alerts.allSatisfy { $0["count"] == "1" })
                #expect(alerts.count { $0["event"] == "early_tls_session" } == expected.earlySessions - expected.sessions.count)
                #expect(!alerts.contains { $0["event"] == "early_tls_reminder" })
            } else {
                #expect(alerts.count <= expected.earlySessions)
            }
        }
    }

    /// `--alert-weak-ciphers`: one alert per server, role and cipher finding, with the
    /// finding's name; checked against the findings in the session JSON of the same input.
    @Test func weakCipherFindingsAlertOncePerServer() throws {
        let sessions = try Helloscope.jsonLines(try Helloscope.run(["analyze", "--quiet", "--json", "-"] + Self.captures).stdout)
        var findings = Set<String>()
        for session in sessions {
            for finding in session["cipher_findings"] as? [[String: Any]] ?? [] {
                findings.insert("\(session["server"] ?? "")|\(session["server_role"] ?? "")|\(finding["name"] ?? "")")
            }
        }
        #expect(!findings.isEmpty, "the captures have cipher findings (deep_security_not_strong at least)")
        let directory = try RsyslogDaemon.makeDirectory("e2e-cipher")
        let daemon = RsyslogDaemon(directory: directory, arguments: ["--tcp", "15807"])
        try daemon.start()
        defer { daemon.stop() }
        for format in Self.formats {
            let appName = "e2e-cipher-\(format)"
            let result = try Helloscope.run(["analyze", "--quiet", "--syslog", "tcp://127.0.0.1:15807", "--syslog-format", format,
                                             "--syslog-app-name", appName, "--alert-weak-ciphers", "--alert-cipher-severity", "low"]
                                            + Self.captures)
            #expect(result.status == 0, "\(result.stderr)")
            let messages = try Self.messages(daemon, appName: appName, format: format) { messages in
                messages.count { $0["event"] == "weak_cipher_first_seen" } >= findings.count
            }
            let received = messages.filter { $0["event"] == "weak_cipher_first_seen" }.map {
                "\($0["endpoint"] ?? "")|\($0["endpointRole"] ?? "")|\($0["finding"] ?? "")"
            }
            #expect(received.sorted() == findings.sorted(), "\(format)")
            #expect(messages.filter { $0["event"] == "weak_cipher_first_seen" }.allSatisfy { $0["side"] == "server" })
        }
    }
}
