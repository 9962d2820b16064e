import HelloFingerprint
import HelloFlows
import HelloWire

/// Writes one session as one JSON line (schema in the README). Reads a finished
/// `SessionRecord` only; appends to `out` and allocates nothing once warm.
public struct SessionJSON {
    public let roles: RoleTable
    public let labels: FingerprintLabels
    /// Each rule's role, listener and peer names, quoted and escaped once here rather than
    /// for every session.
    private let quotedRoles: QuotedRoleNames

    /// Room for a fingerprint's raw string (its lists are bounded, so it fits); what a writer
    /// would write past it is cut.
    private static let rawStringRoom = 4096
    /// Runs of members written before, copied for sessions with the same fields (`MemberRuns`).
    private let handshakeRuns = MemberRuns<HandshakeFields>()
    private let outcomeRuns = MemberRuns<OutcomeFields>()
    /// The members from `role` to `ds_strong_cipher` (`MiddleFields`): most of a line, and
    /// the same for every session of one client's hello shape to one server.
    private let middleRuns = MemberRuns<MiddleFields>(room: 2048)

    public init(roles: RoleTable, labels: FingerprintLabels = FingerprintLabels()) {
        self.roles = roles
        self.labels = labels
        quotedRoles = QuotedRoleNames(roles.rules.flatMap { [$0.role, $0.listener, $0.peer] })
    }

    /// `findings`: the session's cipher audit (`CipherAuditMemo`), computed once by the caller
    /// because the inventory and summary count it too. `rendered`: raw fingerprint strings
    /// already written out when the hashes were made (`SessionFingerprints.finishHashes`), copied
    /// instead of written again. Both must be what the session's fields make them: a line's
    /// middle is copied from the last session with the same fields (`MiddleFields`). The session is `inout` only to be taken by address (a 1.1 KiB
    /// record passed from a pointer's `pointee` was copied for each call); nothing in it changes.
    public func write(_ session: inout SessionRecord, findings: [CipherFinding], rendered: RenderedFingerprints = RenderedFingerprints(),
                      into out: inout JSONBytes) {
        writeStart(&session, into: &out)
        let handshake = HandshakeFields(session)
        let middle = withUnsafePointer(to: &session) { MiddleFields($0, handshake: handshake) }
        if let middle, middleRuns.copy(middle, hash: middle.hash, into: &out) {
            finishLine(&session, into: &out)
            return
        }
        let start = out.count
        writeMiddle(&session, handshake: handshake, findings: findings, rendered: rendered, &out)
        if let middle { middleRuns.keep(middle, hash: middle.hash, from: out, start: start) }
        finishLine(&session, into: &out)
    }

    /// Writes the line if its members from `role` to `ds_strong_cipher` are kept from a session
    /// with the same fields (`MiddleFields`); false, writing nothing, if not. Takes neither the
    /// cipher audit nor the fingerprints' hashes and strings: a caller that wants them for
    /// nothing else need not work them out.
    public func writeIfKept(_ session: inout SessionRecord, into out: inout JSONBytes) -> Bool {
        let handshake = HandshakeFields(session)
        guard let middle = withUnsafePointer(to: &session, { MiddleFields($0, handshake: handshake) }),
              middleRuns.holds(middle, hash: middle.hash) else { return false }
        writeStart(&session, into: &out)
        _ = middleRuns.copy(middle, hash: middle.hash, into: &out)
        finishLine(&session, into: &out)
        return true
    }

