import HelloFlows
import HelloWire

/// Writes one session as one JSON line (schema in the README). Reads a finished
/// `SessionRecord` only; appends to `out.bytes` and allocates nothing once warm.
public struct SessionJSON {
    public let roles: RoleTable

    public init(roles: RoleTable) {
        self.roles = roles
    }

    public func write(_ session: SessionRecord, into out: inout JSONBytes) {
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
            out.key("sni"); out.quotedBytes(count: session.serverName.count) { session.serverName[$0] }
        }
        writeALPNList(session, &out)
        if session.alpnSelected.isEmpty {
            out.null("alpn")
        } else {
            out.key("alpn"); out.quotedBytes(count: session.alpnSelected.count) { session.alpnSelected[$0] }
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
        text.withUTF8 { utf8 in out.quotedBytes(count: utf8.count) { utf8[$0] } }
    }

    private func writeNumber(_ value: Int, _ out: inout JSONBytes) {
        writeDecimal(value, into: &out.bytes)
    }
}
