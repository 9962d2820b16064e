import CPrefetch
#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// Reads the records of a classic pcap file in large chunks: 2 MiB `pread`s into a few
/// reused buffers, each packet handed over where it lies in the buffer, so reading costs
/// neither a system call nor a copy per packet (libpcap's savefile reader does an `fread`
/// into its own buffer for each one). Checks every record as libpcap does and words its
/// errors the same way. (Mapping the file instead was twice as slow: every 4 KiB page read
/// through a fresh mapping costs a TLB miss and its page-table entry set up and torn down.)
///
/// A file that grows while it is read (a `tcpdump -w` still running) is read on to its
/// new end; a file cut shorter while it is read ends with `.damaged`, keeping everything
/// before.
/// Immutable after `init` (the read loops keep their state in locals), so a pipelined
/// read may run on a second thread.
final class ChunkedSavefile: @unchecked Sendable {
    let path: String
    private let descriptor: Int32
    private let initialSize: Int
    private let swapped: Bool
    private let nanosecondStamps: Bool
    private let snapshotLength: Int

    static let windowBytes = 2 << 20
    /// libpcap's largest capture length for the link types HelloScope reads (`max_snaplen_for_dlt`).
    static let maximumCaptureLength = 262_144

    /// Nil unless `path` is a regular file in the classic pcap format (either byte order,
    /// micro- or nanosecond stamps); libpcap reads everything else.
    init?(path: String) {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        var status = stat()
        var header = InlineArray<24, UInt8>(repeating: 0)
        let headerRead = withUnsafeMutableBytes(of: &header) { pread(descriptor, $0.baseAddress, 24, 0) }
        guard fstat(descriptor, &status) == 0, (status.st_mode & S_IFMT) == S_IFREG, headerRead == 24 else {
            close(descriptor)
            return nil
        }
        let magic = UInt32(header[0]) | UInt32(header[1]) << 8 | UInt32(header[2]) << 16 | UInt32(header[3]) << 24
        switch magic {
        case 0xa1b2_c3d4: (swapped, nanosecondStamps) = (false, false)
        case 0xa1b2_3c4d: (swapped, nanosecondStamps) = (false, true)
        case 0xd4c3_b2a1: (swapped, nanosecondStamps) = (true, false)
        case 0x4d3c_b2a1: (swapped, nanosecondStamps) = (true, true)
        default:
            close(descriptor)
            return nil
        }
        self.path = path
        self.descriptor = descriptor
        initialSize = Int(status.st_size)
        let declared = UInt32(header[16]) | UInt32(header[17]) << 8 | UInt32(header[18]) << 16 | UInt32(header[19]) << 24
        let snapshot = swapped ? declared.byteSwapped : declared
        // As libpcap: a zero or oversized snapshot length in the header means the maximum.
        snapshotLength = snapshot == 0 || snapshot > UInt32(Self.maximumCaptureLength)
            ? Self.maximumCaptureLength : Int(snapshot)
    }

    deinit { close(descriptor) }

    enum End {
        case endOfFile
        case damaged(reason: String, packetIndex: Int, byteOffset: Int)
    }

    /// Hands every record to `body` in file order (the bytes are valid during the call
    /// only); returns why it stopped. The loop's state lives in locals: no per-packet
    /// access to object properties.
    func forEachPacket(_ body: (CapturedPacket) -> Void) -> End {
        forEachPacket(consumed: nil, body)
    }

