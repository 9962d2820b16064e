/// Deep Security roles by port, and for some ports by SNI pattern: data, not code. The
/// listener is the endpoint on `port` (whichever side sent the ClientHello: Deep Security
/// runs TLS "backwards" on some ports), the peer is the other endpoint.
public struct RoleRule: Sendable, Equatable, Codable {
    /// The session's role name in the JSON (`agent`, `manager_console` ...).
    public var role: String
    public var port: UInt16
    /// SNI patterns (`*` matches one or more labels' characters); empty means any SNI.
    public var sni: [String]
    /// What the endpoint on `port` is, and what the other endpoint is.
    public var listener: String
    public var peer: String
    public var description: String?

    public init(role: String, port: UInt16, sni: [String] = [], listener: String, peer: String, description: String? = nil) {
        self.role = role
        self.port = port
        self.sni = sni
        self.listener = listener
        self.peer = peer
        self.description = description
    }
}

public struct RoleTable: Sendable {
    public private(set) var rules: [RoleRule]
    /// Index of the catch-all role `other`, always present and always last.
    public let otherIndex: Int
    private var patterns: [[NamePattern]]
    /// Each rule's port (`firstRule`).
    private let ports: [UInt16]

    public static let deepSecurityDefaults: [RoleRule] = [
        RoleRule(role: "agent", port: 4118, listener: "agent", peer: "manager",
                 description: "manager to agent/appliance commands"),
        RoleRule(role: "manager_console", port: 4119, listener: "manager", peer: "console_client",
                 description: "web console and REST/SOAP API"),
        RoleRule(role: "manager_heartbeat", port: 4120, listener: "manager", peer: "agent",
                 description: "agent heartbeats"),
        RoleRule(role: "relay", port: 4122, listener: "relay", peer: "agent_or_relay",
                 description: "updates and software distribution"),
        RoleRule(role: "dsaas", port: 443,
                 sni: ["*.deepsecurity.trendmicro.com", "*.workload.*.cloudone.trendmicro.com", "workload.*.cloudone.trendmicro.com"],
                 listener: "dsaas", peer: "agent",
                 description: "Deep Security as a Service / Cloud One Workload Security"),
    ]

    public init(rules: [RoleRule] = RoleTable.deepSecurityDefaults) {
        self.rules = rules + [RoleRule(role: "other", port: 0, listener: "other", peer: "other")]
        otherIndex = self.rules.count - 1
        patterns = self.rules.map { rule in rule.sni.map { NamePattern(Array($0.lowercased().utf8)) } }
        ports = self.rules.map(\.port)
    }

    public struct Match: Sendable, Equatable {
        public var index: Int
        /// Whether the listener is the TLS server (else the TLS client is on the rule's port).
        public var listenerIsServer: Bool

        public init(index: Int, listenerIsServer: Bool) {
            self.index = index
            self.listenerIsServer = listenerIsServer
        }
    }

    /// The first rule whose port is the server's (else the client's) and whose SNI
    /// patterns, if any, match. Runs once per session, not per packet.
    /// Runs once per session on the thread that follows the packets: the name is borrowed,
    /// not copied, and lowercased only when a rule on the port has name patterns.
    public func classify(serverPort: UInt16, clientPort: UInt16, serverName: borrowing ShortBytes<255>) -> Match {
        withUnsafePointer(to: serverName) { classify(serverPort: serverPort, clientPort: clientPort, serverNameAt: $0) }
    }

    /// `classify`, reading the name where it lies. The tracker's session slot was written at
    /// the ClientHello and is cold by the ServerHello: handed over as a value, the name was
    /// copied (257 bytes, five cache misses) for every session, though only a port with name
    /// patterns (443) reads it.
    func classify(serverPort: UInt16, clientPort: UInt16, serverNameAt serverName: UnsafePointer<ShortBytes<255>>) -> Match {
        if let match = firstRule(port: serverPort, listenerIsServer: true, serverName) { return match }
        if let match = firstRule(port: clientPort, listenerIsServer: false, serverName) { return match }
        return Match(index: otherIndex, listenerIsServer: true)
    }

    /// The first rule on `port` that takes the name. Ports are read from an array of their
    /// own: the rules' strings made each look at a rule cost retains and releases.
    @inline(__always)
    private func firstRule(port: UInt16, listenerIsServer: Bool, _ serverName: UnsafePointer<ShortBytes<255>>) -> Match? {
        for index in 0 ..< otherIndex where ports[index] == port {
            if patterns[index].isEmpty || namesMatch(index, serverName) { return Match(index: index, listenerIsServer: listenerIsServer) }
        }
        return nil
    }

