import Foundation
import HelloFlows
import HelloWire

/// The figures of a posture report, computed once from the sessions of one or more runs and
/// their inventories. Does not render anything (see `PostureReport`) and does not re-judge a
/// session: `early_tls`, `early_tls_side` and `verdict` are taken as the analyzer wrote them.
public struct Posture: Sendable {
    public var sessions = 0
    public var earlyTLSSessions = 0
    /// Sessions with a ServerHello, and those of them at the threshold or above.
    public var negotiatedSessions = 0
    public var modernSessions = 0
    /// The threshold of the runs (`min_version` of the first inventory; TLSv1.2 without one).
    public var minimumVersion = "TLSv1.2"
    /// Service role → negotiated version (or status when nothing was negotiated) → sessions.
    public var versionsByRole: [String: [String: Int]] = [:]
    public var timeline = Timeline(sessions: [])
    /// Endpoints that must change, riskiest first.
    public var endpoints: [Endpoint] = []
    /// The inventories' counters summed in the analyzer's order; nil when no inventory was given.
    public var counters: [(name: String, value: Int)]?
    public var endpointsDropped = 0
    public var inputs: [String] = []
    /// Any session carries `ja3`, `ja4` or `label`: the endpoint table shows that column.
    public var hasFingerprints = false

    /// One endpoint to upgrade: an address in one role, blamed (`early_tls_side`) for early-TLS
    /// sessions or for early-only hellos that a server refused — as the inventory's `needs_action`.
    public struct Endpoint: Sendable {
        public var address: String
        public var role: String
        public var side: String
        public var sessions = 0
        /// Negotiated version (or `refused`) → sessions, over the sessions it is blamed for.
        public var versions: [String: Int] = [:]
        /// The oldest version it spoke (or, refused, the best it offered): what ranks it.
        public var worst: String?
        public var firstSeen: Date?
        public var lastSeen: Date?
        /// SNIs of those sessions (at most `maximumNamesKept`): they name a server, or a client's target.
        public var serverNames: Set<String> = []
        public var fingerprints: Set<String> = []
        public var labels: Set<String> = []
        /// The inventory's sentence for this endpoint, when an inventory was given.
        public var advice: String?

        /// An SNI is client-chosen: a hostile client could send a new one per session.
        public static let maximumNamesKept = 8

        /// 0 for SSLv2/SSLv3, 1 for TLS 1.0, 2 for TLS 1.1, 3 otherwise: lower is riskier.
        public var riskTier: Int {
            guard let worst, let version = TLSVersion(name: worst) else { return 3 }
            if version <= .sslv3 { return 0 }
            if version == .tls10 { return 1 }
            if version == .tls11 { return 2 }
            return 3
        }

        /// Risk tier, then more sessions first, then address for a stable order.
        static func riskier(_ lhs: Endpoint, _ rhs: Endpoint) -> Bool {
            (lhs.riskTier, -lhs.sessions, lhs.address, lhs.role) < (rhs.riskTier, -rhs.sessions, rhs.address, rhs.role)
        }
    }

    public init(sessions lines: [SessionLine], inventories: [InventoryDocument] = []) {
        if let threshold = inventories.lazy.compactMap(\.minVersion).first { minimumVersion = threshold }
        var endpointsByKey: [String: Endpoint] = [:]
        for line in lines {
            sessions += 1
            if line.earlyTLS == true { earlyTLSSessions += 1 }
            if line.version != nil {
                negotiatedSessions += 1
                if line.earlyTLS != true { modernSessions += 1 }
            }
            let column = line.version ?? line.status ?? "unknown"
            versionsByRole[line.role ?? "other", default: [:]][column, default: 0] += 1
            if line.ja3 != nil || line.ja4 != nil || line.label != nil { hasFingerprints = true }
            addBlame(line, to: &endpointsByKey)
        }
        timeline = Timeline(sessions: lines)

        var advice: [String: String] = [:]
        for document in inventories {
            inputs += document.inputs ?? []
            endpointsDropped += document.endpointsDropped ?? 0
            for endpoint in document.endpoints ?? [] {
                if let verdict = endpoint.verdict { advice[Self.key(endpoint.address, endpoint.role, endpoint.side)] = verdict }
            }
        }
        endpoints = endpointsByKey.map { key, endpoint in
            var endpoint = endpoint
            endpoint.advice = advice[key]
            return endpoint
        }.sorted(by: Endpoint.riskier)
        counters = Self.summedCounters(inventories)
    }

    private static func key(_ address: String, _ role: String, _ side: String) -> String { "\(address)|\(role)|\(side)" }

