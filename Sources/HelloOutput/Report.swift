import CPrefetch
import Dispatch
import HelloFlows
import HelloWire

/// Sessions counted by service role and by negotiated version (or status), for the summary.
public struct VersionTally: Sendable {
    /// Sessions by role name, then by column (version or status name).
    public var counts: [String: [String: Int]] {
        var counts: [String: [String: Int]] = [:]
        for (cell, tally) in cells { counts[tally.role, default: [:]][cell.column, default: 0] += tally.sessions }
        return counts
    }

    public var columns: Set<String> { Set(cells.keys.map(\.column)) }

    /// Counted by role index and version code or status, and named only when read: per
    /// session one small struct is hashed, where a column name was made and two strings hashed.
    private var cells: [Cell: Sessions] = [:]

    private struct Sessions: Sendable {
        var role: String
        var sessions: Int
    }

    private struct Cell: Hashable, Sendable {
        var roleIndex: Int
        var negotiated: UInt16?
        var status: SessionStatus

        var column: String { negotiated.map { TLSVersion($0).name } ?? status.name.description }
    }

    public init() {}

    public private(set) var findings: [String: Int] = [:]

    /// The session is `inout` only to be taken by address (see `SessionJSON.write`).
    public mutating func add(_ session: inout SessionRecord, roles: RoleTable, findings names: [String] = []) {
        for name in names { findings[name, default: 0] += 1 }
        // The status only names a column when no version was negotiated.
        let cell = Cell(roleIndex: session.roleIndex, negotiated: session.negotiated?.rawValue,
                        status: session.negotiated == nil ? session.status : .negotiated)
        if let index = cells.index(forKey: cell) {
            cells.values[index].sessions += 1
        } else {
            cells[cell] = Sessions(role: roles.roleName(session.roleIndex), sessions: 1)
        }
    }

    /// Versions oldest first, then statuses.
    public var orderedColumns: [String] {
        columns.sorted { lhs, rhs in
            let l = TLSVersion(name: lhs), r = TLSVersion(name: rhs)
            switch (l, r) {
            case let (l?, r?): return l < r
            case (_?, nil): return true
            case (nil, _?): return false
            default: return lhs < rhs
            }
        }
    }
}

/// The inventory as a JSON document: endpoints that need action first. Written whole (`write`),
/// or in parts that can be written apart: the head, the endpoints in runs of the document's
/// order (`analyze` writes them on two threads, a run each at a time), and the tail. Each part
/// in a buffer of its own, put one after the other, makes the same bytes as `write`.
public struct InventoryDocument: Sendable {
    private let inventory: Inventory
    private let counters: Counters
    private let inputs: [String]
    /// Positions in `inventory`'s entries, in the document's order (`endpointOrder`).
    private let order: [Int]
    public var endpointCount: Int { order.count }
    /// The size of the pieces `writeEndpoints` hands to `emit`.
    public static let piece = 1 << 16
    /// How many endpoints ahead `writeEndpoints` fetches an entry.
    static let lookahead = 4

    public init(_ inventory: Inventory, counters: Counters, inputs: [String]) {
        self.inventory = inventory
        self.counters = counters
        self.inputs = inputs
        order = endpointOrder(inventory)
    }

    /// The whole document, handed to `emit` in pieces of about `piece` bytes (a million
    /// endpoints make hundreds of MiB of JSON, which should not sit in memory at once); `emit`
    /// takes the bytes and empties the buffer.
    public func write(emit: (inout JSONBytes) -> Void) {
        var out = JSONBytes(capacity: Self.piece + (1 << 12))
        writeHead(into: &out)
        writeEndpoints(0 ..< endpointCount, into: &out, emit: emit)
        writeTail(into: &out)
        emit(&out)
    }

    /// Everything before the first endpoint.
    public func writeHead(into out: inout JSONBytes) {
        out.beginObject()
        out.key("generated_by"); out.quotedStatic("helloscope")
        out.key("min_version"); out.quotedVersion(inventory.policy.minimumVersion)
        out.beginArray("inputs")
        for input in inputs { out.element(); quote(input, &out) }
        out.endArray()
        out.int("endpoints_to_upgrade", inventory.entries.withUnsafeBufferPointer { entries in
            entries.indices.count { inventory.needsAction(entries.baseAddress! + $0) }
        })
        out.int("endpoints_dropped", inventory.endpointsDropped)
        out.int("early_tls_endpoints_dropped", inventory.earlyTLSEndpointsDropped)
        out.int("max_endpoints", inventory.maximumEndpoints)
        out.beginArray("endpoints")
    }

