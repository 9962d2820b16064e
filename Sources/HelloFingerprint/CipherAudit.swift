import HelloWire

/// How bad a finding is. `high`: the session has no real confidentiality or integrity
/// (NULL, anonymous, EXPORT, RC4, single DES). `medium`: weak and deprecated but not broken
/// outright (3DES, MD5 MAC, CBC-SHA1 without forward secrecy, a server choosing worse than
/// offered). `low`: allowed by NIST SP 800-52r2 but not what a current server should pick.
public enum FindingSeverity: String, Sendable, Hashable, Comparable, CaseIterable {
    case low, medium, high

    private var order: Int { self == .low ? 0 : self == .medium ? 1 : 2 }
    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.order < rhs.order }
}

/// One cipher-audit result: a stable snake_case `name` for alerts and JSON, a severity,
/// and a sentence for people.
public struct CipherFinding: Sendable, Hashable {
    public let name: String
    public let severity: FindingSeverity
    /// The sentence, made only when asked for: most findings only count.
    public var text: String { explicitText ?? Self.sentence(name, suite: suite, offered: offered, forwardSecrecy: forwardSecrecy) }

    private let explicitText: String?
    private let suite: CipherSuite
    private let offered: CipherSuite?
    private let forwardSecrecy: Bool

    public init(name: String, severity: FindingSeverity, text: String) {
        self.name = name
        self.severity = severity
        explicitText = text
        suite = CipherSuite(0)
        offered = nil
        forwardSecrecy = false
    }

    init(name: String, severity: FindingSeverity, suite: CipherSuite, offered: CipherSuite? = nil, forwardSecrecy: Bool = false) {
        self.name = name
        self.severity = severity
        explicitText = nil
        self.suite = suite
        self.offered = offered
        self.forwardSecrecy = forwardSecrecy
    }

    private static func sentence(_ name: String, suite: CipherSuite, offered: CipherSuite?, forwardSecrecy: Bool) -> String {
        let chosen = suite.name
        switch name {
        case "null_encryption": return "\(chosen) sends application data unencrypted"
        case "anonymous_key_exchange": return "\(chosen) authenticates no one: open to a man in the middle"
        case "export_grade": return "\(chosen) is an EXPORT suite (40/56-bit keys or 512-bit exchange)"
        case "rc4": return "\(chosen) uses RC4, prohibited by RFC 7465"
        case "des": return "\(chosen) uses single DES (56-bit key)"
        case "triple_des": return "\(chosen) uses 3DES, 64-bit blocks (Sweet32)"
        case "md5_mac": return "\(chosen) authenticates records with HMAC-MD5"
        case "cbc_sha1_tls12":
            return "\(chosen) is CBC with HMAC-SHA1 under TLS 1.2, where AEAD suites are available"
                + (forwardSecrecy ? "" : ", and without forward secrecy")
        case "weaker_than_offered": return "server chose \(chosen) although the client offered \(offered?.name ?? "a stronger suite")"
        case "deep_security_not_strong":
            return "\(chosen) is outside Deep Security's strong cipher set (ECDHE-RSA with AES-GCM)"
        default: return "\(name): \(chosen)"
        }
    }
}

