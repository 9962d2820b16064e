import CPrefetch
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import HelloWire

/// Where one direction of a flow stands in looking for its hello.
public enum DirectionPhase: UInt8, Sendable {
    case fresh       // no payload yet
    case records     // reading TLS records from `nextSequence`
    case preamble    // plaintext so far; watching segment starts for a hello
    case done        // nothing more to learn from this direction
}

/// The four-byte fields come first: mixed with the one-byte ones they padded this to 32
/// bytes instead of 24, and every flow holds two.
public struct DirectionState: Sendable {
    public var nextSequence: UInt32 = 0
    public var synSequence: UInt32 = 0
    public var buffer: Int32 = -1
    public var plaintextBytes: Int32 = 0
    public var segments: UInt16 = 0
    public var phase = DirectionPhase.fresh
    public var scannedBefore = false   // a scan already ran, so SSLv2 headers are no longer expected
    public var sawSyn = false
    public var sawFin = false

    public init() {}
}

/// One connection: its key, where each direction stands, and its session slot if a hello
/// was seen. A plain value in a preallocated table.
public struct FlowEntry: Sendable {
    public var key: FlowKey
    public var occupied = false
    public var finished = false
    /// TLS records were seen, but no hello: counted as mid-stream, not as "not TLS".
    public var midstream = false
    /// 0 unknown, 1 the low endpoint sent the ClientHello, 2 the high one did.
    public var clientSide: UInt8 = 0
    public var lastSeenSeconds: UInt32 = 0
    public var session: Int32 = -1
    public var preamble = PreambleKind.none
    public var low = DirectionState()
    public var high = DirectionState()

    init(key: FlowKey) { self.key = key }
}

/// Open-addressed (linear probing) table of flows with a hard entry cap, backward-shift
/// deletion (no tombstones, so probes stay short), and a clock hand that finds idle and
/// evictable entries a few slots per packet. Reserves its final size once, at creation, and
/// uses a growing prefix of it.
public struct FlowTable: ~Copyable {
    public let maximumFlows: Int
    /// Slots at the cap: load at most three quarters keeps linear probes short.
    public let finalSlotCount: Int
    /// Slots now. The table starts small and doubles as flows arrive, so its memory
    /// follows the flows open at once, not the cap.
    public private(set) var slotCount: Int
    private let entries: UnsafeMutablePointer<FlowEntry>
    private let reservedBytes: Int
    public private(set) var count = 0
    private var hand = 0
    public static let initialSlots = 4096
    /// From this size the table is a mapping of its own (see `reserveSlots`).
    static let mappedFromBytes = 4 << 20
    let hashKey: FlowHashKey

    private let pagesAhead: (any PagesAhead)?
    /// The slot count whose next growth `pagesAhead` was asked to back: once per size, though
    /// flows opening and closing take the count across half load again and again.
    private var backedAheadOf = 0

    /// `hashKey`: random unless a test needs to know where flows go. `pagesAhead`: backs the
    /// slots of the table's next growth before it grows (see `PagesAhead`).
    public init(maximumFlows: Int, hashKey: FlowHashKey = .random(), pagesAhead: (any PagesAhead)? = nil) {
        self.maximumFlows = max(maximumFlows, 1)
        self.hashKey = hashKey
        self.pagesAhead = pagesAhead
        finalSlotCount = self.maximumFlows + self.maximumFlows / 3 + 1
        slotCount = min(Self.initialSlots, finalSlotCount)
        reservedBytes = finalSlotCount * MemoryLayout<FlowEntry>.stride
        entries = Self.reserveSlots(bytes: reservedBytes)
        backSlots(from: 0)
    }

    /// Has the kernel back the slots from `first` to `slotCount` with writable pages now, in
    /// one call, before a probe reads them. Read first, an untouched page is mapped to the
    /// shared zero page; the insert's write then faults again to replace it, and that fault
    /// flushes the TLB of every CPU running this process with an interrupt: in a virtual
    /// machine, an exit on each. That is up to one such fault per page of the table (8 700 for
    /// the handshake workload's 34 MiB), most of them inside `grow` (perf: 114 of the tracking
    /// thread's samples in the flush alone).
    /// Only for a table with a mapping of its own; the kernel may refuse (before Linux 5.14),
    /// and then pages fault in as before.
    private func backSlots(from first: Int) {
        guard reservedBytes >= Self.mappedFromBytes else { return }
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let start = (first * MemoryLayout<FlowEntry>.stride) & ~(page - 1)
        let end = min((slotCount * MemoryLayout<FlowEntry>.stride + page - 1) & ~(page - 1), reservedBytes & ~(page - 1))
        guard end > start else { return }
        _ = madvise(UnsafeMutableRawPointer(entries) + start, end - start, MADV_POPULATE_WRITE)
    }