    /// `consumed`: how many delivered packets another thread has finished with; a window
    /// is reused only once all its packets are. Nil: each packet is done when `body` returns.
    private func forEachPacket(consumed: ConsumerProgress?, _ body: (CapturedPacket) -> Void) -> End {
        var window = Window(descriptor: descriptor, fileSize: initialSize, consumed: consumed)
        defer { window.releaseAll() }
        var offset = 24
        var index = 0
        while true {
            guard let header = window.bytes(at: offset, count: 16) else {
                if offset == window.fileSize { return .endOfFile }
                return .damaged(reason: "truncated dump file; tried to read 16 header bytes, only got \(window.fileSize - offset)",
                                packetIndex: index + 1, byteOffset: offset)
            }
            let seconds = load32(header, 0)
            let fraction = load32(header, 4)
            var capturedLength = Int(load32(header, 8))
            let wireLength = Int(load32(header, 12))
            guard capturedLength <= Self.maximumCaptureLength else {
                return .damaged(reason: "invalid packet capture length \(capturedLength), bigger than maximum of \(Self.maximumCaptureLength)",
                                packetIndex: index + 1, byteOffset: offset)
            }
            let recordLength = 16 + capturedLength
            // As libpcap: a record longer than the file's snapshot length gives its first
            // snapshot-length bytes, and the rest is skipped.
            capturedLength = min(capturedLength, snapshotLength)
            guard offset + recordLength <= window.fileSize || window.refreshSize(atLeast: offset + recordLength),
                  let data = window.bytes(at: offset + 16, count: capturedLength) else {
                return .damaged(reason: "truncated dump file; tried to read \(recordLength - 16) captured bytes, only got \(max(0, window.fileSize - offset - 16))",
                                packetIndex: index + 1, byteOffset: offset)
            }
            offset += recordLength
            index += 1
            window.delivered = index
            let nanos = Int64(seconds) * 1_000_000_000 + Int64(fraction) * (nanosecondStamps ? 1 : 1_000)
            body(CapturedPacket(bytes: UnsafeRawBufferPointer(start: data, count: capturedLength),
                                wireLength: wireLength, timestampNanos: nanos))
        }
    }

    /// Starts `forEachPacket` on a second thread: it finds the records (and runs `prepare` on
    /// each, e.g. the frame decode) into a bounded ring, which the caller drains on this one
    /// (`PacketRing.drain`, then `PipelinedRead.finish`). Reading and decoding a file costs
    /// about what tracking its flows does, so on two cores this nearly halves the time. The
    /// consumer sees the packets in file order, exactly as `forEachPacket` gives them. Nil
    /// when no thread could be made.
    func startPipelined(prepare: @escaping @Sendable (CapturedPacket, UnsafeMutablePointer<PreparedLine>) -> Void) -> PipelinedRead? {
        let ring = PacketRing(capacity: 8192)
        let reader = WorkerThread(name: "reader") { [self] in
            let end = forEachPacket(consumed: ring.progress) { packet in
                ring.push(packet) { prepare(packet, $0) }
            }
            ring.finish(end)
        }
        // No second thread to be had: the caller reads on its own, without the ring (which
        // nobody would drain while the reader filled it).
        guard reader.start() else { return nil }
        return PipelinedRead(ring: ring, reader: reader)
    }

    @inline(__always)
    private func load32(_ pointer: UnsafeRawPointer, _ at: Int) -> UInt32 {
        let value = pointer.loadUnaligned(fromByteOffset: at, as: UInt32.self)
        return swapped ? value.byteSwapped : value
    }

    /// The part of the file in memory now.
    private struct Window {
        let descriptor: Int32
        var fileSize: Int
        var base: UnsafeMutableRawPointer?
        var start = 0
        var length = 0
        /// Packets handed out so far, and how many of them the consumer is done with.
        var delivered = 0
        let consumed: ConsumerProgress?
        /// Earlier windows still in use by the consumer: (buffer, packets up to then).
        var retired: [(UnsafeMutableRawPointer, Int)] = []
        static let maximumRetired = 3
        /// Buffers the consumer is done with, for the next windows.
        var spare: [UnsafeMutableRawPointer] = []
        /// A window holds at least `windowBytes`, and always a whole record.
        static let bufferBytes = ChunkedSavefile.windowBytes + 16 + ChunkedSavefile.maximumCaptureLength

        init(descriptor: Int32, fileSize: Int, consumed: ConsumerProgress?) {
            self.descriptor = descriptor
            self.fileSize = fileSize
            self.consumed = consumed
            retired.reserveCapacity(Self.maximumRetired + 1)
            spare.reserveCapacity(Self.maximumRetired + 2)
        }