    private func addBlame(_ line: SessionLine, to endpoints: inout [String: Endpoint]) {
        guard let side = line.earlyTLSSide, side == "client" || side == "server",
              line.earlyTLS == true || line.verdict == "early_only_refused" else { return }
        let address = side == "client" ? line.client : line.server
        let role = (side == "client" ? line.clientRole : line.serverRole) ?? line.role ?? "other"
        let key = Self.key(address, role, side)
        var endpoint = endpoints[key] ?? Endpoint(address: address, role: role, side: side)
        endpoint.sessions += 1
        endpoint.versions[line.version ?? line.status ?? "unknown", default: 0] += 1
        if let spoken = line.version ?? line.clientMaxVersion,
           endpoint.worst.map({ Self.order(spoken, $0) }) ?? true {
            endpoint.worst = spoken
        }
        if let seen = line.ts.flatMap(parseTimestamp) {
            endpoint.firstSeen = min(endpoint.firstSeen ?? seen, seen)
            endpoint.lastSeen = max(endpoint.lastSeen ?? seen, seen)
        }
        if let name = line.sni, endpoint.serverNames.count < Endpoint.maximumNamesKept { endpoint.serverNames.insert(name) }
        if side == "client", let print = line.ja4 ?? line.ja3 { endpoint.fingerprints.insert(print) }
        if side == "client", let label = line.label { endpoint.labels.insert(label) }
        endpoints[key] = endpoint
    }

    /// Several runs: counters add up. Shown in the analyzer's own order, unknown names last.
    private static func summedCounters(_ inventories: [InventoryDocument]) -> [(name: String, value: Int)]? {
        let documents = inventories.compactMap(\.counters)
        guard !documents.isEmpty else { return nil }
        var sums: [String: Int] = [:]
        for document in documents { sums.merge(document, uniquingKeysWith: +) }
        let known = Counters().named.map(\.0)
        let names = known.filter { sums[$0] != nil } + sums.keys.filter { !known.contains($0) }.sorted()
        return names.map { ($0, sums[$0]!) }
    }

    /// Versions oldest first (TLSVersion's order), then statuses by name.
    static func order(_ lhs: String, _ rhs: String) -> Bool {
        switch (TLSVersion(name: lhs), TLSVersion(name: rhs)) {
        case let (l?, r?): l < r
        case (.some, nil): true
        case (nil, .some): false
        case (nil, nil): lhs < rhs
        }
    }

    public func counter(_ name: String) -> Int? { counters?.first { $0.name == name }?.value }
}

/// Sessions and early-TLS sessions per time bucket: a minute, an hour, or one or more days,
/// so that any span (even a hostile one, year 1 to 9999) stays within about 250 points.
/// Empty buckets are kept: a quiet hour reads as zero, not as a straight line across it.
public struct Timeline: Sendable {
    public struct Point: Sendable, Equatable {
        public var start: Date
        public var sessions: Int
        public var earlyTLS: Int
    }

    public var bucketSeconds = 60
    public var points: [Point] = []

    public var bucketName: String {
        switch bucketSeconds {
        case 60: "minute"
        case 3600: "hour"
        case 86400: "day"
        default: "\(bucketSeconds / 86400) days"
        }
    }

    public init(sessions lines: [SessionLine]) {
        let stamped = lines.compactMap { line in line.ts.flatMap(parseTimestamp).map { ($0, line.earlyTLS == true) } }
        guard let first = stamped.map(\.0).min(), let last = stamped.map(\.0).max() else { return }
        let span = last.timeIntervalSince(first)
        bucketSeconds = span <= 3 * 3600 ? 60 : span <= 10 * 86400 ? 3600 : 86400 * max(1, Int((span / 86400 / 250).rounded(.up)))
        let width = Double(bucketSeconds)
        let origin = (first.timeIntervalSince1970 / width).rounded(.down) * width
        func index(_ time: Date) -> Int { Int(((time.timeIntervalSince1970 - origin) / width).rounded(.down)) }
        points = (0 ... index(last)).map { Point(start: Date(timeIntervalSince1970: origin + Double($0) * width), sessions: 0, earlyTLS: 0) }
        for (time, early) in stamped {
            points[index(time)].sessions += 1
            if early { points[index(time)].earlyTLS += 1 }
        }
    }
}

/// RFC 3339 as the analyzer writes it (UTC, µs); also without fractional seconds.
func parseTimestamp(_ text: String) -> Date? {
    if let date = try? Date(text, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true)) { return date }
    return try? Date(text, strategy: Date.ISO8601FormatStyle())
}
