import CPrefetch
#if canImport(Glibc)
import Glibc
#endif
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

    /// Compact on purpose: one per endpoint, and a span port shows hundreds of thousands
    /// of them; the small collections allocate only past their second member.
    public struct Entry: Sendable {
        public var sessions = 0
        public var negotiated = SmallCounts<UInt16>()
        public var earlyTLSSessions = 0
        public var blamed = 0                 // early-TLS sessions this endpoint must fix
        public var refusedEarlyOnly = 0
        public var offeredMaximum = SmallCounts<UInt16>()   // as a client: highest offered → count
        public var lowestNegotiated: TLSVersion?
        public var firstSeenNanos: Int64 = .max
        public var lastSeenNanos: Int64 = .min
        public var peers = SmallSet<IPAddress>()
        public var serviceRoles = SmallSet<String>()
        public var ports = SmallSet<UInt16>()
        /// As a client: distinct fingerprints (JA4, else JA3) with what each offered. The first
        /// is kept inline: most clients show one stack, and an array each cost ~170 bytes.
        public var fingerprints = SmallList<ClientFingerprint>()
        public var fingerprintsDropped = 0
        /// Cipher-audit finding name → sessions.
        public var cipherFindings = SmallCounts<String>()
    }

    /// A client stack's fingerprint, kept once in `stacks` however many endpoints show it.
    public struct StackFingerprint: Sendable {
        public private(set) var ja3Bytes = ShortBytes<32>()
        public private(set) var ja4Bytes = ShortBytes<40>()
        public internal(set) var label: String?

        init(_ prints: borrowing SessionFingerprints) {
            ja3Bytes = prints.ja3
            ja4Bytes = prints.ja4
        }

        public var ja3: String? { ja3Bytes.isEmpty ? nil : ja3Bytes.string }
        public var ja4: String? { ja4Bytes.isEmpty ? nil : ja4Bytes.string }

        /// Same identity as `prints`: the JA4 when there is one, else the JA3.
        func matches(_ prints: borrowing SessionFingerprints) -> Bool {
            if !ja4Bytes.isEmpty { return Self.same(ja4Bytes, prints.ja4) }
            if !prints.ja4.isEmpty { return false }
            return Self.same(ja3Bytes, prints.ja3)
        }

        /// A hash of the identity `matches` compares (FNV-1a over its bytes).
        static func identityHash(_ prints: borrowing SessionFingerprints) -> UInt64 {
            func fnv(_ bytes: UnsafeBufferPointer<UInt8>, seed: UInt64) -> UInt64 {
                var hash = seed
                for byte in bytes { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
                return hash
            }
            let basis: UInt64 = 0xcbf2_9ce4_8422_2325
            return prints.ja4.isEmpty ? prints.ja3.withBytes { fnv($0, seed: basis ^ 3) } : prints.ja4.withBytes { fnv($0, seed: basis ^ 4) }
        }

        private static func same<let capacity: Int>(_ lhs: ShortBytes<capacity>, _ rhs: ShortBytes<capacity>) -> Bool {
            guard lhs.count == rhs.count else { return false }
            // memcmp: the generic `elementsEqual` stepped an iterator per byte, 2 % of the output
            // thread on the handshake workload, where every session asks.
            return lhs.withBytes { left in
                rhs.withBytes { right in
                    guard let leftStart = left.baseAddress, let rightStart = right.baseAddress else { return true }
                    return memcmp(leftStart, rightStart, left.count) == 0
                }
            }
        }
    }

    /// One endpoint's use of a stack fingerprint: which one (`stacks[stack]`) and what it offered.
    public struct ClientFingerprint: Sendable {
        public let stack: Int32
        public var sessions = 0
        public var offeredMaximum = SmallSet<UInt16>()
    }

    /// Distinct fingerprints kept per endpoint: a NAT or jump host may show many stacks.
    public static let maximumFingerprintsKept = 32

    /// Bounds memory on a span port with millions of clients. Past it, new endpoints are
    /// counted, not listed, except those in an early-TLS session: the inventory exists to
    /// name those, so they may use a reserve of an eighth more.
    public let maximumEndpoints: Int
    public var earlyTLSReserve: Int { max(maximumEndpoints / 8, 1) }
    public static let defaultMaximumEndpoints = 262_144
    public static let maximumPeersKept = 16
    /// Endpoints in order of first appearance: `keys[i]` is `entries[i]`'s. Two dense arrays and
    /// an index of positions, not a dictionary of entries: a dictionary keeps a quarter to
    /// half of its buckets empty, and empty buckets of 200-byte entries cost more than the
    /// entries (200 k endpoints: ~70 MiB instead of ~140, and half again while it grows).
    public private(set) var keys: [Key] = []
    public private(set) var entries: [Entry] = []
    private var positions = EndpointIndex()
    /// Endpoints left out because the inventory was full (their sessions are still counted
    /// in the totals and written as JSON lines).
    public private(set) var endpointsDropped = 0
    /// Of those, endpoints in an early-TLS session that did not fit the reserve either.
    public private(set) var earlyTLSEndpointsDropped = 0
    public let roles: RoleTable
    public let policy: EarlyTLSPolicy

    public let labels: FingerprintLabels
    /// Distinct client fingerprints, each stored once; endpoints refer to them by position.
    /// They enter only when an endpoint keeps them, so there are at most
    /// `maximumFingerprintsKept` per endpoint, as before they were shared.
    public private(set) var stacks: [StackFingerprint] = []
    /// Position in `stacks` by `StackFingerprint.identityHash`; a taken hash that holds another
    /// fingerprint moves on to the next value (open addressing over the hash's range).
    private var stackPositions: [UInt64: Int32] = [:]

    public init(roles: RoleTable, policy: EarlyTLSPolicy, labels: FingerprintLabels = FingerprintLabels(),
                maximumEndpoints: Int = Inventory.defaultMaximumEndpoints) {
        self.roles = roles
        self.policy = policy
        self.labels = labels
        self.maximumEndpoints = max(maximumEndpoints, 1)
        // Room for every endpoint the cap allows, reserved once: the pages are touched only as
        // entries arrive, and the arrays never grow by copying (which held old and new copies
        // at once and cost a quarter of the handshake benchmark's inventory time).
        let room = min(self.maximumEndpoints + earlyTLSReserve, Self.reservedEndpoints)
        keys.reserveCapacity(room)
        entries.reserveCapacity(room)
    }

    /// Past this many endpoints the arrays grow as usual: a reservation is address space,
    /// and a very high cap should not claim gigabytes of it up front.
    static let reservedEndpoints = 1 << 21

    /// Starts loading what `add` will look up first for a session from `client`: `add` it
    /// a session or so later. Mutating though it changes nothing: called on an inventory held
    /// in a class's property (the output hub's), a non-mutating call copied the whole
    /// inventory for the call, retaining and releasing each of its collections, per session
    /// (5 % of the output thread on the handshake workload).
    public mutating func prefetchClient(_ client: IPAddress) {
        positions.prefetch(client, side: .client)
    }

    /// `findings`: the cipher audit's finding names for this session (counted on both ends).
    /// The session is `inout` only to be taken by address (see `SessionJSON.write`).
    public mutating func add(_ session: inout SessionRecord, findings: [String] = []) {
        let match = RoleTable.Match(index: session.roleIndex, listenerIsServer: session.roleListenerIsServer)
        let endpointRoles = roles.endpointRoles(match)
        let service = roles.roleName(session.roleIndex)
        update(Key(address: session.client, role: endpointRoles.client, side: .client), &session, service: service,
               peer: session.server, port: session.serverPort, blamed: session.blame == .client, findings: findings)
        update(Key(address: session.server, role: endpointRoles.server, side: .server), &session, service: service,
               peer: session.client, port: session.serverPort, blamed: session.blame == .server, findings: findings)
    }

    private mutating func update(_ key: Key, _ session: inout SessionRecord, service: String, peer: IPAddress, port: UInt16,
                                 blamed: Bool, findings: [String]) {
        let position: Int
        let (known, slot) = positions.find(key, in: keys)
        if let known {
            position = known
        } else {
            if entries.count >= maximumEndpoints {
                let needsAction = session.earlyTLS || session.verdict == .earlyOnlyRefused
                if !needsAction || entries.count >= maximumEndpoints + earlyTLSReserve {
                    endpointsDropped += 1
                    if needsAction { earlyTLSEndpointsDropped += 1 }
                    return
                }
            }
            position = entries.count
            keys.append(key)
            positions.insert(position, at: slot, keys: keys)
            entries.append(Entry())
        }
        // In place: a copy of the entry would copy each of its collections on write.
        Self.update(&entries[position], key: key, &session, service: service, peer: peer, port: port,
                    blamed: blamed, findings: findings)
        if key.side == .client { countFingerprint(&session, at: position) }
    }

    /// The session's client stack in the endpoint's list (and in `stacks`, if new and kept).
    private mutating func countFingerprint(_ session: inout SessionRecord, at position: Int) {
        // No `||` or `??` on the session: their autoclosures would copy all of it.
        let noJA3 = session.fingerprints.ja3.isEmpty, noJA4 = session.fingerprints.ja4.isEmpty
        guard !noJA3 || !noJA4 else { return }
        var hash = StackFingerprint.identityHash(session.fingerprints)
        var stack: Int32?
        while let known = stackPositions[hash] {
            if stacks[Int(known)].matches(session.fingerprints) {
                stack = known
                break
            }
            hash &+= 1
        }
        if let stack, let index = entries[position].fingerprints.firstIndex(where: { $0.stack == stack }) {
            Self.count(&entries[position].fingerprints[index], &session)
        } else if entries[position].fingerprints.count >= Self.maximumFingerprintsKept {
            entries[position].fingerprintsDropped += 1
        } else {
            let known: Int32
            if let stack { known = stack } else { known = addStack(session.fingerprints, at: hash) }
            var print = ClientFingerprint(stack: known)
            Self.count(&print, &session)
            entries[position].fingerprints.append(print)
        }
    }

    private static func update(_ entry: inout Entry, key: Key, _ session: inout SessionRecord, service: String, peer: IPAddress,
                               port: UInt16, blamed: Bool, findings: [String]) {
        entry.sessions += 1
        if let version = session.negotiated {
            entry.negotiated.add(version.rawValue)
            if entry.lowestNegotiated.map({ version < $0 }) ?? true { entry.lowestNegotiated = version }
        }
        if session.earlyTLS { entry.earlyTLSSessions += 1 }
        if blamed && (session.earlyTLS || session.verdict == .earlyOnlyRefused) { entry.blamed += 1 }
        if session.verdict == .earlyOnlyRefused { entry.refusedEarlyOnly += 1 }
        if key.side == .client, session.hasClientHello, let maximum = session.offered.maximum {
            entry.offeredMaximum.add(maximum.rawValue)
        }
        entry.firstSeenNanos = min(entry.firstSeenNanos, session.firstSeenNanos)
        entry.lastSeenNanos = max(entry.lastSeenNanos, session.firstSeenNanos)
        if entry.peers.count < Self.maximumPeersKept { entry.peers.insert(peer) }
        entry.serviceRoles.insert(service)
        entry.ports.insert(port)
        for finding in findings { entry.cipherFindings.add(finding) }
    }

    private mutating func addStack(_ prints: borrowing SessionFingerprints, at hash: UInt64) -> Int32 {
        var stack = StackFingerprint(prints)
        if !labels.isEmpty { stack.label = labels.label(ja3: stack.ja3, ja4: stack.ja4) }
        let position = Int32(stacks.count)
        stacks.append(stack)
        stackPositions[hash] = position
        return position
    }

    private static func count(_ print: inout ClientFingerprint, _ session: inout SessionRecord) {
        print.sessions += 1
        if let maximum = session.offered.maximum, session.hasClientHello { print.offeredMaximum.insert(maximum.rawValue) }
    }

    /// True when the endpoint needs action.
    public func needsAction(_ entry: Entry) -> Bool { entry.blamed > 0 }

    /// `needsAction` of the entry at `entry`, read where it lies.
    public func needsAction(_ entry: UnsafePointer<Entry>) -> Bool { needsAction(entry.pointee) }

    /// A sentence a person can act on.
    public func verdict(for key: Key, _ entry: Entry) -> String {
        var sentence = ""
        withUnsafePointer(to: entry) { entry in
            forEachVerdictPiece(for: key, entry) { piece in
                switch piece {
                case .text(let text): sentence += text.description
                case .version(let version): sentence += version.name
                case .count(let count): sentence += String(count)
                }
            }
        }
        return sentence
    }

    /// A piece of `verdict(for:_:)`'s sentence.
    public enum VerdictPiece {
        case text(StaticString)
        case version(TLSVersion)
        case count(Int)
    }

    /// `verdict(for:_:)`'s sentence, piece by piece: the inventory's JSON writes it without
    /// building a `String` per endpoint (that was a fifth of the writer's instructions).
    public func forEachVerdictPiece(for key: Key, _ entry: UnsafePointer<Entry>, _ body: (VerdictPiece) -> Void) {
        let threshold = policy.minimumVersion
        if key.side == .client {
            if entry.pointee.blamed > 0 {
                body(.text("offers at most "))
                if let highest = Self.lowest(of: entry.pointee.offeredMaximum) { body(.version(highest)) } else { body(.text("an early version")) }
                body(.text(" as a client: upgrade"))
                if entry.pointee.refusedEarlyOnly > 0 {
                    body(.text(" (refused "))
                    body(.count(entry.pointee.refusedEarlyOnly))
                    body(.text(" times by servers requiring "))
                    body(.version(threshold))
                    body(.text("+)"))
                }
                return
            }
            if entry.pointee.earlyTLSSessions > 0 {
                body(.text("offers "))
                body(.version(threshold))
                body(.text("+ but servers chose early TLS: see the servers"))
                return
            }
        } else {
            if entry.pointee.blamed > 0 {
                body(.text("chose "))
                if let lowest = entry.pointee.lowestNegotiated { body(.version(lowest)) } else { body(.text("early TLS")) }
                body(.text(" although clients offered "))
                body(.version(threshold))
                body(.text("+: fix the server's settings"))
                return
            }
            if entry.pointee.earlyTLSSessions > 0 { return body(.text("negotiates early TLS only because clients offer nothing newer: upgrade the clients")) }
            if entry.pointee.negotiated.isEmpty { return body(.text("no negotiated session seen")) }
        }
        body(.text("ok: negotiates "))
        body(.version(threshold))
        body(.text(" or later"))
    }

    /// The lowest of the versions counted, the first of equals as they iterate; without the
    /// array `keys` makes.
    private static func lowest(of versions: SmallCounts<UInt16>) -> TLSVersion? {
        var lowest: TLSVersion?
        versions.forEachKey { code in
            let version = TLSVersion(code)
            if lowest.map({ version < $0 }) ?? true { lowest = version }
        }
        return lowest
    }
}