/// A coarse strength rank for comparing a server's choice with the client's offer.
/// AES-128 and AES-256, RSA and ECDSA authentication share a tier on purpose: a server
/// with an RSA certificate cannot pick an ECDSA suite, and that is no weakness.
public enum CipherStrength: Int, Sendable, Hashable, Comparable {
    /// NULL encryption, anonymous key exchange, EXPORT grade, single DES.
    case broken = 0
    case rc4
    case tripleDES
    /// CBC (or another non-AEAD cipher) with HMAC-SHA1 or MD5.
    case cbcSHA1
    /// CBC (or another non-AEAD cipher) with HMAC-SHA256/384 or another SHA-2-class MAC.
    case cbcSHA2
    /// AEAD with a key exchange lacking forward secrecy (static RSA, static (EC)DH, plain PSK).
    case aeadStaticKeyExchange
    case aeadDHE
    /// AEAD with ECDHE, and every TLS 1.3 AEAD suite.
    case aeadECDHE

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// What a cipher suite's registry name says about it, read from the name's tokens
/// (`TLS_<kx>_WITH_<cipher>_<mac>`, TLS 1.3's `TLS_<aead>_<hash>`, and the odd vendor
/// forms the registry also lists). Unknown codes, GREASE and signalling values (SCSVs)
/// have no traits.
public struct CipherTraits: Sendable, Hashable {
    public var isNullEncryption = false
    public var isAnonymous = false
    public var isExport = false
    public var isRC4 = false
    public var isSingleDES = false
    public var isTripleDES = false
    public var isMD5MAC = false
    public var isSHA1MAC = false
    public var isAEAD = false
    /// ECDHE, DHE, or a TLS 1.3 suite (whose key exchange is negotiated separately and is
    /// (EC)DHE unless a psk_ke resumption is used).
    public var hasForwardSecrecy = false
    public var isECDHE = false
    public var isTLS13 = false
    /// Needs TLS 1.2 or later (AEAD modes and SHA-256/384 PRF suites, RFC 5246 and later).
    public var needsTLS12 = false

    /// Nil for codes the registry does not name and for the SCSVs, which are not suites.
    /// A table look-up: the names are read once, not per session.
    public init?(_ suite: CipherSuite) {
        let packed = Self.registered[Int(suite.rawValue)]
        guard packed & Self.knownBit != 0 else { return nil }
        self.init(packed: packed)
    }

    private static let knownBit: UInt16 = 1 << 15

    /// Reads the registry's names into the traits table now rather than at the first session's
    /// audit: about 17 M instructions (4 to 5 ms), which `analyze` has a spare core do while
    /// the tracking thread starts. A thread that needs the table meanwhile waits for it.
    public static func loadRegistry() {
        _ = registered.count
    }

    /// Every code's traits as bits (bit 15: the registry names it), read from the
    /// registry names at first use.
    private static let registered: [UInt16] = {
        var table = [UInt16](repeating: 0, count: 1 << 16)
        for code in UInt16.min ... UInt16.max {
            let suite = CipherSuite(code)
            guard !suite.isGREASE, let registered = suite.registryName?.description,
                  !registered.hasSuffix("_SCSV") else { continue }
            table[Int(code)] = CipherTraits(registryName: registered).packed | knownBit
        }
        return table
    }()

    private var flags: [Bool] {
        [isNullEncryption, isAnonymous, isExport, isRC4, isSingleDES, isTripleDES, isMD5MAC, isSHA1MAC, isAEAD,
         hasForwardSecrecy, isECDHE, isTLS13, needsTLS12]
    }

    private var packed: UInt16 {
        flags.enumerated().reduce(0) { bits, flag in flag.element ? bits | 1 << flag.offset : bits }
    }

    private init(packed: UInt16) {
        func bit(_ index: Int) -> Bool { packed & 1 << index != 0 }
        isNullEncryption = bit(0); isAnonymous = bit(1); isExport = bit(2); isRC4 = bit(3); isSingleDES = bit(4)
        isTripleDES = bit(5); isMD5MAC = bit(6); isSHA1MAC = bit(7); isAEAD = bit(8); hasForwardSecrecy = bit(9)
        isECDHE = bit(10); isTLS13 = bit(11); needsTLS12 = bit(12)
    }