    /// The endpoints at `range` of the document's order; in a buffer of its own, one that does
    /// not start the list begins with its comma. Hands `out` to `emit` whenever it holds a
    /// `piece`.
    public func writeEndpoints(_ range: Range<Int>, into out: inout JSONBytes, emit: (inout JSONBytes) -> Void = { _ in }) {
        if range.lowerBound > 0 { out.continueList() }
        let keys = inventory.keys
        // Entries are read where they lie: a copy of one (`entries[index]`) retained and
        // released its half-dozen collections, a ninth of the writer's instructions.
        inventory.entries.withUnsafeBufferPointer { entries in
            keys.withUnsafeBufferPointer { keys in
                for at in range {
                    // The document's order is not the order the endpoints came in: each entry is a
                    // miss, so the one a few endpoints ahead is fetched meanwhile.
                    if at + Self.lookahead < range.upperBound {
                        let ahead = order[at + Self.lookahead]
                        hs_prefetch_for_read(keys.baseAddress! + ahead)
                        let entry = UnsafeRawPointer(entries.baseAddress! + ahead)
                        for offset in stride(from: 0, to: MemoryLayout<Inventory.Entry>.size, by: 64) { hs_prefetch_for_read(entry + offset) }
                    }
                    if out.count >= Self.piece { emit(&out) }
                    let index = order[at]
                    writeEndpoint(keys[index], entries.baseAddress! + index, of: inventory, into: &out)
                }
            }
        }
    }

    /// Everything after the last endpoint.
    public func writeTail(into out: inout JSONBytes) {
        out.endArray()
        out.key("counters")
        out.beginObject()
        for (name, value) in counters.named {
            out.key(dynamic: name)
            out.number(value)
        }
        out.endObject()
        out.endObject()
        out.byte(UInt8(ascii: "\n"))
    }
}

/// One endpoint of the inventory document. `out` comes in as a parameter, not captured from
/// the caller: the closures below captured the caller's variable, and each call into one
/// checked exclusive access at run time (`swift_beginAccess`, a tenth of the writer).
private func writeEndpoint(_ key: Inventory.Key, _ entry: UnsafePointer<Inventory.Entry>, of inventory: Inventory,
                           into out: inout JSONBytes) {
    out.element()
    out.beginObject()
    out.address("address", key.address)
    out.key("role"); quote(key.role, &out)
    out.key("side"); out.quotedStatic(key.side == .client ? "client" : "server")
    out.beginArray("services")
    entry.pointee.serviceRoles.forEachSorted { service in out.element(); quote(service, &out) }
    out.endArray()
    out.beginArray("ports")
    entry.pointee.ports.forEachSorted { port in out.element(); out.number(Int(port)) }
    out.endArray()
    out.int("sessions", entry.pointee.sessions)
    writeVersionCounts("negotiated", entry.pointee.negotiated, into: &out)
    if key.side == .client {
        writeVersionCounts("offered_max", entry.pointee.offeredMaximum, into: &out)
        out.beginArray("fingerprints")
        // Most clients show one stack: no sorted copy for it.
        if entry.pointee.fingerprints.count > 1 {
            for print in entry.pointee.fingerprints.sorted(by: { $0.sessions > $1.sessions }) {
                writeFingerprint(print, inventory.stacks[Int(print.stack)], into: &out)
            }
        } else {
            for print in entry.pointee.fingerprints { writeFingerprint(print, inventory.stacks[Int(print.stack)], into: &out) }
        }
        out.endArray()
    }
    out.key("cipher_findings")
    out.beginObject()
    entry.pointee.cipherFindings.forEachSorted(by: <) { name, count in
        out.key(dynamic: name)
        out.number(count)
    }
    out.endObject()
    out.int("early_tls_sessions", entry.pointee.earlyTLSSessions)
    out.int("refused_early_only", entry.pointee.refusedEarlyOnly)
    out.bool("needs_action", inventory.needsAction(entry))
    out.key("verdict")
    out.openString()
    inventory.forEachVerdictPiece(for: key, entry) { piece in
        switch piece {
        case .text(let text): out.appendStatic(text)
        case .version(let version): out.versionName(version)
        case .count(let count): out.number(count)
        }
    }
    out.closeString()
    out.timestamp("first_seen", nanos: entry.pointee.firstSeenNanos)
    out.timestamp("last_seen", nanos: entry.pointee.lastSeenNanos)
    out.beginArray("peers")
    entry.pointee.peers.forEachSorted { peer in out.element(); out.quotedAddress(peer) }
    out.endArray()
    out.endObject()
}