/// Where each inventory key sits in `Inventory.keys`: open addressing over 4-byte positions,
/// at most half full. A `[Key: Int32]` kept a copy of every 40-byte key and hashed the
/// role's string with SipHash twice per session; here the hash mixes the address and side
/// only (an address rarely shows more than one role), and the keys are compared where they
/// already are. 200 k endpoints: 2 MiB instead of 23. Seeded per process, as `Hasher` is:
/// addresses are the sender's choice, and slots never decide any output's order.
struct EndpointIndex {
    private var slots: [Int32] = Array(repeating: -1, count: 1024)
    private var count = 0
    private let seed = UInt64.random(in: .min ... .max)

    /// The key's position, or nil and the slot where it would go.
    func find(_ key: Inventory.Key, in keys: [Inventory.Key]) -> (position: Int?, slot: Int) {
        let mask = slots.count - 1
        var slot = Int(truncatingIfNeeded: hash(key)) & mask
        while true {
            let position = slots[slot]
            if position < 0 { return (nil, slot) }
            if keys[Int(position)] == key { return (Int(position), slot) }
            slot = (slot + 1) & mask
        }
    }

    /// Records `position` (whose key is `keys[position]`) at the slot `find` gave.
    mutating func insert(_ position: Int, at slot: Int, keys: [Inventory.Key]) {
        slots[slot] = Int32(position)
        count += 1
        guard count * 2 > slots.count else { return }
        slots = Array(repeating: -1, count: slots.count * 2)
        let mask = slots.count - 1
        for (index, key) in keys.enumerated() {
            var slot = Int(truncatingIfNeeded: hash(key)) & mask
            while slots[slot] >= 0 { slot = (slot + 1) & mask }
            slots[slot] = Int32(index)
        }
    }

    /// Starts loading the slot where the probe for `address` on `side` begins: with many
    /// endpoints that load is a cache miss per session.
    func prefetch(_ address: IPAddress, side: Inventory.Side) {
        let slot = Int(truncatingIfNeeded: hash(address, side)) & (slots.count - 1)
        slots.withUnsafeBufferPointer { hs_prefetch_for_read($0.baseAddress! + slot) }
    }

    private func hash(_ key: Inventory.Key) -> UInt64 { hash(key.address, key.side) }

    private func hash(_ address: IPAddress, _ side: Inventory.Side) -> UInt64 {
        var hash = (address.high ^ seed) &* 0xff51_afd7_ed55_8ccd
        hash = (hash ^ (hash >> 32) ^ address.low) &* 0xc4ce_b9fe_1a85_ec53
        hash = (hash ^ (hash >> 29) ^ (side == .client ? 1 : 2)) &* 0xff51_afd7_ed55_8ccd
        return hash ^ (hash >> 32)
    }
}