        /// `count` bytes at file offset `at`, reading the window that holds them if needed;
        /// nil if the file (after a fresh look at its size) ends first.
        @inline(__always)
        mutating func bytes(at: Int, count: Int) -> UnsafeRawPointer? {
            if let base, at >= start, at + count <= start + length {
                return UnsafeRawPointer(base) + (at - start)
            }
            return read(at: at, count: count)
        }

        /// Whether the file now reaches `size` bytes (it may be growing under a capture).
        mutating func refreshSize(atLeast size: Int) -> Bool {
            var status = stat()
            guard fstat(descriptor, &status) == 0 else { return false }
            fileSize = Int(status.st_size)
            return fileSize >= size
        }

        private mutating func read(at: Int, count: Int) -> UnsafeRawPointer? {
            precondition(count <= Self.bufferBytes)
            if at + count > fileSize { guard refreshSize(atLeast: at + count) else { return nil } }
            retire()
            let buffer = spare.popLast() ?? UnsafeMutableRawPointer.allocate(byteCount: Self.bufferBytes, alignment: 64)
            let wanted = min(max(ChunkedSavefile.windowBytes, count), fileSize - at)
            var got = 0
            while got < wanted {
                let result = pread(descriptor, buffer + got, wanted - got, off_t(at + got))
                if result > 0 {
                    got += result
                } else if result < 0 && errno == EINTR {
                    continue
                } else {
                    break   // the file was cut shorter (or cannot be read) under us
                }
            }
            guard got >= count else {
                spare.append(buffer)
                fileSize = at + got
                return nil
            }
            base = buffer
            start = at
            length = got
            return UnsafeRawPointer(buffer)
        }

        /// Sets the current window aside, and frees the retired ones the consumer is
        /// past (waiting for it when too many are kept).
        private mutating func retire() {
            if let base { retired.append((base, delivered)) }
            base = nil
            var backoff = Backoff()
            while let (oldBase, lastPacket) = retired.first {
                let done = consumed?.count.load(ordering: .acquiring) ?? Int.max
                if done >= lastPacket {
                    spare.append(oldBase)
                    retired.removeFirst()
                } else if retired.count > Self.maximumRetired {
                    backoff.wait()
                } else {
                    break
                }
            }
        }

        /// At the end, once the consumer has finished every packet.
        mutating func releaseAll() {
            if let consumed {
                var backoff = Backoff()
                while consumed.count.load(ordering: .acquiring) < delivered { backoff.wait() }
            }
            base?.deallocate()
            base = nil
            for (oldBase, _) in retired { oldBase.deallocate() }
            retired.removeAll()
            for buffer in spare { buffer.deallocate() }
            spare.removeAll()
        }
    }
}

/// How many packets the consumer of a pipelined read has finished with.
@usableFromInline
final class ConsumerProgress: Sendable {
    @usableFromInline let count = Atomic<Int>(0)

    init() {}
}

/// A pipelined read under way (`ChunkedSavefile.startPipelined`): the reader thread fills
/// `ring`; the consumer drains it (inlined where the consumer's closures are known, so that
/// no packet goes through a call to them), then `finish` waits for the reader.
@usableFromInline
final class PipelinedRead {
    @usableFromInline let ring: PacketRing
    private let reader: WorkerThread

    init(ring: PacketRing, reader: WorkerThread) {
        self.ring = ring
        self.reader = reader
    }

    /// After `ring.drain`: waits for the reader thread; why reading stopped.
    func finish() -> ChunkedSavefile.End {
        reader.join()
        return ring.end
    }
}

/// A single-producer, single-consumer ring of packets (pointers into read buffers, which
/// the producer keeps until `consumed` is past them) and what the producer made of each, in
/// two plain arrays of lines.
@usableFromInline
final class PacketRing: @unchecked Sendable {
    @usableFromInline let packets: UnsafeMutablePointer<CapturedPacket>
    @usableFromInline let prepared: UnsafeMutablePointer<PreparedLine>
    @usableFromInline let mask: Int
    @usableFromInline let produced = Atomic<Int>(0)
    @usableFromInline let progress = ConsumerProgress()
    @usableFromInline let finished = Atomic<Bool>(false)
    fileprivate(set) var end: ChunkedSavefile.End = .endOfFile
    /// The consumer publishes its progress this often (the producer waits on it for room
    /// and for releasing windows).
    @usableFromInline static var publishEvery: Int { 64 }