    private init(registryName registered: String) {
        let words = registered.split(separator: "_")
        let hasRegistryPrefix = words.first == "TLS" || words.first == "SSL"
        let kx: ArraySlice<Substring>
        let tokens: ArraySlice<Substring>
        if let with = words.firstIndex(of: "WITH") {
            kx = words[(hasRegistryPrefix ? 1 : 0) ..< with]
            tokens = words[(with + 1)...]
        } else if hasRegistryPrefix {
            // TLS 1.3 form: `TLS_<aead>_<hash>` (RFC 8446 §B.4), or RFC 9150's integrity-only
            // `TLS_SHA256_SHA256`.
            kx = []
            tokens = words.dropFirst()
            isTLS13 = true
        } else {
            // Vendor forms without a prefix (`ECDHE_SM4_GCM_SM3`) name the exchange first.
            kx = words.prefix(1)
            tokens = words.dropFirst()
        }
        let mac = tokens.last ?? ""

        isAnonymous = kx.contains("anon") || kx.contains("NULL")
        isExport = words.contains { $0.hasPrefix("EXPORT") } || tokens.contains("40") || tokens.contains("DES40")
        isNullEncryption = tokens.first == "NULL" || (isTLS13 && tokens.first?.hasPrefix("SHA") == true)
        isRC4 = tokens.contains("RC4")
        isTripleDES = tokens.contains("3DES")
        isSingleDES = tokens.contains("DES") || tokens.contains("DES40")
        isMD5MAC = mac == "MD5"
        isSHA1MAC = mac == "SHA" || mac == "SHA1"
        isAEAD = !isNullEncryption
            && (tokens.contains("GCM") || tokens.contains("CCM") || tokens.contains("POLY1305")
                || tokens.contains { $0.hasPrefix("MGM") })
        isECDHE = kx.contains("ECDHE") || (isTLS13 && isAEAD)
        hasForwardSecrecy = isECDHE || kx.contains("DHE") || kx.contains("IBSDH") || isTLS13
        needsTLS12 = isTLS13 || isAEAD || mac == "SHA256" || mac == "SHA384"
    }

    public var strength: CipherStrength {
        if isNullEncryption || isAnonymous || isExport || isSingleDES { return .broken }
        if isRC4 { return .rc4 }
        if isTripleDES { return .tripleDES }
        if isAEAD {
            if isECDHE { return .aeadECDHE }
            return hasForwardSecrecy ? .aeadDHE : .aeadStaticKeyExchange
        }
        return isSHA1MAC || isMD5MAC ? .cbcSHA1 : .cbcSHA2
    }

    /// Whether a server may choose this suite at `version`: TLS 1.3 suites only in 1.3,
    /// and only they; AEAD and SHA-256/384 suites from TLS 1.2 on.
    public func isUsable(at version: TLSVersion) -> Bool {
        let isTLS13Session = version >= .tls13 || version.isTLS13Draft
        if isTLS13Session { return isTLS13 }
        if isTLS13 { return false }
        return !needsTLS12 || version >= .tls12
    }
}

/// Judges the cipher suite a ServerHello chose, against the negotiated version and what
/// the ClientHello offered. Reads registry names (`CipherSuite.registryName`), so it knows
/// every suite tshark 4.0.17 names and says nothing about unnamed codes. Does not judge
/// the protocol version itself (that is `Verdict`'s job), key sizes, certificates or
/// curves: the hellos do not carry them.
public enum CipherAudit {
    /// The Deep Security 12.0+ "strong ciphers" set: ECDHE-RSA with AES-GCM
    /// (TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384, TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256).
    public static let deepSecurityStrongSuites: [CipherSuite] = [CipherSuite(0xc030), CipherSuite(0xc02f)]

    /// Whether `suite` at `version` is inside Deep Security's strong set; any TLS 1.3 suite
    /// in a TLS 1.3 session counts as strong.
    public static func isDeepSecurityStrong(version: TLSVersion, suite: CipherSuite) -> Bool {
        if deepSecurityStrongSuites.contains(suite) { return true }
        return (version == .tls13 || version.isTLS13Draft) && (CipherTraits(suite)?.isTLS13 ?? false)
    }

    /// The ClientHello's offered suites in wire order (GREASE and SCSVs included; the
    /// audit skips them). For an SSLv2-format hello, the 3-byte cipher specs whose first
    /// byte is 0 (the TLS suites an SSLv2-compatible hello offers), as 2-byte codes.
    public static func offeredSuites(hello: ClientHello, in span: borrowing RawSpan) -> [CipherSuite] {
        var suites: [CipherSuite] = []
        forEachOfferedSuite(hello: hello, in: span) { suites.append($0) }
        return suites
    }

