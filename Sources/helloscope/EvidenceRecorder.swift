import HelloCapture
import HelloFlows
import HelloWire

/// Holds the first packets of each TCP flow (SYN through the hellos) until the tracker
/// hands over that flow's session: an early-TLS session's packets go to the evidence files,
/// any other's are dropped. Needs no change to the tracker: it keys flows the way the
/// tracker does (`FlowKey` of the decoded segment) and finds the flow again from the
/// session's endpoints. One per worker, like the tracker; not thread-safe. Only exists
/// with `--evidence`.
///
/// Does not parse TLS or judge anything: the tracker's verdict decides.
final class EvidenceRecorder {
    struct Limits {
        /// SYN, SYN-ACK, ACK, both hellos, and a STARTTLS or CONNECT exchange before them.
        var packetsPerFlow = 16
        /// A ClientHello and a ServerHello flight with a certificate chain.
        var bytesPerFlow = 32 << 10
        /// Flows held at once; past it the oldest goes (counted if it held packets).
        var maximumFlows = 16_384
        /// Packet bytes held at once; past it the oldest flows go (counted).
        var maximumBytes = 32 << 20
        /// Longer than the tracker's idle timeout, so a flow the tracker ends late
        /// still finds its packets here.
        var idleNanos: Int64 = 300 * 1_000_000_000
    }

    /// When a full flow drops a packet, the connection's opening (SYN, SYN-ACK, ACK) stays
    /// and the oldest packet after it goes: the hellos come late in a STARTTLS flow.
    static let headPackets = 3
    /// Book-keeping bytes charged per packet on top of its bytes, for the memory bound.
    static let packetOverhead = 48

    private struct Entry {
        var key: FlowKey
        var serial: Int
        var linkType: Int32
        var lastSeenNanos: Int64
        var packets: [EvidencePacket] = []
        /// Packet bytes held (the memory bound also charges `packetOverhead` per packet).
        var bytes = 0
        /// The session is out: later packets of the flow are ignored.
        var decided = false
        var finFromLow = false
        var finFromHigh = false
    }

    let limits: Limits
    private let output: EvidenceOutput
    private var index: [FlowKey: Int] = [:]
    private var slots: [Entry?] = []
    private var freeSlots: [Int] = []
    /// (slot, serial) in the order flows started; stale pairs are skipped, and the queue
    /// is rebuilt when they pile up.
    private var order: [(slot: Int, serial: Int)] = []
    private var orderHead = 0
    private var nextSerial = 0
    private var heldBytes = 0
    private var lastSweepNanos: Int64 = 0
    /// The flow the last packet closed (RST, or FIN both ways): removed once the tracker
    /// has seen that packet too.
    private var closing: Int?

    init(limits: Limits, output: EvidenceOutput) {
        self.limits = limits
        self.output = output
    }

    var heldFlows: Int { index.count }

    /// Whether a session's packets are evidence: early TLS negotiated, or an early-only
    /// hello refused (the verdicts the inventory counts against an endpoint).
    static func isEvidence(_ session: SessionRecord) -> Bool {
        session.verdict == .earlyTLSNegotiated || session.verdict == .earlyOnlyRefused
    }

    // MARK: Packets (before the tracker sees them)

    func record(_ frame: UnsafeRawBufferPointer, decoder: FrameDecoder, timestampNanos: Int64, wireLength: Int) {
        tick(nowNanos: timestampNanos)
        guard case .segment(let segment) = decoder.decode(frame.bytes) else { return }
        let (key, fromLow) = FlowKey.of(segment)
        let slot: Int
        if let found = index[key] {
            slot = found
        } else {
            // Like the tracker: pure ACKs and FINs of flows never seen start nothing.
            guard !segment.payload.isEmpty || segment.flags.contains(.syn) else { return }
            slot = insert(key, linkType: decoder.linkType.rawValue, nowNanos: timestampNanos)
        }
        slots[slot]!.lastSeenNanos = timestampNanos
        if segment.flags.contains(.fin) {
            if fromLow { slots[slot]!.finFromLow = true } else { slots[slot]!.finFromHigh = true }
        }
        if segment.flags.contains(.rst) || (slots[slot]!.finFromLow && slots[slot]!.finFromHigh) { closing = slot }
        guard !slots[slot]!.decided, slots[slot]!.linkType == decoder.linkType.rawValue else { return }
        append(frame, wireLength: wireLength, timestampNanos: timestampNanos, to: slot)
    }

    /// After the tracker has processed the packet `record` saw: a flow it closed is forgotten.
    func settle() {
        guard let slot = closing else { return }
        closing = nil
        if let entry = slots[slot] { remove(slot, key: entry.key) }
    }

    /// Forgets flows idle for longer than the limit (looks at most once a second).
    func tick(nowNanos: Int64) {
        guard nowNanos - lastSweepNanos >= 1_000_000_000 || nowNanos < lastSweepNanos else { return }
        lastSweepNanos = nowNanos
        var idle: [Int] = []
        for (_, slot) in index where nowNanos - slots[slot]!.lastSeenNanos > limits.idleNanos { idle.append(slot) }
        for slot in idle { remove(slot, key: slots[slot]!.key) }
    }