/// `{"TLSv1.2": 3, ...}`, the versions in increasing order.
private func writeVersionCounts(_ key: StaticString, _ counts: SmallCounts<UInt16>, into out: inout JSONBytes) {
    out.key(key)
    out.beginObject()
    counts.forEachSorted(by: { TLSVersion($0) < TLSVersion($1) }) { code, count in
        out.versionKey(TLSVersion(code))
        out.number(count)
    }
    out.endObject()
}

private func writeFingerprint(_ print: Inventory.ClientFingerprint, _ stack: Inventory.StackFingerprint, into out: inout JSONBytes) {
    out.element()
    out.beginObject()
    out.text("ja4", stack.ja4Bytes)
    out.text("ja3", stack.ja3Bytes)
    if let label = stack.label { out.key("label"); quote(label, &out) } else { out.null("label") }
    out.int("sessions", print.sessions)
    out.beginArray("offered_max")
    print.offeredMaximum.forEachSorted(by: { TLSVersion($0) < TLSVersion($1) }) { code in
        out.element(); out.quotedVersion(TLSVersion(code))
    }
    out.endArray()
    out.endObject()
}

/// The positions of the inventory's endpoints in the order the document lists them: those that
/// need action first, then by key (`Inventory.Key.<`). Compared as integers, the role by its
/// rank among the role names: comparing the keys themselves copied each and compared its role
/// String, 5 000 instructions an endpoint. Positions, not a sorted copy of the entries: a copy
/// would double the inventory's memory.
func endpointOrder(_ inventory: Inventory) -> [Int] {
    let keys = inventory.keys, entries = inventory.entries
    var roleNames: [String] = []   // a handful: the role table's names
    var roleOfKey = [UInt32](repeating: 0, count: keys.count)
    for (position, key) in keys.enumerated() {
        if let known = roleNames.firstIndex(of: key.role) {
            roleOfKey[position] = UInt32(known)
        } else {
            roleOfKey[position] = UInt32(roleNames.count)
            roleNames.append(key.role)
        }
    }
    var rank = [UInt32](repeating: 0, count: roleNames.count)
    for (order, name) in roleNames.indices.sorted(by: { roleNames[$0] < roleNames[$1] }).enumerated() { rank[name] = UInt32(order) }
    var places: [EndpointPlace] = []
    places.reserveCapacity(keys.count)
    for (position, key) in keys.enumerated() {
        // `Side`'s raw values ("client" < "server") order the sides.
        places.append(EndpointPlace(needsAction: inventory.needsAction(entries[position]), address: key.address,
                                    role: rank[Int(roleOfKey[position])], side: key.side == .client ? 0 : 1, position: position))
    }
    // Keys are distinct, so any sort gives this one order: the two halves are sorted at once on
    // two threads (the document is written after the last packet, with the other core idle),
    // then merged. 190 000 endpoints took 30 ms on one.
    guard places.count >= 1 << 14 else { return places.sorted().map { Int($0.position) } }
    let middle = places.count / 2
    places.withUnsafeMutableBufferPointer { buffer in
        let halves = SendableBuffer(buffer)
        DispatchQueue.concurrentPerform(iterations: 2) { half in
            var slice = UnsafeMutableBufferPointer(rebasing: halves.buffer[half == 0 ? 0 ..< middle : middle ..< halves.buffer.count])
            slice.sort()
        }
    }
    var order: [Int] = []
    order.reserveCapacity(places.count)
    var left = 0, right = middle
    while left < middle && right < places.count {
        if places[right] < places[left] { order.append(Int(places[right].position)); right += 1 } else { order.append(Int(places[left].position)); left += 1 }
    }
    for place in places[left ..< middle] { order.append(Int(place.position)) }
    for place in places[right...] { order.append(Int(place.position)) }
    return order
}

/// Where an endpoint goes in the document, as three words compared in turn: whether it needs
/// action (those that do first), its address (numerically, IPv4 as its mapped IPv6 form), its
/// role's rank among the role names, and its side.
private struct EndpointPlace: Comparable {
    private let first: UInt64, second: UInt64, third: UInt64
    let position: Int32

    init(needsAction: Bool, address: IPAddress, role: UInt32, side: UInt8, position: Int) {
        first = (needsAction ? 0 : 1 << 63) | address.high >> 1
        second = address.high << 63 | address.low >> 1
        third = address.low << 63 | UInt64(role) << 1 | UInt64(side)
        self.position = Int32(position)
    }

    static func < (lhs: EndpointPlace, rhs: EndpointPlace) -> Bool {
        (lhs.first, lhs.second, lhs.third) < (rhs.first, rhs.second, rhs.third)
    }

