import HelloFingerprint
import HelloWire

/// Per endpoint and role: what it negotiated and offered, and what to do about it. Grows
/// by one entry per new endpoint (bounded by `maximumEndpoints`), never per packet.
public struct Inventory: Sendable {
    public struct Key: Hashable, Sendable, Comparable {
        public var address: IPAddress
        public var role: String        // endpoint role: agent, manager, relay, dsaas, other ...
        public var side: Side

        public static func < (lhs: Key, rhs: Key) -> Bool {
            (lhs.address, lhs.role, lhs.side.rawValue) < (rhs.address, rhs.role, rhs.side.rawValue)
        }
    }

    public enum Side: String, Sendable {
        case client, server
    }

    public struct Entry: Sendable {
        public var sessions = 0
        public var negotiated: [UInt16: Int] = [:]
        public var earlyTLSSessions = 0
        public var blamed = 0                 // early-TLS sessions this endpoint must fix
        public var refusedEarlyOnly = 0
        public var offeredMaximum: [UInt16: Int] = [:]   // as a client: highest offered → count
        public var lowestNegotiated: TLSVersion?
        public var firstSeenNanos: Int64 = .max
        public var lastSeenNanos: Int64 = .min
        public var peers: Set<IPAddress> = []
        public var serviceRoles: Set<String> = []
        public var ports: Set<UInt16> = []
        /// As a client: distinct fingerprints (JA4, else JA3) with what each offered.
        public var fingerprints: [String: ClientFingerprint] = [:]
        public var fingerprintsDropped = 0
        /// Cipher-audit finding name → sessions.
        public var cipherFindings: [String: Int] = [:]
    }

    public struct ClientFingerprint: Sendable {
        public var ja3: String?
        public var ja4: String?
        public var label: String?
        public var sessions = 0
        public var offeredMaximum: Set<UInt16> = []
    }

    /// Distinct fingerprints kept per endpoint: a NAT or jump host may show many stacks.
    public static let maximumFingerprintsKept = 32

    /// Bounds memory on a span port with millions of clients; later endpoints are counted.
    public var maximumEndpoints: Int
    public static let maximumPeersKept = 16
    public private(set) var entries: [Key: Entry] = [:]
    public private(set) var endpointsDropped = 0
    public let roles: RoleTable
    public let policy: EarlyTLSPolicy

    public let labels: FingerprintLabels

    public init(roles: RoleTable, policy: EarlyTLSPolicy, labels: FingerprintLabels = FingerprintLabels(),
                maximumEndpoints: Int = 1_000_000) {
        self.roles = roles
        self.policy = policy
        self.labels = labels
        self.maximumEndpoints = maximumEndpoints
    }

    /// `findings`: the cipher audit's finding names for this session (counted on both ends).
    public mutating func add(_ session: SessionRecord, findings: [String] = []) {
        let match = RoleTable.Match(index: session.roleIndex, listenerIsServer: session.roleListenerIsServer)
        let endpointRoles = roles.endpointRoles(match)
        let service = roles.roleName(session.roleIndex)
        update(Key(address: session.client, role: endpointRoles.client, side: .client), session, service: service,
               peer: session.server, port: session.serverPort, blamed: session.blame == .client, findings: findings)
        update(Key(address: session.server, role: endpointRoles.server, side: .server), session, service: service,
               peer: session.client, port: session.serverPort, blamed: session.blame == .server, findings: findings)
    }

    private mutating func update(_ key: Key, _ session: SessionRecord, service: String, peer: IPAddress, port: UInt16,
                                 blamed: Bool, findings: [String]) {
        if entries[key] == nil && entries.count >= maximumEndpoints {
            endpointsDropped += 1
            return
        }
        var entry = entries[key, default: Entry()]
        entry.sessions += 1
        if let version = session.negotiated {
            entry.negotiated[version.rawValue, default: 0] += 1
            if entry.lowestNegotiated.map({ version < $0 }) ?? true { entry.lowestNegotiated = version }
        }
        if session.earlyTLS { entry.earlyTLSSessions += 1 }
        if blamed && (session.earlyTLS || session.verdict == .earlyOnlyRefused) { entry.blamed += 1 }
        if session.verdict == .earlyOnlyRefused { entry.refusedEarlyOnly += 1 }
        if key.side == .client, session.hasClientHello, let maximum = session.offered.maximum {
            entry.offeredMaximum[maximum.rawValue, default: 0] += 1
        }
        entry.firstSeenNanos = min(entry.firstSeenNanos, session.firstSeenNanos)
        entry.lastSeenNanos = max(entry.lastSeenNanos, session.firstSeenNanos)
        if entry.peers.count < Self.maximumPeersKept { entry.peers.insert(peer) }
        entry.serviceRoles.insert(service)
        entry.ports.insert(port)
        for finding in findings { entry.cipherFindings[finding, default: 0] += 1 }
        if key.side == .client {
            let prints = session.fingerprints
            let ja3 = prints.ja3.isEmpty ? nil : prints.ja3.string
            let ja4 = prints.ja4.isEmpty ? nil : prints.ja4.string
            if let identity = ja4 ?? ja3 {
                if entry.fingerprints[identity] == nil && entry.fingerprints.count >= Self.maximumFingerprintsKept {
                    entry.fingerprintsDropped += 1
                } else {
                    var print = entry.fingerprints[identity, default: ClientFingerprint(ja3: ja3, ja4: ja4)]
                    print.label = labels.isEmpty ? nil : labels.label(ja3: ja3, ja4: ja4)
                    print.sessions += 1
                    if let maximum = session.offered.maximum, session.hasClientHello { print.offeredMaximum.insert(maximum.rawValue) }
                    entry.fingerprints[identity] = print
                }
            }
        }
        entries[key] = entry
    }

    /// True when the endpoint needs action.
    public func needsAction(_ entry: Entry) -> Bool { entry.blamed > 0 }

    /// A sentence a person can act on.
    public func verdict(for key: Key, _ entry: Entry) -> String {
        let threshold = policy.minimumVersion.name
        if key.side == .client {
            if entry.blamed > 0 {
                let highest = entry.offeredMaximum.keys.map { TLSVersion($0) }.min().map(\.name) ?? "an early version"
                var sentence = "offers at most \(highest) as a client: upgrade"
                if entry.refusedEarlyOnly > 0 {
                    sentence += " (refused \(entry.refusedEarlyOnly) times by servers requiring \(threshold)+)"
                }
                return sentence
            }
            if entry.earlyTLSSessions > 0 { return "offers \(threshold)+ but servers chose early TLS: see the servers" }
            return "ok: negotiates \(threshold) or later"
        }
        if entry.blamed > 0 {
            let lowest = entry.lowestNegotiated?.name ?? "early TLS"
            return "chose \(lowest) although clients offered \(threshold)+: fix the server's settings"
        }
        if entry.earlyTLSSessions > 0 { return "negotiates early TLS only because clients offer nothing newer: upgrade the clients" }
        if entry.negotiated.isEmpty { return "no negotiated session seen" }
        return "ok: negotiates \(threshold) or later"
    }
}