    // MARK: Sessions (from the tracker's sink)

    func sessionEnded(_ session: SessionRecord) {
        var segment = TCPSegment()
        segment.source = session.client
        segment.destination = session.server
        segment.sourcePort = session.clientPort
        segment.destinationPort = session.serverPort
        segment.vlans = session.vlans
        let key = FlowKey.of(segment).key
        let wanted = Self.isEvidence(session)
        guard let slot = index[key], var entry = slots[slot], !entry.decided else {
            if wanted { output.noteMissing() }
            return
        }
        if wanted {
            if entry.packets.isEmpty { output.noteMissing() } else { output.write(entry.packets, linkType: entry.linkType) }
        }
        heldBytes -= Self.cost(of: entry)
        entry.packets = []
        entry.bytes = 0
        entry.decided = true
        slots[slot] = entry
    }

    // MARK: Storage

    private func insert(_ key: FlowKey, linkType: Int32, nowNanos: Int64) -> Int {
        while index.count >= limits.maximumFlows, evictOldest(sparing: nil) {}
        let entry = Entry(key: key, serial: nextSerial, linkType: linkType, lastSeenNanos: nowNanos)
        let slot: Int
        if let free = freeSlots.popLast() {
            slot = free
            slots[slot] = entry
        } else {
            slot = slots.count
            slots.append(entry)
        }
        index[key] = slot
        order.append((slot, nextSerial))
        nextSerial += 1
        if order.count - orderHead > 2 * limits.maximumFlows + 1024 { compactOrder() }
        return slot
    }

    private func append(_ frame: UnsafeRawBufferPointer, wireLength: Int, timestampNanos: Int64, to slot: Int) {
        var kept = min(frame.count, limits.bytesPerFlow)
        while let entry = slots[slot], entry.packets.count > Self.headPackets,
              entry.packets.count >= limits.packetsPerFlow || entry.bytes + kept > limits.bytesPerFlow {
            let dropped = slots[slot]!.packets.remove(at: Self.headPackets)
            slots[slot]!.bytes -= dropped.bytes.count
            heldBytes -= dropped.bytes.count + Self.packetOverhead
        }
        guard slots[slot]!.packets.count < limits.packetsPerFlow else { return }
        // A frame larger than what is left of the flow's share is cut, as a snap length would cut it.
        kept = min(kept, limits.bytesPerFlow - slots[slot]!.bytes)
        guard kept > 0 else { return }
        let cost = kept + Self.packetOverhead
        while heldBytes + cost > limits.maximumBytes, evictOldest(sparing: slot) {}
        guard heldBytes + cost <= limits.maximumBytes else { return }
        slots[slot]!.packets.append(EvidencePacket(timestampNanos: timestampNanos, wireLength: wireLength,
                                                   bytes: Array(UnsafeRawBufferPointer(rebasing: frame[0 ..< kept]))))
        slots[slot]!.bytes += kept
        heldBytes += cost
    }

    /// Removes the flow that started first (not `sparing`); false when there is none.
    private func evictOldest(sparing: Int?) -> Bool {
        while orderHead < order.count {
            let (slot, serial) = order[orderHead]
            orderHead += 1
            guard let entry = slots[slot], entry.serial == serial else { continue }
            if slot == sparing {
                order.append((slot, serial))   // now the youngest
                if orderHead == order.count - 1 { return false }
                continue
            }
            if !entry.packets.isEmpty { output.noteEvicted() }
            remove(slot, key: entry.key)
            return true
        }
        return false
    }

    private func remove(_ slot: Int, key: FlowKey) {
        heldBytes -= Self.cost(of: slots[slot]!)
        slots[slot] = nil
        index[key] = nil
        freeSlots.append(slot)
        if closing == slot { closing = nil }
    }

    private static func cost(of entry: Entry) -> Int { entry.bytes + entry.packets.count * packetOverhead }

    private func compactOrder() {
        order = order[orderHead...].filter { slots[$0.slot]?.serial == $0.serial }
        orderHead = 0
    }
}

/// The tracker's sink: each session to the hub (through the output thread when there is a
/// pipeline), then, in packet order, to the evidence recorder.
struct EvidenceSink: PooledSessionSink {
    let hub: OutputHub
    var pipeline: SessionPipeline?
    let recorder: EvidenceRecorder?

    /// The recorder first: once in the pipeline, the session is the output thread's.
    func accept(inPlace session: UnsafeMutablePointer<SessionRecord>, slot: Int32) -> Bool {
        recorder?.sessionEnded(session.pointee)
        guard let pipeline else {
            hub.accept(session)
            return false
        }
        return pipeline.append(session, slot: slot)
    }

    func returnSlots(to pool: inout SessionPool) -> Int { pipeline?.returnSlots(to: &pool) ?? 0 }

    var slotsKeptAtMost: Int { pipeline == nil ? 0 : SessionPipeline.slotsKeptAtMost }

    func drain() { pipeline?.finish() }
}