    static func == (lhs: EndpointPlace, rhs: EndpointPlace) -> Bool {
        (lhs.first, lhs.second, lhs.third) == (rhs.first, rhs.second, rhs.third)
    }
}

/// Lets the two sorting threads each take their half of one buffer: they never touch the same
/// element, and `concurrentPerform` returns only when both are done with it.
private struct SendableBuffer: @unchecked Sendable {
    let buffer: UnsafeMutableBufferPointer<EndpointPlace>
    init(_ buffer: UnsafeMutableBufferPointer<EndpointPlace>) { self.buffer = buffer }
}

func quote(_ text: String, _ out: inout JSONBytes) {
    var text = text
    text.withUTF8 { out.quotedBytes($0) }
}

/// The first `count` of `elements` in the order `areInIncreasingOrder` gives, equal ones in
/// the order they came: `sorted(by:).prefix(count)` without sorting them all. The summary
/// shows 20 of the endpoints to act on; sorting all 28 816 of the handshake benchmark's took
/// 200 M instructions (about 20 ms, one thread, after everything else had finished), this 12 M.
func smallest<Element>(_ count: Int, of elements: some Sequence<Element>,
                       by areInIncreasingOrder: (Element, Element) -> Bool) -> [Element] {
    guard count > 0 else { return [] }
    var kept: [Element] = []
    kept.reserveCapacity(count)
    for element in elements {
        if kept.count == count {
            // Most fall here: not before the last kept one.
            guard areInIncreasingOrder(element, kept[count - 1]) else { continue }
            kept.removeLast()
        }
        // After every kept one it does not precede, so equal ones keep their order.
        var position = kept.count
        while position > 0 && areInIncreasingOrder(element, kept[position - 1]) { position -= 1 }
        kept.insert(element, at: position)
    }
    return kept
}

/// The human summary: versions × roles, endpoints to act on, counters.
public func summaryText(tally: VersionTally, inventory: Inventory, counters: Counters, warnings: [String]) -> String {
    var lines: [String] = []
    let columns = tally.orderedColumns
    lines.append("TLS sessions by role and negotiated version (or status):")
    let roleWidth = max(8, (tally.counts.keys.map(\.count).max() ?? 0) + 2)
    func pad(_ text: String, _ width: Int) -> String { text + String(repeating: " ", count: max(0, width - text.count)) }
    let header = pad("role", roleWidth) + columns.map { pad($0, max($0.count, 5) + 2) }.joined()
    lines.append("  " + header)
    for role in tally.counts.keys.sorted() {
        let row = tally.counts[role]!
        lines.append("  " + pad(role, roleWidth) + columns.map { pad(String(row[$0] ?? 0), max($0.count, 5) + 2) }.joined())
    }
    if columns.isEmpty { lines.append("  (no TLS sessions)") }
    let actionable = inventory.keys.indices.filter { inventory.needsAction(inventory.entries[$0]) }
    lines.append("")
    lines.append("Endpoints to act on (early TLS, below \(inventory.policy.minimumVersion.name)): \(actionable.count)")
    // The full list is in the inventory; a terminal shows the first ones.
    let shown = 20
    if actionable.count > shown { lines.append("  (first \(shown); --inventory lists all)") }
    for index in smallest(shown, of: actionable, by: { inventory.keys[$0] < inventory.keys[$1] }) {
        let key = inventory.keys[index], entry = inventory.entries[index]
        lines.append("  \(key.address.description) [\(key.role), \(key.side.rawValue)] \(inventory.verdict(for: key, entry)); \(entry.earlyTLSSessions) early-TLS session(s)")
    }
    if !tally.findings.isEmpty {
        lines.append("")
        lines.append("Cipher findings (sessions):")
        for (name, count) in tally.findings.sorted(by: { $0.key < $1.key }) { lines.append("  \(name): \(count)") }
    }
    lines.append("")
    lines.append("Counters:")
    let counted = counters.named.filter { $0.1 != 0 || ["packets", "sessions", "early_tls_sessions", "flows"].contains($0.0) }
    for (name, value) in counted { lines.append("  \(name): \(value)") }
    if inventory.endpointsDropped > 0 {
        lines.append("warning: inventory full (--max-endpoints \(inventory.maximumEndpoints)): \(inventory.endpointsDropped) endpoint sightings"
            + " not listed, \(inventory.earlyTLSEndpointsDropped) of them in early-TLS sessions; every session is still counted above and in --json")
    }
    for warning in warnings { lines.append("warning: \(warning)") }
    return lines.joined(separator: "\n") + "\n"
}