    init(capacity: Int) {
        precondition(capacity > 0 && capacity & (capacity - 1) == 0)
        packets = Self.lineAligned(CapturedPacket.self, capacity)
        prepared = Self.lineAligned(PreparedLine.self, capacity)
        // Lines are written by their value's bytes only (`push`); the rest of a line is read
        // with it, and holds zeros until a larger value wrote there.
        prepared.initialize(repeating: PreparedLine(()), count: capacity)
        mask = capacity - 1
    }

    /// Cache-line aligned: a decoded segment is one line and a packet half of one, so each
    /// entry is read and written as one line, not two.
    private static func lineAligned<Element>(_: Element.Type, _ count: Int) -> UnsafeMutablePointer<Element> {
        UnsafeMutableRawPointer.allocate(byteCount: count * MemoryLayout<Element>.stride, alignment: 64)
            .bindMemory(to: Element.self, capacity: count)
    }

    deinit {
        UnsafeMutableRawPointer(packets).deallocate()
        UnsafeMutableRawPointer(prepared).deallocate()
    }

    /// Producer side. A full ring is left to drain by a quarter before the producer goes on:
    /// taken line by line as the consumer frees them (it says so every 64 packets), the wait
    /// was a few `sched_yield`s every 64 packets, 53 600 a handshake run (4 450 now; perf stat),
    /// each a switch to the output thread and back on the core those two share.
    /// `prepare` writes what the producer made of the packet into its line (`PreparedLine.store`),
    /// there and nowhere else: returned as a value, a decoded frame was copied three times on
    /// its way to the ring, through two closures and this call (callgrind, 20 000 handshakes:
    /// 37 instructions a packet, a tenth of the reader's; the run −2.3 %, imix −3.5 %).
    @inline(__always)
    func push(_ packet: CapturedPacket, preparing prepare: (UnsafeMutablePointer<PreparedLine>) -> Void) {
        let index = produced.load(ordering: .relaxed)
        if index - progress.count.load(ordering: .acquiring) > mask {
            var backoff = Backoff()
            while index - progress.count.load(ordering: .acquiring) > mask - refill { backoff.wait() }
        }
        hs_claim_for_write(prepared + ((index + Self.claimAhead) & mask))
        hs_claim_for_write(packets + ((index + Self.claimAhead) & mask))
        (packets + (index & mask)).initialize(to: packet)
        prepare(prepared + (index & mask))
        produced.store(index + 1, ordering: .releasing)
    }

    func finish(_ end: ChunkedSavefile.End) {
        self.end = end
        finished.store(true, ordering: .releasing)
    }

    /// How many packets ahead the producer claims the ring's lines for writing (`push`).
    static let claimAhead = 32

    /// How much of a full ring must drain before the producer writes again.
    private var refill: Int { (mask + 1) / 4 }

    /// How far ahead `drain`'s lookahead runs: enough packets for a cache miss to complete.
    @usableFromInline static var lookaheadDistance: Int { 8 }

