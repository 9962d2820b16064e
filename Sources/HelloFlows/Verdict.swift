import HelloWire

/// Which side must change for early TLS to go away.
public enum Blame: UInt8, Sendable {
    case none
    case client      // offered nothing at or above the threshold: upgrade the client
    case server      // offered it, but the server chose lower: fix the server

    public var name: StaticString? {
        switch self {
        case .none: nil
        case .client: "client"
        case .server: "server"
        }
    }
}

/// The four cases other tools collapse, kept apart.
public enum Verdict: UInt8, Sendable, CaseIterable {
    case earlyTLSNegotiated        // negotiated below the threshold
    case earlyTLSOfferedUpgraded   // early versions offered, but the server chose the threshold or above
    case earlyOnlyRefused          // only early versions offered, and no ServerHello came
    case ok                        // threshold or above, nothing early offered
    case unknown                   // not enough seen to say

    public var name: StaticString {
        switch self {
        case .earlyTLSNegotiated: "early_tls_negotiated"
        case .earlyTLSOfferedUpgraded: "early_tls_offered_upgraded"
        case .earlyOnlyRefused: "early_only_refused"
        case .ok: "ok"
        case .unknown: "unknown"
        }
    }
}

/// Applies the early-TLS policy (default RFC 8996: below TLS 1.2 is early) to a session.
public struct EarlyTLSPolicy: Sendable {
    public var minimumVersion: TLSVersion

    public init(minimumVersion: TLSVersion = .tls12) {
        self.minimumVersion = minimumVersion
    }

    public func isEarly(_ version: TLSVersion) -> Bool { version < minimumVersion }

    /// Sets `earlyTLS`, `blame` and `verdict` from what the session recorded.
    public func judge(_ session: inout SessionRecord) {
        let offered = session.hasClientHello ? session.offered : nil
        // Without supported_versions a hello's lowest acceptable version is not on the
        // wire, so only an explicit list can show early versions offered alongside new ones.
        let offersEarly = offered.map { $0.fromSupportedVersions ? ($0.minimum.map(isEarly) ?? false) : ($0.maximum.map(isEarly) ?? false) } ?? false
        let offersModern = offered?.includes(atLeast: minimumVersion) ?? false
        session.earlyTLS = false
        session.blame = .none
        if let negotiated = session.negotiated {
            if isEarly(negotiated) {
                session.earlyTLS = true
                session.verdict = .earlyTLSNegotiated
                if offered != nil { session.blame = offersModern ? .server : .client }
            } else {
                session.verdict = offersEarly ? .earlyTLSOfferedUpgraded : .ok
            }
            return
        }
        if offered != nil && !offersModern {
            session.blame = .client
            session.verdict = session.status == .refused ? .earlyOnlyRefused : .unknown
            return
        }
        session.verdict = .unknown
    }
}