    /// Whether rule `index`'s patterns take the name, in any case. Most names are decided by
    /// a pattern's literal ends, read in place (`NamePattern.decides`); a pattern with two
    /// stars or more whose ends fit the name is matched on a lowered copy. Apart, because only
    /// a port with patterns needs it: the copy's 255 zeroed bytes were most of a session's
    /// classification (callgrind: about 250 instructions, with a port that has none), and
    /// lowering the name and matching every pattern from its first byte, about 570 on 443.
    @inline(never)
    private func namesMatch(_ index: Int, _ serverName: UnsafePointer<ShortBytes<255>>) -> Bool {
        var undecided = false
        let decided = serverName.pointee.withBytes { name in
            patterns[index].contains { pattern in
                guard let takes = pattern.decides(name) else {
                    undecided = true
                    return false
                }
                return takes
            }
        }
        guard !decided, undecided else { return decided }
        var lowered = InlineArray<255, UInt8>(repeating: 0)
        let count = serverName.pointee.count
        serverName.pointee.withBytes { name in
            for offset in 0 ..< name.count { lowered[offset] = asciiLowercased(name[offset]) }
        }
        return withUnsafeBytes(of: &lowered) { raw in
            let name = UnsafeBufferPointer(rebasing: raw.bindMemory(to: UInt8.self)[0 ..< count])
            return patterns[index].contains { $0.stars > 1 && Self.glob($0.bytes, name) }
        }
    }

    static func glob(_ pattern: [UInt8], _ text: [UInt8]) -> Bool {
        text.withUnsafeBufferPointer { glob(pattern, $0) }
    }

    /// `*` matches any run of one or more bytes; everything else matches itself. The name is
    /// the sender's to choose: a backtracking match tried every split at every star, so a
    /// pattern with k stars cost up to n^k steps on an n-byte name (n up to 255). Only the last
    /// star is ever taken back here, one byte longer each time: at most n × m steps. That
    /// suffices: a later star can absorb whatever an earlier one would have taken.
    static func glob(_ pattern: [UInt8], _ text: UnsafeBufferPointer<UInt8>) -> Bool {
        let star = UInt8(ascii: "*")
        var p = 0, t = 0
        var lastStar = -1, lastStarEnd = 0   // the last star seen, and where the text it takes ends
        while t < text.count {
            if p < pattern.count && pattern[p] == star {
                lastStar = p
                p += 1
                t += 1               // one byte at least
                lastStarEnd = t
            } else if p < pattern.count && pattern[p] == text[t] {
                p += 1
                t += 1
            } else if lastStar >= 0 {
                p = lastStar + 1     // the last star takes one byte more
                lastStarEnd += 1
                t = lastStarEnd
            } else {
                return false
            }
        }
        return p == pattern.count && t == text.count
    }

    public func roleName(_ index: Int) -> String { rules[index].role }

    /// An SNI pattern, lowercased, and the literal bytes at its ends: a name it takes begins
    /// with the bytes before its first star, ends with those after its last one, and is at
    /// least as long as the pattern (each star takes a byte or more). With one star that is
    /// all a match asks; without stars, the name is the pattern.
    struct NamePattern: Sendable {
        let bytes: [UInt8]
        let stars: Int
        private let head: Int
        private let tail: Int

        init(_ lowercased: [UInt8]) {
            bytes = lowercased
            let star = UInt8(ascii: "*")
            stars = lowercased.count { $0 == star }
            head = lowercased.firstIndex(of: star) ?? lowercased.count
            tail = lowercased.count - 1 - (lowercased.lastIndex(of: star) ?? -1)
        }

        /// Whether the pattern takes `name` (any case), or nil when only matching the whole
        /// pattern can tell (two stars or more, and the ends fit).
        func decides(_ name: UnsafeBufferPointer<UInt8>) -> Bool? {
            if stars == 0 { return name.count == bytes.count && same(name, at: 0, as: 0, count: bytes.count) }
            guard name.count >= bytes.count, same(name, at: 0, as: 0, count: head),
                  same(name, at: name.count - tail, as: bytes.count - tail, count: tail) else { return false }
            return stars == 1 ? true : nil
        }

        /// `count` bytes of `name` from `at`, lowered, are the pattern's from `patternAt`.
        private func same(_ name: UnsafeBufferPointer<UInt8>, at: Int, as patternAt: Int, count: Int) -> Bool {
            (0 ..< count).allSatisfy { asciiLowercased(name[at + $0]) == bytes[patternAt + $0] }
        }
    }

    /// The role of the TLS server and TLS client endpoints for a match.
    public func endpointRoles(_ match: Match) -> (server: String, client: String) {
        let rule = rules[match.index]
        return match.listenerIsServer ? (rule.listener, rule.peer) : (rule.peer, rule.listener)
    }
}