    /// Consumer side: every packet in order, until the reader has finished. Inlinable, with
    /// its closures: called through them, each packet cost the tracking thread two calls and
    /// two copies of its line on the way to `body` (callgrind: about 230 instructions a packet
    /// between the ring and the tracker, a quarter of that thread's).
    /// Only lines the reader has published are touched, prefetches included: a line fetched
    /// before the reader writes it must be taken back from this core for the write, and when
    /// the host puts the two CPUs far apart that is a wait of 300 ns or more on the reader for
    /// each one.
    @inlinable
    func drain(lookahead: (PreparedLine) -> Void, _ body: (CapturedPacket, PreparedLine) -> Void) {
        var next = 0
        var published = 0
        var backoff = Backoff()
        while true {
            var available = produced.load(ordering: .acquiring)
            if available - next < Self.batch {
                if finished.load(ordering: .acquiring) {
                    available = produced.load(ordering: .acquiring)
                    if available == next { return }
                } else if available == next || backoff.rounds < Self.batchWaits {
                    // Caught up with the reader: let it get a batch ahead, so that the lines
                    // come over many at a time, not each one as it is written. After a few
                    // looks, what there is: the reader may itself be waiting for this side.
                    if published != next {
                        progress.count.store(next, ordering: .releasing)
                        published = next
                    }
                    backoff.wait()
                    continue
                }
            }
            backoff = Backoff()
            // The ring's lines were written on the reader's core: each is fetched two
            // lookaheads before it is read, the batch's first ones at once, and the tracker's
            // lookahead runs one lookahead before. The first packets of a batch get no
            // lookahead; the rest get it once. No frame is fetched here: the tracker reads a
            // frame only for a flow still in its handshake.
            var lineAhead = min(next + 2 * Self.lookaheadDistance, available)
            for early in next ..< lineAhead {
                hs_prefetch_for_read(prepared + (early & mask))
                hs_prefetch_for_read(packets + (early & mask))
            }
            var ahead = next + Self.lookaheadDistance
            while next < available {
                if lineAhead < available {
                    hs_prefetch_for_read(prepared + (lineAhead & mask))
                    hs_prefetch_for_read(packets + (lineAhead & mask))
                    lineAhead += 1
                }
                if ahead < available {
                    lookahead(prepared[ahead & mask])
                    ahead += 1
                }
                body(packets[next & mask], prepared[next & mask])
                next += 1
                if next % Self.publishEvery == 0 {
                    progress.count.store(next, ordering: .releasing)
                    published = next
                }
            }
        }
    }

    /// Packets the reader is let get ahead before the tracker takes them (`drain`).
    @usableFromInline static var batch: Int { 64 }
    /// Looks at the ring (each a `Backoff.wait`) before taking fewer than `batch`.
    @usableFromInline static var batchWaits: Int { 4 }
}

/// Waiting for the other side of a pipelined read: a few yields while it is likely to be
/// back at once, then short sleeps, so a waiting thread does not take the core the other
/// one needs.
@usableFromInline
struct Backoff {
    @usableFromInline var rounds = 0

    @usableFromInline init() {}

    @inlinable
    mutating func wait() {
        rounds += 1
        if rounds <= 16 {
            sched_yield()
        } else {
            usleep(rounds <= 64 ? 20 : 200)
        }
    }
}

/// What a pipelined reader made of a packet (say, its decoded frame), carried to the consumer
/// as one cache line of bytes, so that the ring is not generic. Generic over the value and
/// compiled apart from the callers that know its type, the ring sized each value at run time,
/// copied it to the stack and then moved it through its type's witness table: 79 instructions
/// a packet, 2.5 % of a handshake run's (callgrind, 20 000 sessions, 2026-12-06).
public struct PreparedLine: Sendable, BitwiseCopyable {
    @usableFromInline var words: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64)

    /// A line of zeros.
    @inlinable
    public init(_: Void) { words = (0, 0, 0, 0, 0, 0, 0, 0) }

    /// Writes `value` into the line at `line`, in place; the words past it keep what they held
    /// (`load` reads only the value's). A value larger than a line, or aligned wider than 8, is
    /// refused.
    @inlinable @inline(__always)
    public static func store<Value: BitwiseCopyable>(_ value: Value, at line: UnsafeMutablePointer<PreparedLine>) {
        precondition(MemoryLayout<Value>.size <= MemoryLayout<Self>.size && MemoryLayout<Value>.alignment <= 8,
                     "a prepared value must fit one cache line")
        UnsafeMutableRawPointer(line).storeBytes(of: value, as: Value.self)
    }

    /// The value `store` wrote, as that type.
    @inlinable
    public func load<Value: BitwiseCopyable>(as type: Value.Type) -> Value {
        withUnsafeBytes(of: words) { $0.loadUnaligned(as: Value.self) }
    }
}
