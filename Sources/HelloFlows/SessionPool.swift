/// Preallocated slots for sessions whose handshake is still going on. Reserved once,
/// touched only as used, and reused from a free list: taking one allocates nothing. On plain
/// pages, as the flow table (`FlowTable.reserveSlots` says why).
public struct SessionPool: ~Copyable {
    public let capacity: Int
    private let records: UnsafeMutablePointer<SessionRecord>
    /// What a slot starts as, made once: `SessionRecord()` at each `take` was built on the stack
    /// (1.1 KiB of stores) and then copied into the slot.
    private static let blank = SessionRecord()
    private var free: [Int32]
    /// Slots given back already blank (`reset`), which `take` hands out as they are.
    private var freeBlank: [Int32]
    private var neverUsed: Int32 = 0
    public private(set) var inUse = 0
    /// Slots ever taken: the most sessions pending at once, and the slots whose pages are touched.
    public var peak: Int { Int(neverUsed) }

    private let pagesAhead: (any PagesAhead)?
    /// Slots backed per request to `pagesAhead`: about 2 MiB.
    private static var slotsPerStep: Int { (2 << 20) / MemoryLayout<SessionRecord>.stride }

    /// `pagesAhead`: backs slots before they are first taken (see `PagesAhead`).
    public init(capacity: Int, pagesAhead: (any PagesAhead)? = nil) {
        self.capacity = max(capacity, 1)
        records = .allocate(capacity: self.capacity)
        free = []
        free.reserveCapacity(self.capacity)
        freeBlank = []
        freeBlank.reserveCapacity(self.capacity)
        self.pagesAhead = pagesAhead
    }

    deinit { records.deallocate() }

    public mutating func take() -> Int32? {
        let slot: Int32
        if let reused = freeBlank.popLast() {
            slot = reused
        } else if let reused = free.popLast() {
            slot = reused
            (records + Int(slot)).initialize(to: Self.blank)
        } else if Int(neverUsed) < capacity {
            slot = neverUsed
            neverUsed += 1
            (records + Int(slot)).initialize(to: Self.blank)
            // Halfway through a step, the next one is backed: ahead of need, and not at all for
            // the few slots of traffic whose sessions end one after another. The integer test
            // first: binding the optional existential copies (and retains) it.
            if Int(slot) % Self.slotsPerStep == Self.slotsPerStep / 2, let pagesAhead {
                pagesAhead.back(records, from: (Int(slot) / Self.slotsPerStep + 1) * Self.slotsPerStep,
                                count: Self.slotsPerStep, capacity: capacity)
            }
        } else {
            return nil
        }
        inUse += 1
        prefetchNextSlot()
        return slot
    }

    /// Starts fetching, for writing, every line of the slot the next `take` hands out. A
    /// reused slot was last written by the output thread, on the other core: filling it with
    /// `blank` waited for its 18 lines to come over, a twelfth of the tracking thread's time
    /// on the handshake workload (perf, 288 of 3 400 samples). Sessions start a dozen packets
    /// apart there, time enough for the lines to arrive.
    @inline(__always)
    private func prefetchNextSlot() {
        let next: Int32
        if let reused = freeBlank.last ?? free.last { next = reused } else if Int(neverUsed) < capacity { next = neverUsed } else { return }
        SessionRecord.prefetchForWrite(records + Int(next))
    }

    public mutating func release(_ slot: Int32) {
        free.append(slot)
        inUse -= 1
    }

    /// `release` for a slot whose record `reset` made blank since it was written.
    public mutating func releaseBlank(_ slot: Int32) {
        freeBlank.append(slot)
        inUse -= 1
    }

    /// Makes `record`, a slot's, what `take` hands out, for `releaseBlank`. For a sink on another
    /// thread, which has just read the record: copying the blank into the slot cost the
    /// tracking thread a kilobyte's move into lines the other core held (perf: 150 of its
    /// samples on the handshake workload), and costs that core a move into lines it holds.
    public static func reset(_ record: UnsafeMutablePointer<SessionRecord>) {
        record.initialize(to: blank)
    }

    @inline(__always)
    public func pointer(_ slot: Int32) -> UnsafeMutablePointer<SessionRecord> { records + Int(slot) }
}

/// Where finished sessions go (JSON lines, the inventory, the summary, syslog), taken where
/// the tracker keeps them: in its session pool's slots.
public protocol PooledSessionSink: ~Copyable {
    /// Takes the session in the tracker's slot `slot` and says whether it keeps the slot. A
    /// sink that hands sessions to another thread keeps the slot rather than copy a kilobyte
    /// per session, and gives it back through `returnSlots`; until then the tracker does not
    /// touch it.
    mutating func accept(inPlace session: UnsafeMutablePointer<SessionRecord>, slot: Int32) -> Bool

    /// Gives back to `pool` the slots kept by `accept(inPlace:slot:)` that the sink is done
    /// with; returns how many.
    mutating func returnSlots(to pool: inout SessionPool) -> Int

    /// The most slots the sink keeps at once; the tracker's pool holds that many more.
    var slotsKeptAtMost: Int { get }

    /// The input has ended: returns once the sink is done with every session it was given,
    /// so that `returnSlots` gives back every slot it kept (the pool goes with the tracker).
    mutating func drain()
}

/// A sink that takes each session as a value, during the call, and keeps no slot.
public protocol SessionSink: PooledSessionSink, ~Copyable {
    mutating func accept(_ session: borrowing SessionRecord)
}

/// A sink that keeps no slot needs only `accept(inPlace:slot:)`. One that keeps slots and
/// forgot these would never give them back, and the tracker's deinit says so.
extension PooledSessionSink where Self: ~Copyable {
    public mutating func returnSlots(to pool: inout SessionPool) -> Int { 0 }

    public var slotsKeptAtMost: Int { 0 }

    public mutating func drain() {}
}

extension SessionSink where Self: ~Copyable {
    public mutating func accept(inPlace session: UnsafeMutablePointer<SessionRecord>, slot: Int32) -> Bool {
        accept(session.pointee)
        return false
    }
}
