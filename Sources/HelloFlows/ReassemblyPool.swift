import HelloWire

/// Fixed-size buffers for hellos that do not arrive whole in one in-order segment: the
/// one copy HelloScope makes. Memory is reserved once (`slotSize` × `capacity`) and only
/// touched as buffers are used; freed buffers are reused first, so after warm-up taking
/// one allocates nothing. Each buffer holds stream bytes from `baseSequence` on, with up
/// to `maximumExtents` out-of-order pieces waiting for the gap before them.
public struct ReassemblyPool: ~Copyable {
    public static let maximumExtents = 8

    public struct Buffer {
        public var baseSequence: UInt32 = 0
        /// The capture time of the segment that started the buffer: when the hello began.
        public var startedNanos: Int64 = 0
        /// Bytes from the base that are filled without a hole.
        public var contiguous = 0
        /// The highest offset written, for the bound check.
        public var highest = 0
        var extentCount = 0
        var extents = InlineArray<8, (Int32, Int32)>(repeating: (0, 0))
    }

    public enum Insert: Equatable {
        case added          // something new; `contiguous` may have grown
        case duplicate      // nothing new (retransmission)
        case overBound      // the bytes run past the bound: the hello is bigger than we keep
        case outOfWindow    // the bytes start past the bound: not part of any hello we keep
        case tooFragmented  // more holes than `maximumExtents`
    }

    public let slotSize: Int
    public let capacity: Int
    private let memory: UnsafeMutableRawPointer
    private let buffers: UnsafeMutablePointer<Buffer>
    private var free: [Int32]
    private var neverUsed: Int32 = 0
    public private(set) var inUse = 0

    public init(slotSize: Int, capacity: Int) {
        self.slotSize = slotSize
        self.capacity = max(capacity, 0)
        memory = .allocate(byteCount: max(slotSize * self.capacity, 1), alignment: 64)
        buffers = .allocate(capacity: max(self.capacity, 1))
        free = []
        free.reserveCapacity(self.capacity)
    }

    deinit {
        memory.deallocate()
        buffers.deallocate()
    }

    /// A buffer whose stream starts at `baseSequence`, begun at `startedNanos`, or nil when
    /// all are taken.
    public mutating func take(baseSequence: UInt32, startedNanos: Int64) -> Int32? {
        let slot: Int32
        if let reused = free.popLast() {
            slot = reused
        } else if Int(neverUsed) < capacity {
            slot = neverUsed
            neverUsed += 1
        } else {
            return nil
        }
        (buffers + Int(slot)).initialize(to: Buffer(baseSequence: baseSequence, startedNanos: startedNanos))
        inUse += 1
        return slot
    }

    public mutating func release(_ slot: Int32) {
        free.append(slot)
        inUse -= 1
    }

    public func buffer(_ slot: Int32) -> Buffer { buffers[Int(slot)] }

    /// The filled prefix, as a span for the scanner. Valid until the next insert.
    public func contiguousBytes(_ slot: Int32) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: memory + Int(slot) * slotSize, count: buffers[Int(slot)].contiguous)
    }

    /// Copies `range` of `span`, which starts at stream sequence `sequence`, into the buffer.
    /// Bytes before the base are dropped unless `mayRebase` lets the base move back.
    public mutating func insert(
        _ slot: Int32, sequence: UInt32, _ span: borrowing RawSpan, _ range: Range<Int>, mayRebase: Bool
    ) -> Insert {
        let pointer = buffers + Int(slot)
        var offset = Int(Int32(bitPattern: sequence &- pointer.pointee.baseSequence))
        var source = range
        if offset < 0 {
            if mayRebase && -offset + pointer.pointee.highest <= slotSize && -offset < slotSize {
                rebase(slot, by: -offset)
                offset = 0
            } else {
                // Keep only what lies at or after the base.
                guard -offset < source.count else { return .duplicate }
                source = source.lowerBound - offset ..< source.upperBound
                offset = 0
            }
        }
        guard offset < slotSize else { return .outOfWindow }
        let cut = min(source.count, slotSize - offset)
        let start = memory + Int(slot) * slotSize + offset
        span.copyBytes(source.lowerBound ..< source.lowerBound + cut, to: start)
        let end = offset + cut
        var buffer = pointer.pointee
        defer { pointer.pointee = buffer }
        buffer.highest = max(buffer.highest, end)
        if offset <= buffer.contiguous {
            guard end > buffer.contiguous else { return cut < source.count ? .overBound : .duplicate }
            buffer.contiguous = end
            mergeExtents(&buffer)
        } else {
            guard buffer.extentCount < Self.maximumExtents else { return .tooFragmented }
            buffer.extents[buffer.extentCount] = (Int32(offset), Int32(end))
            buffer.extentCount += 1
        }
        return cut < source.count ? .overBound : .added
    }

    private func mergeExtents(_ buffer: inout Buffer) {
        var merged = true
        while merged {
            merged = false
            var index = 0
            while index < buffer.extentCount {
                let (start, end) = buffer.extents[index]
                if Int(start) <= buffer.contiguous {
                    buffer.contiguous = max(buffer.contiguous, Int(end))
                    buffer.extentCount -= 1
                    buffer.extents[index] = buffer.extents[buffer.extentCount]
                    merged = true
                } else {
                    index += 1
                }
            }
        }
    }

    /// Moves the buffer's bytes `shift` later so a segment from before the base fits
    /// (the first segment of a hello arrived after a later one, with no SYN to say so).
    private mutating func rebase(_ slot: Int32, by shift: Int) {
        let pointer = buffers + Int(slot)
        let start = memory + Int(slot) * slotSize
        (start + shift).copyMemory(from: start, byteCount: pointer.pointee.highest)
        var buffer = pointer.pointee
        buffer.baseSequence &-= UInt32(shift)
        if buffer.contiguous > 0 {
            guard buffer.extentCount < Self.maximumExtents else { return }
            buffer.extents[buffer.extentCount] = (Int32(shift), Int32(shift + buffer.contiguous))
            buffer.extentCount += 1
        }
        for index in 0 ..< buffer.extentCount where index < buffer.extentCount - (buffer.contiguous > 0 ? 1 : 0) {
            buffer.extents[index].0 += Int32(shift)
            buffer.extents[index].1 += Int32(shift)
        }
        buffer.contiguous = 0
        buffer.highest += shift
        pointer.pointee = buffer
    }
}