    /// `offeredSuites` one by one, without building an array (the packet path's way).
    public static func forEachOfferedSuite(hello: ClientHello, in span: borrowing RawSpan, _ body: (CipherSuite) -> Void) {
        let width = hello.isSSLv2Format ? 3 : 2
        var offset = hello.cipherSuites.lowerBound
        while offset + width <= hello.cipherSuites.upperBound {
            if width == 2 {
                body(CipherSuite(span.loadUInt16(offset)))
            } else if span.loadUInt8(offset) == 0 {
                body(CipherSuite(span.loadUInt16(offset + 1)))
            }
            offset += width
        }
    }

    /// Findings for the negotiated `suite` at `version`, worst first (none for SSLv2). `offered` is the
    /// client's list (empty if the ClientHello was not seen: then no comparison is made).
    /// With `deepSecurityEndpoint`, a suite outside the strong set is a finding too.
    public static func audit(
        version: TLSVersion, suite: CipherSuite, offered: [CipherSuite] = [],
        deepSecurityEndpoint: Bool = false
    ) -> [CipherFinding] {
        audit(version: version, suite: suite, offered: { offered }, deepSecurityEndpoint: deepSecurityEndpoint)
    }

    /// `audit` with the offer made only when it can matter: nothing is stronger than an
    /// ECDHE AEAD suite, so for most sessions the list (an array per session) is not built.
    public static func audit(
        version: TLSVersion, suite: CipherSuite, offered: () -> [CipherSuite],
        deepSecurityEndpoint: Bool = false
    ) -> [CipherFinding] {
        var findings: [CipherFinding] = []
        // An SSLv2 SERVER-HELLO's cipher kind is not a TLS suite; the version verdict
        // already covers SSLv2.
        if version != .sslv2, let traits = CipherTraits(suite) {
            if traits.isNullEncryption { findings.append(.init(name: "null_encryption", severity: .high, suite: suite)) }
            if traits.isAnonymous { findings.append(.init(name: "anonymous_key_exchange", severity: .high, suite: suite)) }
            if traits.isExport { findings.append(.init(name: "export_grade", severity: .high, suite: suite)) }
            if traits.isRC4 { findings.append(.init(name: "rc4", severity: .high, suite: suite)) }
            if traits.isSingleDES { findings.append(.init(name: "des", severity: .high, suite: suite)) }
            if traits.isTripleDES { findings.append(.init(name: "triple_des", severity: .medium, suite: suite)) }
            if traits.isMD5MAC { findings.append(.init(name: "md5_mac", severity: .medium, suite: suite)) }
            if version == .tls12, traits.isSHA1MAC, !traits.isAEAD, traits.strength >= .cbcSHA1 {
                findings.append(.init(name: "cbc_sha1_tls12", severity: traits.hasForwardSecrecy ? .low : .medium,
                                      suite: suite, forwardSecrecy: traits.hasForwardSecrecy))
            }
            let chosen = traits.strength
            var best: (suite: CipherSuite, strength: CipherStrength)?
            for candidate in chosen < .aeadECDHE ? offered() : [] {
                guard let offeredTraits = CipherTraits(candidate), offeredTraits.isUsable(at: version) else { continue }
                let strength = offeredTraits.strength
                if best.map({ strength > $0.strength }) ?? true { best = (candidate, strength) }
            }
            if let best, best.strength > chosen {
                findings.append(.init(name: "weaker_than_offered", severity: traits.isAEAD ? .low : .medium,
                                      suite: suite, offered: best.suite))
            }
        }
        if deepSecurityEndpoint && !isDeepSecurityStrong(version: version, suite: suite) {
            findings.append(.init(name: "deep_security_not_strong", severity: .low, suite: suite))
        }
        if findings.count > 1 { findings.sort { $0.severity > $1.severity } }
        return findings
    }
}
