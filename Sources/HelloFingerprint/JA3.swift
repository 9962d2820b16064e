import Crypto
import HelloWire

/// JA3 client fingerprint (Salesforce, https://github.com/salesforce/ja3, BSD-3-Clause):
/// `SSLVersion,Ciphers,Extensions,EllipticCurves,EllipticCurvePointFormats`, each list of
/// decimal values joined by `-`, GREASE (RFC 8701) removed from every 2-byte list, and the
/// MD5 of that string in lower-case hex. As in the reference and in tshark 4.0:
/// `SSLVersion` is ClientHello.legacy_version (not supported_versions, not the record
/// version); extensions keep wire order; a hello without extensions ends in `,,,`.
///
/// Does not fingerprint SSLv2-format CLIENT-HELLOs (`init` returns nil): neither the
/// reference `ja3.py` nor tshark 4.0.17 do (they only read TLS handshake records), so any
/// value we made up would match nobody's database. Does not find or reassemble the hello.
public struct JA3: Sendable, Hashable {
    /// The string before hashing (`ja3_string` in Zeek's and Suricata's logs).
    public let ja3String: String
    /// MD5 of `ja3String`, 32 lower-case hex digits.
    public let ja3: String

    /// Fingerprints `hello`, decoded from `span`; nil for an SSLv2-format hello.
    public init?(hello: ClientHello, in span: borrowing RawSpan) {
        guard !hello.isSSLv2Format else { return nil }
        let lists = HelloLists(client: hello, in: span)
        let groups = HelloLists.uint16s(span, hello.extensions.supportedGroups)
        let pointFormats = HelloLists.bytes(span, hello.extensions.ecPointFormats)
        self.init(ja3String: [
            String(hello.legacyVersion.rawValue),
            lists.cipherSuites.withoutGREASE.ja3List,
            lists.extensionTypes.withoutGREASE.ja3List,
            groups.withoutGREASE.ja3List,
            pointFormats.map { String($0) }.joined(separator: "-"),
        ].joined(separator: ","))
    }

    /// Hashes a JA3 string made elsewhere (for tests and for label files).
    public init(ja3String: String) {
        self.ja3String = ja3String
        ja3 = hexString(Insecure.MD5.hash(data: Array(ja3String.utf8)))
    }
}

/// JA3S server fingerprint (Salesforce): `SSLVersion,Cipher,Extensions` from the
/// ServerHello (legacy_version, the chosen suite, extension types in wire order, GREASE
/// removed), and its MD5. A TLS 1.3 ServerHello therefore says 771: JA3S does not read
/// supported_versions. Matches tshark 4.0's `tls.handshake.ja3s`.
///
/// Does not fingerprint an SSLv2 SERVER-HELLO (nil), for the reason given on `JA3`. Says
/// nothing about the client; pair it with the session's JA3 when matching.
public struct JA3S: Sendable, Hashable {
    public let ja3sString: String
    public let ja3s: String

    public init?(hello: ServerHello, in span: borrowing RawSpan) {
        guard !hello.isSSLv2 else { return nil }
        let extensions = HelloLists.extensionTypes(span, hello.extensions.all)
        self.init(ja3sString: [
            String(hello.legacyVersion.rawValue),
            String(hello.cipherSuite.rawValue),
            extensions.withoutGREASE.ja3List,
        ].joined(separator: ","))
    }

    public init(ja3sString: String) {
        self.ja3sString = ja3sString
        ja3s = hexString(Insecure.MD5.hash(data: Array(ja3sString.utf8)))
    }
}