    /// Address space for the final table, in zeroed pages the kernel backs only when touched:
    /// a zeroed slot is an empty one (every field's zero is its empty value), and the slots
    /// past `slotCount` stay untouched until the table grows over them. A small table comes
    /// zeroed from the heap instead: a fresh mapping per table made its first packets fault its
    /// pages in where memory the allocator had recycled was ready (a tracker over `Captures/`,
    /// made anew per pass: 284 µs instead of 109 µs).
    ///
    /// Plain 4 KiB pages, not transparent huge pages: huge pages spared the probes TLB misses
    /// (0.05 s of the handshake run's user time), but on this machine a fresh huge page costs
    /// far more to back than its 512 small ones (`scripts/bench/fresh-pages.c`: 1.1 to 2.4 ms per
    /// MiB against 0.4 to 0.55), and the table's 34 MiB are touched once per run.
    private static func reserveSlots(bytes: Int) -> UnsafeMutablePointer<FlowEntry> {
        if bytes < mappedFromBytes {
            guard let raw = calloc(1, bytes) else { fatalError("cannot reserve the flow table (\(bytes) bytes)") }
            return raw.bindMemory(to: FlowEntry.self, capacity: bytes / MemoryLayout<FlowEntry>.stride)
        }
        let raw = mmap(nil, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0)
        guard let raw, raw != UnsafeMutableRawPointer(bitPattern: -1) else {
            fatalError("cannot reserve the flow table (\(bytes) bytes): \(String(cString: strerror(errno)))")
        }
        return raw.bindMemory(to: FlowEntry.self, capacity: bytes / MemoryLayout<FlowEntry>.stride)
    }

    deinit {
        if reservedBytes < Self.mappedFromBytes { free(entries) } else { munmap(entries, reservedBytes) }
    }

    /// Doubles the slots (straight to the final count once doubling would reach half of it)
    /// and moves every flow to its home in the larger prefix, in place. A home is the hash
    /// scaled to the slot count, so a flow's new home is at least its old one scaled up: going
    /// down from the top, each flow moves up into slots already settled, and only the rare
    /// flow whose new home is below slots not yet visited (a long probe run near slot 0) waits
    /// aside and goes in at the end. No second table: the pages a growth touches are the ones
    /// the larger table needs anyway (copying into a fresh table each time touched about
    /// 90 MB of new pages for a 35 MB final table). Slot numbers change: callers find their
    /// flow again afterwards.
    private mutating func grow() {
        let oldCount = slotCount
        slotCount = slotsAfterGrowth
        backSlots(from: oldCount)
        var waiting: [FlowEntry] = []
        var position = oldCount
        while position > 0 {
            position -= 1
            guard entries[position].occupied else { continue }
            let entry = entries[position]
            entries[position].occupied = false
            var slot = home(entry.key)
            // Below `position` lie flows not moved yet: a probe may not start or wrap there.
            while slot < slotCount && slot >= position && entries[slot].occupied { slot += 1 }
            if slot < position || slot == slotCount {
                waiting.append(entry)
            } else {
                (entries + slot).initialize(to: entry)
            }
        }
        for entry in waiting {
            var slot = home(entry.key)
            while entries[slot].occupied { slot = following(slot) }
            (entries + slot).initialize(to: entry)
        }
        hand = 0
    }

    @inline(__always)
    private func home(_ key: FlowKey) -> Int {
        home(placement: hashKey.placement(key))
    }

    /// Slots after the next `grow`.
    private var slotsAfterGrowth: Int { slotCount * 4 >= finalSlotCount ? finalSlotCount : slotCount * 2 }

    /// Maps a placement onto the slots without a power-of-two size (Lemire's multiply-shift).
    @inline(__always)
    private func home(placement: UInt32) -> Int {
        Int(truncatingIfNeeded: (UInt64(placement) &* UInt64(slotCount)) >> 32)
    }

    @inline(__always)
    private func following(_ slot: Int) -> Int {
        slot + 1 == slotCount ? 0 : slot + 1
    }

    public var isFull: Bool { count >= maximumFlows }

    /// Starts loading the cache lines of the entry where `key`'s probe begins: with many flows
    /// open the table is far larger than the caches, and that load is most of a packet's cost.
    /// `placement`: `hashKey.placement(key)`.
    @inline(__always)
    public func prefetch(placement: UInt32) {
        // An entry spans two or three cache lines: ask for all of them.
        let entry = UnsafeRawPointer(entries + home(placement: placement))
        hs_prefetch_for_write(entry)
        hs_prefetch_for_write(entry + 64)
        hs_prefetch_for_write(entry + MemoryLayout<FlowEntry>.size - 1)
        // And the next entry's key and `occupied`: at the load of a full table a look-up goes
        // on past its home about every other time, and that second step was a quarter of
        // `process`'s samples (handshakes, 15 alternating runs: user 1.95 to 1.78 s).
        hs_prefetch_for_write(entry + MemoryLayout<FlowEntry>.stride + MemoryLayout<FlowKey>.size)
    }

