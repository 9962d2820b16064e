import Crypto
import HelloWire

/// JA4 client fingerprint, per FoxIO's specification (BSD-3-Clause:
/// https://github.com/FoxIO-LLC/ja4/blob/main/technical_details/JA4.md):
///
///     t 13 d 15 16 h2 _ 8daaf6152771 _ e5627efa2ab1
///     │ │  │ │  │  │    │              └ SHA-256[:12] of sorted extensions (minus SNI and
///     │ │  │ │  │  │    │                ALPN) `_` signature algorithms in wire order
///     │ │  │ │  │  │    └ SHA-256[:12] of the sorted cipher suites
///     │ │  │ │  │  └ first and last character of the first ALPN value, "00" if none
///     │ │  │ │  └ extension count, └ cipher count (GREASE excluded, capped at 99)
///     │ │  └ "d" if the server_name extension is present, else "i"
///     │ └ highest non-GREASE supported_versions entry, else legacy_version
///     └ transport: always "t" here (HelloScope only reads TLS over TCP)
///
/// Lists are 4-digit lower-case hex joined by `,`; GREASE is dropped everywhere (counts,
/// lists, signature algorithms); an empty cipher or extension list hashes to
/// `000000000000`. `ja4Raw` (`ja4_r`) is the same without hashing; `ja4Original`
/// (`ja4_o`) and `ja4RawOriginal` (`ja4_ro`) keep wire order and keep SNI and ALPN in the
/// extension list.
///
/// Does not cover QUIC or DTLS (`q`/`d`), and does not fingerprint SSLv2-format
/// CLIENT-HELLOs (nil): the specification reads a TLS ClientHello, and FoxIO's tools skip
/// SSLv2 records. Not JA4S or any other JA4+ method: those are under the FoxIO License 1.1
/// (see the README).
public struct JA4: Sendable, Hashable {
    /// `t13d1516h2`: the readable first part.
    public let prefix: String
    /// `ja4`.
    public let ja4: String
    /// `ja4_r`: sorted lists, unhashed.
    public let ja4Raw: String
    /// Cipher suites, extension types and signature algorithms in wire order, GREASE
    /// removed: what `ja4Original` and `ja4RawOriginal` are made of.
    public let cipherSuites: [UInt16]
    public let extensionTypes: [UInt16]
    public let signatureAlgorithms: [UInt16]

    /// Fingerprints `hello`, decoded from `span`; nil for an SSLv2-format hello.
    public init?(hello: ClientHello, in span: borrowing RawSpan) {
        guard !hello.isSSLv2Format else { return nil }
        let lists = HelloLists(client: hello, in: span)
        let versions = HelloLists.uint16s(span, hello.extensions.supportedVersions).withoutGREASE
        let alpn = Self.firstALPN(span, hello.extensions.applicationProtocols)
        self.init(
            version: lists.extensionTypes.contains(ExtensionType.supportedVersions) && !versions.isEmpty
                ? versions.max()! : hello.legacyVersion.rawValue,
            cipherSuites: lists.cipherSuites,
            extensionTypes: lists.extensionTypes,
            signatureAlgorithms: HelloLists.uint16s(span, hello.extensions.signatureAlgorithms),
            alpnCharacters: Self.alpnCharacters(alpn)
        )
    }

    /// Builds the fingerprint from values already taken out of a hello (GREASE may still
    /// be in them). `version` is the one the specification picks: the highest non-GREASE
    /// supported_versions entry, else legacy_version. `alpnCharacters` is the two-character
    /// ALPN part (see `alpnCharacters(_:)`).
    public init(
        version: UInt16, cipherSuites: [UInt16], extensionTypes: [UInt16],
        signatureAlgorithms: [UInt16], alpnCharacters: String
    ) {
        self.cipherSuites = cipherSuites.withoutGREASE
        self.extensionTypes = extensionTypes.withoutGREASE
        self.signatureAlgorithms = signatureAlgorithms.withoutGREASE
        let hasServerName = self.extensionTypes.contains(ExtensionType.serverName)
        prefix = "t" + Self.versionCode(version) + (hasServerName ? "d" : "i")
            + Self.twoDigits(self.cipherSuites.count) + Self.twoDigits(self.extensionTypes.count)
            + alpnCharacters

        let sortedCiphers = self.cipherSuites.sorted().ja4List
        let sortedExtensions = self.extensionTypes
            .filter { $0 != ExtensionType.serverName && $0 != ExtensionType.applicationLayerProtocolNegotiation }
            .sorted().ja4List
        let extensionsPart = Self.withSignatures(sortedExtensions, self.signatureAlgorithms)
        ja4Raw = prefix + "_" + sortedCiphers + "_" + extensionsPart
        ja4 = prefix + "_" + Self.hash12(sortedCiphers) + "_" + Self.hash12(sortedExtensions, extensionsPart)
    }

