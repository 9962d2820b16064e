import HelloFingerprint
import HelloFlows
import HelloWire

/// Writes one session as one JSON line (schema in the README). Reads a finished
/// `SessionRecord` only; appends to `out.bytes` and allocates nothing once warm.
public struct SessionJSON {
    public let roles: RoleTable
    public let labels: FingerprintLabels
    /// Where fingerprint strings are written before they are quoted (the lists behind
    /// them are bounded, so they always fit).
    private let scratch = Scratch()

    private final class Scratch {
        let bytes = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: 4096)
        deinit { bytes.deallocate() }
    }

    public init(roles: RoleTable, labels: FingerprintLabels = FingerprintLabels()) {
        self.roles = roles
        self.labels = labels
    }

    /// The cipher audit of a finished session (RFC 9325 guidance; the Deep Security strong
    /// set for Deep Security endpoints). Runs once per session.
    public static func findings(_ session: SessionRecord, roles: RoleTable) -> [CipherFinding] {
        guard let version = session.negotiated, let cipher = session.cipher else { return [] }
        return CipherAudit.audit(version: version, suite: cipher, offered: session.offeredSuites.suites,
                                 deepSecurityEndpoint: session.roleIndex != roles.otherIndex)
    }

    /// `findings`: the session's cipher audit (`findings(_:roles:)`), computed once by the caller
    /// because the inventory and summary count it too.
    public func write(_ session: SessionRecord, findings: [CipherFinding], into out: inout JSONBytes) {
        out.beginObject()
        out.timestamp("ts", nanos: session.firstSeenNanos)
        out.address("client", session.client)
        out.int("client_port", Int(session.clientPort))
        out.address("server", session.server)
        out.int("server_port", Int(session.serverPort))
        out.int("ip", session.isIPv6 ? 6 : 4)
        if session.vlans.count == 0 {
            out.null("vlan")
        } else {
            out.beginArray("vlan")
            out.element(); writeNumber(Int(session.vlans.outer), &out)
            if session.vlans.count > 1 { out.element(); writeNumber(Int(session.vlans.inner), &out) }
            out.endArray()
        }
        out.beginArray("encap")
        for (flag, name) in Encapsulation.named where session.encapsulation.contains(flag) {
            out.element(); out.quotedStatic(name)
        }
        out.endArray()
        let roleNames = roles.endpointRoles(RoleTable.Match(index: session.roleIndex, listenerIsServer: session.roleListenerIsServer))
        out.key("role"); quoted(roles.roleName(session.roleIndex), &out)
        out.key("client_role"); quoted(roleNames.client, &out)
        out.key("server_role"); quoted(roleNames.server, &out)
        if session.serverName.isEmpty {
            out.null("sni")
        } else {
            out.key("sni"); session.serverName.withBytes { out.quotedBytes($0) }
        }
        writeALPNList(session, &out)
        if session.alpnSelected.isEmpty {
            out.null("alpn")
        } else {
            out.key("alpn"); session.alpnSelected.withBytes { out.quotedBytes($0) }
        }
        out.staticString("client_hello", helloName(session.clientHello))
        out.staticString("client_hello_format", session.hasClientHello ? (session.clientHelloSSLv2Format ? "sslv2" : "tls") : nil)
        out.version("client_record_version", session.clientRecordVersion)
        out.version("client_legacy_version", session.clientLegacyVersion)
        if session.hasClientHello {
            out.beginArray("offered_versions")
            for index in 0 ..< session.offered.stored {
                out.element(); out.quotedVersion(session.offered[index])
            }
            out.endArray()
            out.version("client_min_version", session.offered.fromSupportedVersions ? session.offered.minimum : nil)
            out.version("client_max_version", session.offered.maximum)
        } else {
            out.null("offered_versions")
            out.null("client_min_version")
            out.null("client_max_version")
        }
        out.int("client_hello_segments", Int(session.clientHelloSegments))
        out.int("client_hello_records", Int(session.clientHelloRecords))
        out.staticString("server_hello", helloName(session.serverHello))
        out.version("version", session.negotiated)
        out.hex("version_code", session.negotiated?.rawValue)
        out.version("server_legacy_version", session.serverLegacyVersion)
        if let cipher = session.cipher {
            out.key("cipher")
            if let name = cipher.registryName { out.quotedStatic(name) } else { out.quotedHex(cipher.rawValue) }
            out.hex("cipher_code", cipher.rawValue)
        } else {
            out.null("cipher")
            out.null("cipher_code")
        }
        writeFingerprints(session, findings: findings, &out)
        out.bool("hello_retry", session.helloRetry)
        out.bool("resumed", session.resumed)
        if let alert = session.alert {
            out.key("alert")
            if let name = alert.description.registryName { out.quotedStatic(name) } else { writeNumber(Int(alert.description.rawValue), &out) }
            out.staticString("alert_from", session.alertFromServer ? "server" : "client")
        } else {
            out.null("alert")
            out.null("alert_from")
        }
        out.staticString("preamble", session.preamble == .none ? nil : session.preamble.name)
        out.bool("early_tls", session.earlyTLS)
        out.staticString("early_tls_side", session.blame.name)
        out.staticString("verdict", session.verdict.name)
        out.staticString("status", session.status.name)
        out.endObject()
        out.bytes.append(UInt8(ascii: "\n"))
    }

    private func writeFingerprints(_ session: SessionRecord, findings: [CipherFinding], _ out: inout JSONBytes) {
        func field<let capacity: Int>(_ key: StaticString, _ bytes: borrowing ShortBytes<capacity>) {
            if bytes.isEmpty { out.null(key) } else { out.key(key); bytes.withBytes { out.quotedBytes($0) } }
        }
        let inputs = session.fingerprints.inputs
        field("ja3", session.fingerprints.ja3)
        rawString("ja3_string", session.fingerprints.ja3.isEmpty, &out) { FingerprintText.writeJA3(inputs, into: $0) }
        field("ja4", session.fingerprints.ja4)
        rawString("ja4_r", session.fingerprints.ja4.isEmpty, &out) { FingerprintText.writeJA4Raw(inputs, into: $0).count }
        field("ja3s", session.fingerprints.ja3s)
        rawString("ja3s_string", session.fingerprints.ja3s.isEmpty, &out) { FingerprintText.writeJA3S(inputs, into: $0) }
        if labels.isEmpty {
            out.null("label")
        } else if let label = labels.label(ja3: session.fingerprints.ja3.isEmpty ? nil : session.fingerprints.ja3.string,
                                           ja4: session.fingerprints.ja4.isEmpty ? nil : session.fingerprints.ja4.string) {
            out.key("label"); quoted(label, &out)
        } else {
            out.null("label")
        }
        out.beginArray("cipher_findings")
        for finding in findings {
            out.element()
            out.beginObject()
            out.key("name"); quoted(finding.name, &out)
            out.key("severity"); quoted(finding.severity.rawValue, &out)
            out.endObject()
        }
        out.endArray()
        if session.roleIndex != roles.otherIndex, let version = session.negotiated, let cipher = session.cipher {
            out.bool("ds_strong_cipher", CipherAudit.isDeepSecurityStrong(version: version, suite: cipher))
        } else {
            out.null("ds_strong_cipher")
        }
    }

    /// A fingerprint's raw string, written from the session's lists (null without its hash).
    private func rawString(
        _ key: StaticString, _ missing: Bool, _ out: inout JSONBytes, _ write: (UnsafeMutableBufferPointer<UInt8>) -> Int
    ) {
        guard !missing else { return out.null(key) }
        let count = write(scratch.bytes)
        out.key(key)
        out.quotedBytes(UnsafeBufferPointer(rebasing: scratch.bytes[0 ..< count]))
    }

    private func helloName(_ state: HelloState) -> StaticString {
        switch state {
        case .missing: "missing"
        case .parsed: "parsed"
        case .malformed: "malformed"
        case .overBound: "over_bound"
        case .gap: "gap"
        }
    }

    private func writeALPNList(_ session: SessionRecord, _ out: inout JSONBytes) {
        guard !session.alpnOffered.isEmpty else { return out.null("alpn_offered") }
        out.beginArray("alpn_offered")
        var at = 0
        let bytes = session.alpnOffered
        while at < bytes.count {
            let length = Int(bytes[at])
            guard at + 1 + length <= bytes.count else { break }   // cut at capacity
            let start = at + 1
            out.element()
            out.quotedBytes(count: length) { bytes[start + $0] }
            at = start + length
        }
        out.endArray()
    }

    private func quoted(_ text: String, _ out: inout JSONBytes) {
        var text = text
        text.withUTF8 { out.quotedBytes($0) }
    }

    private func writeNumber(_ value: Int, _ out: inout JSONBytes) {
        writeDecimal(value, into: &out.bytes)
    }
}
