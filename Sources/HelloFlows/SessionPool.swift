/// Preallocated slots for sessions whose handshake is still going on. Reserved once,
/// touched only as used, and reused from a free list: taking one allocates nothing.
public struct SessionPool: ~Copyable {
    public let capacity: Int
    private let records: UnsafeMutablePointer<SessionRecord>
    private var free: [Int32]
    private var neverUsed: Int32 = 0
    public private(set) var inUse = 0
    /// Slots ever taken: the most sessions pending at once, and the slots whose pages are touched.
    public var peak: Int { Int(neverUsed) }

    public init(capacity: Int) {
        self.capacity = max(capacity, 1)
        records = .allocate(capacity: self.capacity)
        adviseHugePages(records, bytes: self.capacity * MemoryLayout<SessionRecord>.stride)
        free = []
        free.reserveCapacity(self.capacity)
    }

    deinit { records.deallocate() }

    public mutating func take() -> Int32? {
        let slot: Int32
        if let reused = free.popLast() {
            slot = reused
        } else if Int(neverUsed) < capacity {
            slot = neverUsed
            neverUsed += 1
        } else {
            return nil
        }
        (records + Int(slot)).initialize(to: SessionRecord())
        inUse += 1
        return slot
    }

    public mutating func release(_ slot: Int32) {
        free.append(slot)
        inUse -= 1
    }

    @inline(__always)
    public func pointer(_ slot: Int32) -> UnsafeMutablePointer<SessionRecord> { records + Int(slot) }
}

/// Where finished sessions go: JSON lines, the inventory, the summary, syslog.
public protocol SessionSink: ~Copyable {
    mutating func accept(_ session: borrowing SessionRecord)
}