    /// The slot holding `key`, or where it would go.
    @inline(__always)
    public func find(_ key: FlowKey) -> (slot: Int, found: Bool) {
        find(key, placement: hashKey.placement(key))
    }

    /// `find` with the key's placement (`hashKey.placement(key)`) already worked out.
    @inline(__always)
    public func find(_ key: FlowKey, placement: UInt32) -> (slot: Int, found: Bool) {
        var slot = home(placement: placement)
        while true {
            let entry = entries + slot
            if !entry.pointee.occupied { return (slot, false) }
            if entry.pointee.key == key { return (slot, true) }
            slot = following(slot)
        }
    }

    /// How many slots `find(key)` looks at: 1 when the key's home holds it or is free.
    func probes(_ key: FlowKey) -> Int {
        let distance = find(key).slot - home(key)
        return (distance < 0 ? distance + slotCount : distance) + 1
    }

    /// Claims the free slot `find` returned, or another if the table had to grow first;
    /// returns the slot used. The caller must have made room first.
    public mutating func insert(_ key: FlowKey, at slot: Int) -> Int {
        precondition(!isFull && !entries[slot].occupied)
        var slot = slot
        if (count + 1) * 4 > slotCount * 3 && slotCount < finalSlotCount {
            grow()
            slot = find(key).slot
        } else if count * 2 >= slotCount, backedAheadOf != slotCount, slotCount < finalSlotCount,
                  reservedBytes >= Self.mappedFromBytes, let pagesAhead {
            // At half load, on the way to the next growth at three quarters: its new slots are
            // backed by the time it comes (`backSlots` then finds them backed).
            backedAheadOf = slotCount
            pagesAhead.back(entries, from: slotCount, count: slotsAfterGrowth - slotCount, capacity: finalSlotCount)
        }
        entries[slot] = FlowEntry(key: key)
        entries[slot].occupied = true
        count += 1
        return slot
    }

    @inline(__always)
    public func pointer(_ slot: Int) -> UnsafeMutablePointer<FlowEntry> { entries + slot }

    /// Empties `slot` and shifts later members of its probe run back (Knuth 6.4, Algorithm R).
    public mutating func remove(_ slot: Int) {
        var hole = slot
        var next = following(hole)
        while entries[next].occupied {
            let home = home(entries[next].key)
            // Move `next` into the hole unless its home lies cyclically in (hole, next].
            let stays = hole <= next ? (home > hole && home <= next) : (home > hole || home <= next)
            if !stays {
                entries[hole] = entries[next]
                hole = next
            }
            next = following(next)
        }
        entries[hole].occupied = false
        count -= 1
    }

    /// Advances the clock hand one slot; the slot if it holds a flow.
    @inline(__always)
    public mutating func advanceHand() -> Int? {
        hand = following(hand)
        return entries[hand].occupied ? hand : nil
    }

    /// Picks a victim at the cap among `window` occupied slots from the hand: a finished
    /// flow first (it only suppresses re-detection), then the least recently seen flow with
    /// no hello yet (a SYN flood's flows), and only then the oldest with a session pending,
    /// so a flood costs real handshakes as little as the cap allows.
    public mutating func evictionCandidate(window: Int = 64) -> Int? {
        var oldestWithoutSession: Int?
        var oldestWithSession: Int?
        var seen = 0
        var probe = hand
        for _ in 0 ..< slotCount {
            probe = following(probe)
            let entry = entries[probe]
            guard entry.occupied else { continue }
            if entry.finished { hand = probe; return probe }
            if entry.session < 0 {
                if oldestWithoutSession.map({ entry.lastSeenSeconds < entries[$0].lastSeenSeconds }) ?? true { oldestWithoutSession = probe }
            } else if oldestWithSession.map({ entry.lastSeenSeconds < entries[$0].lastSeenSeconds }) ?? true {
                oldestWithSession = probe
            }
            seen += 1
            if seen >= window { break }
        }
        // The next search starts past this window: victims taken around the whole table,
        // not from one neighbourhood, keep the probe runs elsewhere short.
        hand = probe
        return oldestWithoutSession ?? oldestWithSession
    }

    /// The least recently seen flow whose session is still pending, among `window` such flows
    /// from the hand: whose session slot to reuse when the session pool is full (a flood of
    /// unanswered hellos). Probes at most every slot once.
    public mutating func pendingSessionCandidate(window: Int = 64) -> Int? {
        var oldest: Int?
        var seen = 0
        var probe = hand
        for _ in 0 ..< slotCount {
            probe = following(probe)
            let entry = entries[probe]
            guard entry.occupied, !entry.finished, entry.session >= 0 else { continue }
            if oldest.map({ entry.lastSeenSeconds < entries[$0].lastSeenSeconds }) ?? true { oldest = probe }
            seen += 1
            if seen >= window { break }
        }
        // Past the window, as in `evictionCandidate`: staying on the victim would take the
        // next ones from the same neighbourhood.
        hand = probe
        return oldest
    }
}