    /// The members from `ts` to `encap`: the session's own.
    private func writeStart(_ session: inout SessionRecord, into out: inout JSONBytes) {
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
            out.element(); out.number(Int(session.vlans.outer))
            if session.vlans.count > 1 { out.element(); out.number(Int(session.vlans.inner)) }
            out.endArray()
        }
        out.beginArray("encap")
        for (flag, name) in Encapsulation.named where session.encapsulation.contains(flag) {
            out.element(); out.quotedStatic(name)
        }
        out.endArray()
    }

    /// The members from `role` to `ds_strong_cipher`.
    private func writeMiddle(_ session: inout SessionRecord, handshake: HandshakeFields, findings: [CipherFinding],
                             rendered: RenderedFingerprints, _ out: inout JSONBytes) {
        // As `roles.roleName` and `roles.endpointRoles` name them.
        let role = 3 * session.roleIndex, listener = role + 1, peer = role + 2
        out.key("role"); out.appendJSON(quotedRoles[role])
        out.key("client_role"); out.appendJSON(quotedRoles[session.roleListenerIsServer ? peer : listener])
        out.key("server_role"); out.appendJSON(quotedRoles[session.roleListenerIsServer ? listener : peer])
        if session.serverName.isEmpty {
            out.null("sni")
        } else {
            out.key("sni"); session.serverName.withBytes { out.quotedBytes($0) }
        }
        writeALPNList(&session, &out)
        if session.alpnSelected.isEmpty {
            out.null("alpn")
        } else {
            out.key("alpn"); session.alpnSelected.withBytes { out.quotedBytes($0) }
        }
        if !handshakeRuns.copy(handshake, hash: handshake.hash, into: &out) {
            let start = out.count
            writeHandshake(&session, &out)
            handshakeRuns.keep(handshake, hash: handshake.hash, from: out, start: start)
        }
        writeFingerprints(&session, findings: findings, rendered: rendered, &out)
    }

    /// The members from `hello_retry` to `status`, and the line's end.
    private func finishLine(_ session: inout SessionRecord, into out: inout JSONBytes) {
        let outcome = OutcomeFields(session)
        if !outcomeRuns.copy(outcome, hash: outcome.hash, into: &out) {
            let start = out.count
            writeOutcome(&session, &out)
            outcomeRuns.keep(outcome, hash: outcome.hash, from: out, start: start)
        }
        out.endObject()
        out.byte(UInt8(ascii: "\n"))
    }

    /// The members from `client_hello` to `cipher_code` (`HandshakeFields` holds what they
    /// are written from).
    private func writeHandshake(_ session: inout SessionRecord, _ out: inout JSONBytes) {
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
    }

    /// The members from `hello_retry` to `status` (`OutcomeFields` holds what they are written from).
    private func writeOutcome(_ session: inout SessionRecord, _ out: inout JSONBytes) {
        out.bool("hello_retry", session.helloRetry)
        out.bool("resumed", session.resumed)
        if let alert = session.alert {
            out.key("alert")
            if let name = alert.description.registryName { out.quotedStatic(name) } else { out.number(Int(alert.description.rawValue)) }
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
    }

    /// `key`: the string `write` makes of `inputs` straight into the line (returning its
    /// length), or null. The inputs are a parameter, not captured: a closure capturing the
    /// session copied all of it, three times per line.
    private func rawString(_ key: StaticString, present: Bool, _ inputs: borrowing FingerprintInputs, rendered: UnsafeBufferPointer<UInt8>?,
                           _ out: inout JSONBytes, _ write: (borrowing FingerprintInputs, UnsafeMutableBufferPointer<UInt8>) -> Int) {
        guard present else { return out.null(key) }
        out.key(key)
        let room = out.beginString(room: Self.rawStringRoom)
        guard let rendered, let start = rendered.baseAddress, rendered.count <= room.count else {
            return out.endString(written: write(inputs, room))
        }
        room.baseAddress!.update(from: start, count: rendered.count)
        out.endString(written: rendered.count)
    }

    private func writeFingerprints(_ session: inout SessionRecord, findings: [CipherFinding], rendered: RenderedFingerprints, _ out: inout JSONBytes) {
        // The raw strings are written from the session's lists straight into the line. A side
        // whose lists were longer than the session keeps is hashed from its whole hello, so its
        // shortened raw string would not hash to its fingerprint: null instead.
        let client = !session.fingerprints.inputs.clientCut, server = !session.fingerprints.inputs.serverCut
        out.plainText("ja3", session.fingerprints.ja3)
        rawString("ja3_string", present: client && !session.fingerprints.ja3.isEmpty, session.fingerprints.inputs, rendered: rendered.ja3String, &out) {
            FingerprintText.writeJA3($0, into: $1)
        }
        out.plainText("ja4", session.fingerprints.ja4)
        rawString("ja4_r", present: client && !session.fingerprints.ja4.isEmpty, session.fingerprints.inputs, rendered: rendered.ja4Raw, &out) {
            FingerprintText.writeJA4Raw($0, into: $1).count
        }
        out.plainText("ja3s", session.fingerprints.ja3s)
        rawString("ja3s_string", present: server && !session.fingerprints.ja3s.isEmpty, session.fingerprints.inputs, rendered: rendered.ja3sString, &out) {
            FingerprintText.writeJA3S($0, into: $1)
        }
        if labels.isEmpty {
            out.null("label")
        } else if let label = labels.label(ja3: session.fingerprints.ja3.isEmpty ? nil : session.fingerprints.ja3.string,
                                           ja4: session.fingerprints.ja4.isEmpty ? nil : session.fingerprints.ja4.string) {
            out.key("label"); quote(label, &out)
        } else {
            out.null("label")
        }
        out.beginArray("cipher_findings")
        for finding in findings {
            out.element()
            out.beginObject()
            out.key("name"); quote(finding.name, &out)
            out.key("severity"); quote(finding.severity.rawValue, &out)
            out.endObject()
        }
        out.endArray()
        if session.roleIndex != roles.otherIndex, let version = session.negotiated, let cipher = session.cipher {
            out.bool("ds_strong_cipher", CipherAudit.isDeepSecurityStrong(version: version, suite: cipher))
        } else {
            out.null("ds_strong_cipher")
        }
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

    private func writeALPNList(_ session: inout SessionRecord, _ out: inout JSONBytes) {
        guard !session.alpnOffered.isEmpty else { return out.null("alpn_offered") }
        out.beginArray("alpn_offered")
        session.alpnOffered.withBytes { bytes in
            var at = 0
            while at < bytes.count {
                let length = Int(bytes[at])
                guard at + 1 + length <= bytes.count else { break }   // cut at capacity
                let start = at + 1
                out.element()
                out.quotedBytes(UnsafeBufferPointer(rebasing: bytes[start ..< start + length]))
                at = start + length
            }
        }
        out.endArray()
    }
}

/// Names quoted and escaped once, in one block of memory that lives as long as the writer.
/// Kept as arrays, the three names a line reads cost four retains and as many releases
/// (callgrind: about 160 instructions a line).
final class QuotedRoleNames: @unchecked Sendable {
    private let text: UnsafeMutablePointer<UInt8>
    /// Name `i` lies from `starts[i]` to `starts[i + 1]`.
    private let starts: UnsafeMutablePointer<Int>

    init(_ names: [String]) {
        var out = JSONBytes(capacity: 64)
        var starts = [0]
        for var name in names {
            name.withUTF8 { out.quotedBytes($0) }
            starts.append(out.count)
        }
        let text = UnsafeMutablePointer<UInt8>.allocate(capacity: max(out.count, 1))
        out.withBytes { if let base = $0.baseAddress { text.update(from: base.assumingMemoryBound(to: UInt8.self), count: $0.count) } }
        self.text = text
        self.starts = .allocate(capacity: starts.count)
        self.starts.initialize(from: starts, count: starts.count)
    }

    deinit {
        text.deallocate()
        starts.deallocate()
    }

    @inline(__always)
    subscript(index: Int) -> UnsafeBufferPointer<UInt8> {
        UnsafeBufferPointer(start: text + starts[index], count: starts[index + 1] - starts[index])
    }
}

extension JSONBytes {
    /// `key` with `bytes` as a string, or null when there are none.
    @inline(__always)
    mutating func text<let capacity: Int>(_ key: StaticString, _ bytes: borrowing ShortBytes<capacity>) {
        if bytes.isEmpty { null(key) } else { self.key(key); bytes.withBytes { quotedBytes($0) } }
    }

    /// `text` for bytes HelloScope wrote itself that need no escape (`quotedPlainText`).
    @inline(__always)
    mutating func plainText<let capacity: Int>(_ key: StaticString, _ bytes: borrowing ShortBytes<capacity>) {
        if bytes.isEmpty { null(key) } else { self.key(key); bytes.withBytes { quotedPlainText($0) } }
    }
}