    /// `ja4_ro`: wire order, SNI and ALPN kept, unhashed.
    public var ja4RawOriginal: String {
        prefix + "_" + cipherSuites.ja4List + "_" + Self.withSignatures(extensionTypes.ja4List, signatureAlgorithms)
    }

    /// `ja4_o`: `ja4RawOriginal` with its two lists hashed.
    public var ja4Original: String {
        let extensions = extensionTypes.ja4List
        return prefix + "_" + Self.hash12(cipherSuites.ja4List) + "_"
            + Self.hash12(extensions, Self.withSignatures(extensions, signatureAlgorithms))
    }

    // MARK: Pieces, each as the specification words it

    /// `13`, `12`, `11`, `10`, `s3`, `s2` (and DTLS `d1`, `d2`, `d3`); `00` for anything
    /// else, TLS 1.3 drafts included (the "highest" entry is the numerically highest, so a
    /// hello offering draft 0x7f1c beside 0x0304 gets `00`, as FoxIO's tools give it).
    public static func versionCode(_ version: UInt16) -> String {
        switch version {
        case 0x0304: "13"
        case 0x0303: "12"
        case 0x0302: "11"
        case 0x0301: "10"
        case 0x0300: "s3"
        case 0x0002: "s2"
        case 0xfeff: "d1"
        case 0xfefd: "d2"
        case 0xfefc: "d3"
        default: "00"
        }
    }

    /// The first ALPN value's first and last characters when both are ASCII letters or
    /// digits; otherwise the first and last hex digits of the value's hex form (so
    /// `0x30 0xAB` gives `3b`); `00` when there is no ALPN or the first value is empty.
    /// A one-byte value supplies both characters.
    public static func alpnCharacters(_ value: [UInt8]?) -> String {
        guard let value, let first = value.first, let last = value.last else { return "00" }
        if isAlphanumeric(first) && isAlphanumeric(last) {
            return String(decoding: [first, last], as: UTF8.self)
        }
        return String(hexString([first]).first!) + String(hexString([last]).last!)
    }

    private static func isAlphanumeric(_ byte: UInt8) -> Bool {
        (0x30 ... 0x39).contains(byte) || (0x41 ... 0x5a).contains(byte) || (0x61 ... 0x7a).contains(byte)
    }

    /// The first ProtocolName of an ALPN ProtocolNameList (RFC 7301 §3.1), nil if none.
    static func firstALPN(_ span: borrowing RawSpan, _ list: Range<Int>?) -> [UInt8]? {
        guard let list, !list.isEmpty else { return nil }
        let length = Int(span.loadUInt8(list.lowerBound))
        // `HelloExtensions` checked that every entry of the list fits inside it.
        guard length > 0, list.lowerBound + 1 + length <= list.upperBound else { return nil }
        return (list.lowerBound + 1 ..< list.lowerBound + 1 + length).map { span.loadUInt8($0) }
    }

    private static func twoDigits(_ count: Int) -> String {
        let capped = min(count, 99)
        return capped < 10 ? "0" + String(capped) : String(capped)
    }

    /// `extensions_signatures`, or just `extensions` when there are no signature algorithms.
    private static func withSignatures(_ extensions: String, _ signatures: [UInt16]) -> String {
        signatures.isEmpty ? extensions : extensions + "_" + signatures.ja4List
    }

    /// First 12 hex digits of SHA-256(`text`); `000000000000` when `list` (the part whose
    /// emptiness counts: the cipher list, or the extension list before the signatures)
    /// is empty.
    static func hash12(_ list: String, _ text: String? = nil) -> String {
        guard !list.isEmpty else { return "000000000000" }
        let digest = SHA256.hash(data: Array((text ?? list).utf8))
        return String(hexString(digest).prefix(12))
    }
}
