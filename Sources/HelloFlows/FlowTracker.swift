import HelloFingerprint
import HelloWire

/// Limits and policy for a `FlowTracker`. Every limit has a reason in the README.
public struct TrackerConfiguration: Sendable {
    public var maximumFlows = 262_144
    public var reassemblyBound = 16_384
    public var maximumReassemblyMemory = 64 << 20
    public var maximumPendingSessions = 65_536
    public var idleTimeoutSeconds: UInt32 = 120
    public var policy = EarlyTLSPolicy()
    public var roles = RoleTable()
    /// JA3/JA4/JA3S per session: a few string operations and hashes once per session.
    public var fingerprints = true
    /// Leave the hashing of the kept fingerprint lists to the sink (`SessionFingerprints.finishHashes`),
    /// for a sink that runs on a thread of its own.
    public var deferFingerprintHashes = false
    /// Where flows go in the table: nil draws a key at random, as a sensor must (see
    /// `FlowHashKey`). A fixed key is for runs that must repeat exactly, such as a fuzzer's.
    public var flowHashKey: FlowHashKey?
    /// Entries per side of the fingerprint memo of a tracker that hashes in place (see
    /// `FingerprintMemo`). A fuzzer makes a tracker per input, and wants a small one.
    public var fingerprintMemoSlots = 128
    /// Sets of the ClientHello memo, two hellos each (see `ClientHelloMemo`); a fuzzer wants few.
    public var clientHelloMemoSets = 32
    /// Backs the flow table's and the session slots' pages ahead of their first use, on
    /// another thread (see `PagesAhead`); nil: they fault in as they are first written.
    public var pagesAhead: (any PagesAhead)?

    public init() {}
}

/// Follows TCP flows from decoded segments to finished `SessionRecord`s: finds each
/// direction's hello (in place when it arrives whole and in order, else in a bounded
/// reassembly buffer), pairs ClientHello with ServerHello or alert, and hands the session
/// to `sink`. No I/O. After a flow's session is out, its packets cost a decode and a lookup.
public struct FlowTracker<Sink: PooledSessionSink & ~Copyable>: ~Copyable {
    public var counters = Counters()
    public let configuration: TrackerConfiguration
    private var table: FlowTable
    private var reassembly: ReassemblyPool
    private var sessions: SessionPool
    /// Slots the sink kept (`PooledSessionSink.accept(inPlace:slot:)`) and has not given back: in
    /// use, but not pending, so they do not count against `maximumPendingSessions`.
    private var slotsWithSink = 0
    private let scanner: HandshakeScanner
    private let scratch: UnsafeMutableRawBufferPointer
    /// Where fingerprint strings are written to be hashed (never longer: their lists are bounded).
    private let fingerprintScratch: UnsafeMutableBufferPointer<UInt8>
    /// Hashes of recent hellos, for when the tracker hashes them itself (`capture`): a repeated
    /// hello costs a look-up instead of two MD5s, two SHA-256s and their two allocations. None
    /// when the sink hashes (`deferFingerprintHashes`, `analyze`) or fingerprints are off.
    private let fingerprintMemo: FingerprintMemo?
    /// ClientHellos of recent shapes, decoded once (see `ClientHelloMemo`).
    let clientHellos: ClientHelloMemo
    private var nowSeconds: UInt32 = 0
    /// Last: `process` runs unspecialised (its module does not know the sink's type), and a
    /// field after one of unknown size has its offset read from the type's metadata at every
    /// use. Before the table and the counters, that cost 1.6 % of the tracker's instructions.
    public var sink: Sink

    public init(configuration: TrackerConfiguration, sink: consuming Sink) {
        self.configuration = configuration
        self.sink = sink
        table = FlowTable(maximumFlows: configuration.maximumFlows, hashKey: configuration.flowHashKey ?? .random(),
                          pagesAhead: configuration.pagesAhead)
        reassembly = ReassemblyPool(
            slotSize: configuration.reassemblyBound,
            capacity: configuration.maximumReassemblyMemory / max(configuration.reassemblyBound, 1))
        sessions = SessionPool(capacity: configuration.maximumPendingSessions + self.sink.slotsKeptAtMost,
                               pagesAhead: configuration.pagesAhead)
        scanner = HandshakeScanner(limit: configuration.reassemblyBound)
        scratch = .allocate(byteCount: configuration.reassemblyBound, alignment: 16)
        fingerprintScratch = .allocate(capacity: FingerprintText.scratchCapacity)
        fingerprintMemo = configuration.fingerprints && !configuration.deferFingerprintHashes ? FingerprintMemo(slots: configuration.fingerprintMemoSlots) : nil
        clientHellos = ClientHelloMemo(sets: configuration.clientHelloMemoSets)
    }

    deinit {
        // A slot still with the sink would be read after the pool is gone: `finish` first.
        precondition(slotsWithSink == 0, "a FlowTracker's sink still holds session slots")
        scratch.deallocate()
        fingerprintScratch.deallocate()
    }

    public var activeFlows: Int { table.count }
    /// Memory figures for the benchmark: the table's slots now, the session slots ever used.
    public var flowSlots: Int { table.slotCount }
    public var pendingSessionsPeak: Int { sessions.peak }

    // MARK: Packets

    public mutating func process(frame: borrowing RawSpan, decoder: FrameDecoder, timestampNanos: Int64, wireLength: Int) {
        process(decoded: decoder.decode(frame), frame: frame, timestampNanos: timestampNanos, wireLength: wireLength)
    }

    /// `process` for a frame already decoded (elsewhere, e.g. on a reader thread).
    public mutating func process(decoded: FrameOutcome, frame: borrowing RawSpan, timestampNanos: Int64, wireLength: Int) {
        process(placed: placer.place(decoded), frame: frame, timestampNanos: timestampNanos, wireLength: wireLength)
    }

    /// Works out where this tracker's table places each segment's flow, for
    /// `process(placed:)` (e.g. on a reader thread).
    public var placer: FlowPlacer { FlowPlacer(hashKey: table.hashKey) }

    /// The hash of this tracker's table, for a decoder that places segments as it decodes
    /// them (`FrameDecoder(linkType:placing:)`): as `placer` places them.
    public var flowHash: FlowHash { table.hashKey.flowHash }

    /// `process` for a frame decoded and placed elsewhere: by this tracker's `placer`.
    public mutating func process(placed: FrameOutcome, frame: borrowing RawSpan, timestampNanos: Int64, wireLength: Int) {
        counters.packets += 1
        counters.bytes += wireLength
        let segment: TCPSegment
        switch placed {
        case .skipped(let reason):
            counters.count(reason)
            return
        case .segment(let placed):
            segment = placed
        }
        counters.tcpSegments += 1
        if segment.payloadCut { counters.payloadCut += 1 }
        let second = UInt32(truncatingIfNeeded: timestampNanos / 1_000_000_000)
        if second != nowSeconds { secondPassed(to: second, now: timestampNanos) }
        if segment.isBare { return }

        let (key, fromLow) = FlowKey.of(segment)
        var (slot, found) = table.find(key, placement: segment.flowPlacement)
        if found && isIdlePastTimeout(table.pointer(slot)) {
            // Over, whether or not the idle sweep has reached its slot yet: where a flow lands
            // depends on the table's random hash key, and the same capture must give the
            // same sessions in every run.
            counters.flowsExpired += 1
            endFlow(slot, status: nil, now: timestampNanos)
            (slot, found) = table.find(key, placement: segment.flowPlacement)
        }
        if !found {
            // Pure ACKs and FINs of flows we never tracked start nothing.
            guard !segment.payload.isEmpty || segment.flags.contains(.syn) else { return }
            if table.isFull {
                guard let victim = table.evictionCandidate() else { return }
                counters.flowsEvicted += 1
                endFlow(victim, status: .evicted, now: timestampNanos)
                (slot, _) = table.find(key)
            }
            slot = table.insert(key, at: slot)
            counters.flowsCreated += 1
        }
        let flow = table.pointer(slot)
        flow.pointee.lastSeenSeconds = nowSeconds
        let closing = segment.flags.contains(.rst) || segment.flags.contains(.fin)
        if flow.pointee.finished {
            if closing { noteClose(slot, flow, fromLow: fromLow, reset: segment.flags.contains(.rst), now: timestampNanos) }
            return
        }
        let direction = directionPointer(flow, fromLow: fromLow)
        if segment.flags.contains(.syn) {
            direction.pointee.sawSyn = true
            direction.pointee.synSequence = segment.sequence
        }
        if !segment.payload.isEmpty {
            var sequence = segment.sequence
            if segment.flags.contains(.syn) { sequence &+= 1 }   // TCP Fast Open data follows the SYN's number
            handlePayload(flow, fromLow: fromLow, segment, sequence: sequence,
                          payload: frame.extracting(segment.payload), now: timestampNanos)
        }
        if closing { noteClose(slot, flow, fromLow: fromLow, reset: segment.flags.contains(.rst), now: timestampNanos) }
    }

    /// Starts fetching the flow-table slot of a packet that `process` will see a few
    /// packets from now, so that its cache miss overlaps the work on the packets before.
    /// `placed`: by this tracker's `placer`.
    @inline(__always)
    public func prefetch(placed: FrameOutcome) {
        if case .segment(let segment) = placed, !segment.isBare { table.prefetch(placement: segment.flowPlacement) }
    }

    /// Lets time pass without packets (live capture, quiet link): idle flows still end.
    public mutating func tick(timestampNanos: Int64) {
        let second = UInt32(truncatingIfNeeded: timestampNanos / 1_000_000_000)
        if second != nowSeconds { secondPassed(to: second, now: timestampNanos) }
    }

    /// Ends every flow still open (end of input): pending sessions go out with the status
    /// their handshake reached.
    public mutating func finish(now: Int64) {
        // Sessions still pending first, in the order their hellos came: the table's order is
        // its random hash key's, and two runs over one capture should give the same lines in
        // the same order. One list, of at most the session pool's size, once per input.
        var pending: [(firstSeenNanos: Int64, key: FlowKey)] = []
        for slot in 0 ..< table.slotCount {
            let flow = table.pointer(slot)
            guard flow.pointee.occupied, !flow.pointee.finished, flow.pointee.session >= 0 else { continue }
            pending.append((sessions.pointer(flow.pointee.session).pointee.firstSeenNanos, flow.pointee.key))
        }
        pending.sort { $0.firstSeenNanos != $1.firstSeenNanos ? $0.firstSeenNanos < $1.firstSeenNanos : $0.key < $1.key }
        for (_, key) in pending {
            let (slot, found) = table.find(key)
            if found { endFlow(slot, status: nil, now: now) }
        }
        // Ending a flow shifts the rest of its probe run back one slot (FlowTable.remove), also
        // from slot 0 across the wrap into the last slot: so look at a slot again until it is
        // empty, from the top down. No flow is skipped.
        var slot = table.slotCount - 1
        while slot >= 0 {
            if table.pointer(slot).pointee.occupied {
                endFlow(slot, status: nil, now: now)
            } else {
                slot -= 1
            }
        }
        sink.drain()
        slotsWithSink -= sink.returnSlots(to: &sessions)
    }

    @inline(__always)
    private func directionPointer(_ flow: UnsafeMutablePointer<FlowEntry>, fromLow: Bool) -> UnsafeMutablePointer<DirectionState> {
        let field = fromLow ? MemoryLayout<FlowEntry>.offset(of: \.low)! : MemoryLayout<FlowEntry>.offset(of: \.high)!
        return (UnsafeMutableRawPointer(flow) + field).assumingMemoryBound(to: DirectionState.self)
    }

    // MARK: Finding hellos

    private mutating func handlePayload(
        _ flow: UnsafeMutablePointer<FlowEntry>, fromLow: Bool, _ segment: borrowing TCPSegment,
        sequence: UInt32, payload: borrowing RawSpan, now: Int64
    ) {
        let direction = directionPointer(flow, fromLow: fromLow)
        direction.pointee.segments &+= 1
        switch direction.pointee.phase {
        case .done:
            return
        case .fresh:
            let start = direction.pointee.sawSyn ? direction.pointee.synSequence &+ 1 : sequence
            direction.pointee.nextSequence = start
            if start == sequence && !Self.couldStartTLS(payload) {
                direction.pointee.phase = .preamble
                if flow.pointee.preamble == .none {
                    flow.pointee.preamble = PreambleKind.identify(payload, 0 ..< min(payload.byteCount, 512))
                }
                notePlaintext(flow, direction, fromLow: fromLow, count: payload.byteCount, now: now)
                return
            }
            direction.pointee.phase = .records
        case .preamble:
            guard Self.startsHelloRecord(payload) else {
                notePlaintext(flow, direction, fromLow: fromLow, count: payload.byteCount, now: now)
                return
            }
            direction.pointee.phase = .records
            direction.pointee.nextSequence = sequence
            direction.pointee.scannedBefore = true
        case .records:
            break
        }
        feedRecords(flow, fromLow: fromLow, segment, sequence: sequence, payload: payload, now: now)
    }

    /// The first bytes of a stream could be TLS: a record header, or an SSLv2 hello header.
    static func couldStartTLS(_ payload: borrowing RawSpan) -> Bool {
        guard payload.byteCount > 0 else { return false }
        if payload.loadUInt8(0) & 0x80 != 0 {
            return payload.byteCount < 3 || payload.loadUInt8(2) == 1 || payload.loadUInt8(2) == 4
        }
        return TLSRecordHeader.couldStart(payload, at: 0)
    }

    /// A segment after plaintext that opens a handshake record holding a hello.
    static func startsHelloRecord(_ payload: borrowing RawSpan) -> Bool {
        guard payload.byteCount >= 6, let header = TLSRecordHeader(decoding: payload, at: 0),
              header.contentType == .handshake else { return false }
        let type = payload.loadUInt8(5)
        return type == HandshakeType.clientHello.rawValue || type == HandshakeType.serverHello.rawValue
    }

    private mutating func notePlaintext(
        _ flow: UnsafeMutablePointer<FlowEntry>, _ direction: UnsafeMutablePointer<DirectionState>,
        fromLow: Bool, count: Int, now: Int64
    ) {
        direction.pointee.plaintextBytes &+= Int32(clamping: count)
        if Int(direction.pointee.plaintextBytes) > configuration.reassemblyBound {
            directionDone(flow, fromLow: fromLow, now: now)
        }
    }

    private mutating func feedRecords(
        _ flow: UnsafeMutablePointer<FlowEntry>, fromLow: Bool, _ segment: borrowing TCPSegment,
        sequence: UInt32, payload: borrowing RawSpan, now: Int64
    ) {
        let direction = directionPointer(flow, fromLow: fromLow)
        let bufferSlot = direction.pointee.buffer
        if bufferSlot < 0 {
            let delta = Int(Int32(bitPattern: sequence &- direction.pointee.nextSequence))
            if delta <= 0 {
                guard -delta < payload.byteCount else {
                    counters.segmentsRetransmitted += 1
                    return
                }
                let fresh = payload.extracting(-delta ..< payload.byteCount)
                let base = direction.pointee.nextSequence
                if let waitFrom = runScanner(flow, fromLow: fromLow, segment, fresh, base: base, from: 0, now: now) {
                    guard let slot = startBuffer(flow, fromLow: fromLow, base: base &+ UInt32(waitFrom), now: now) else { return }
                    _ = reassembly.insert(slot, sequence: base &+ UInt32(waitFrom), fresh,
                                          waitFrom ..< fresh.byteCount, mayRebase: false)
                }
                return
            }
            guard delta < configuration.reassemblyBound else {
                counters.segmentsOutOfWindow += 1
                return
            }
            counters.segmentsOutOfOrder += 1
            guard let slot = startBuffer(flow, fromLow: fromLow, base: direction.pointee.nextSequence, now: now) else { return }
            let mayRebase = !direction.pointee.sawSyn && !direction.pointee.scannedBefore
            _ = reassembly.insert(slot, sequence: sequence, payload, 0 ..< payload.byteCount, mayRebase: mayRebase)
            return
        }
        let before = reassembly.buffer(bufferSlot).contiguous
        let mayRebase = !direction.pointee.sawSyn && !direction.pointee.scannedBefore
        switch reassembly.insert(bufferSlot, sequence: sequence, payload, 0 ..< payload.byteCount, mayRebase: mayRebase) {
        case .duplicate:
            counters.segmentsRetransmitted += 1
            return
        case .outOfWindow:
            counters.segmentsOutOfWindow += 1
            return
        case .tooFragmented:
            counters.hellosIncompleteGap += 1
            helloFailed(flow, fromLow: fromLow, state: .gap, now: now)
            return
        case .overBound, .added:
            break
        }
        let buffer = reassembly.buffer(bufferSlot)
        if buffer.contiguous == before { counters.segmentsOutOfOrder += 1; return }
        if mayRebase && buffer.baseSequence != direction.pointee.nextSequence {
            direction.pointee.nextSequence = buffer.baseSequence
        }
        let from = Int(Int32(bitPattern: direction.pointee.nextSequence &- buffer.baseSequence))
        // The buffer stays put until this direction inserts again, which the scan cannot do.
        let bytes = reassembly.contiguousBytes(bufferSlot)
        let waiting = runScanner(flow, fromLow: fromLow, segment, bytes.bytes, base: buffer.baseSequence,
                                 from: max(from, 0), now: now)
        if waiting != nil && buffer.contiguous >= reassembly.slotSize {
            counters.hellosOverBound += 1
            helloFailed(flow, fromLow: fromLow, state: .overBound, now: now)
        }
    }

    private mutating func startBuffer(
        _ flow: UnsafeMutablePointer<FlowEntry>, fromLow: Bool, base: UInt32, now: Int64
    ) -> Int32? {
        guard let slot = reassembly.take(baseSequence: base, startedNanos: now) else {
            counters.reassemblyPoolExhausted += 1
            helloFailed(flow, fromLow: fromLow, state: .gap, now: now)
            return nil
        }
        counters.reassemblyStarted += 1
        directionPointer(flow, fromLow: fromLow).pointee.buffer = slot
        return slot
    }

    /// Scans `span` (stream bytes from sequence `base`) from `from`. Returns the offset from
    /// which bytes must be kept when the scan needs more, else nil.
    private mutating func runScanner(
        _ flow: UnsafeMutablePointer<FlowEntry>, fromLow: Bool, _ segment: borrowing TCPSegment,
        _ span: borrowing RawSpan, base: UInt32, from start: Int, now: Int64
    ) -> Int? {
        let direction = directionPointer(flow, fromLow: fromLow)
        var from = start
        while true {
            let event = scanner.scan(span, from: from, isStreamStart: !direction.pointee.scannedBefore)
            direction.pointee.scannedBefore = true
            var resumeAt: Int
            switch event {
            case .needMore(let at):
                direction.pointee.nextSequence = base &+ UInt32(at)
                return at
            case .notTLS:
                directionDone(flow, fromLow: fromLow, now: now)
                return nil
            case .midstream:
                if flow.pointee.session < 0 && flow.pointee.clientSide == 0 && !flow.pointee.midstream {
                    counters.flowsMidstream += 1
                    flow.pointee.midstream = true
                }
                directionDone(flow, fromLow: fromLow, now: now)
                return nil
            case .helloTooLarge:
                counters.hellosOverBound += 1
                helloFailed(flow, fromLow: fromLow, state: .overBound, now: now)
                return nil
            case .clientHello(let body, let resume):
                resumeAt = resume
                let recordVersion = body.lowerBound >= 9 ? TLSVersion(span.loadUInt16(body.lowerBound - 8)) : nil
                onClientHello(flow, fromLow: fromLow, segment, span, body: body, sslv2: false,
                              recordVersion: recordVersion, records: 1, now: now)
            case .serverHello(let body, let resume):
                resumeAt = resume
                onServerHello(flow, fromLow: fromLow, segment, span, body: body, sslv2: false, now: now)
            case .sslv2ClientHello(let message, let resume):
                resumeAt = resume
                onClientHello(flow, fromLow: fromLow, segment, span, body: message, sslv2: true,
                              recordVersion: nil, records: 1, now: now)
            case .sslv2ServerHello(let message, let resume):
                resumeAt = resume
                onServerHello(flow, fromLow: fromLow, segment, span, body: message, sslv2: true, now: now)
            case .alert(let alert, let resume):
                resumeAt = resume
                onAlert(flow, fromLow: fromLow, alert, now: now)
            case .helloSpansRecords(let first):
                switch scanner.gather(span, firstRecord: first, into: scratch) {
                case .needMore:
                    direction.pointee.nextSequence = base &+ UInt32(first)
                    return first
                case .malformed:
                    counters.hellosMalformed += 1
                    helloFailed(flow, fromLow: fromLow, state: .malformed, now: now)
                    return nil
                case .tooLarge:
                    counters.hellosOverBound += 1
                    helloFailed(flow, fromLow: fromLow, state: .overBound, now: now)
                    return nil
                case .complete(let length, let resume):
                    resumeAt = resume
                    let recordVersion = TLSVersion(span.loadUInt16(first + 1))
                    let records = Self.countRecords(span, from: first, to: resume)
                    let gathered = UnsafeRawBufferPointer(start: scratch.baseAddress, count: length)
                    let type = gathered[0]
                    if type == HandshakeType.clientHello.rawValue {
                        onClientHello(flow, fromLow: fromLow, segment, gathered.bytes, body: 4 ..< length, sslv2: false,
                                      recordVersion: recordVersion, records: records, now: now)
                    } else {
                        onServerHello(flow, fromLow: fromLow, segment, gathered.bytes, body: 4 ..< length, sslv2: false, now: now)
                    }
                }
            }
            // A direction goes on only after a HelloRetryRequest (the real ServerHello follows).
            guard direction.pointee.phase == .records, !flow.pointee.finished else { return nil }
            direction.pointee.nextSequence = base &+ UInt32(resumeAt)
            guard resumeAt < span.byteCount else { return resumeAt <= span.byteCount ? nil : nil }
            from = resumeAt
        }
    }

    static func countRecords(_ span: borrowing RawSpan, from: Int, to end: Int) -> UInt8 {
        var count: UInt8 = 0
        var at = from
        while at + 5 <= span.byteCount && at < end {
            count &+= 1
            at += 5 + Int(span.loadUInt16(at + 3))
        }
        return count
    }

    // MARK: Hello events

    private mutating func session(
        _ flow: UnsafeMutablePointer<FlowEntry>, clientIsLow: Bool, _ segment: borrowing TCPSegment, now: Int64
    ) -> UnsafeMutablePointer<SessionRecord>? {
        if flow.pointee.session >= 0 { return sessions.pointer(flow.pointee.session) }
        guard let slot = takeSessionSlot() ?? reclaimSessionSlot() else {
            counters.sessionSlotsExhausted += 1
            return nil
        }
        flow.pointee.session = slot
        flow.pointee.clientSide = clientIsLow ? 1 : 2
        let record = sessions.pointer(slot)
        let key = flow.pointee.key
        record.pointee.client = clientIsLow ? key.lowAddress : key.highAddress
        record.pointee.server = clientIsLow ? key.highAddress : key.lowAddress
        record.pointee.clientPort = clientIsLow ? key.lowPort : key.highPort
        record.pointee.serverPort = clientIsLow ? key.highPort : key.lowPort
        record.pointee.isIPv6 = segment.isIPv6
        record.pointee.vlans = segment.vlans
        record.pointee.encapsulation = segment.encapsulation
        record.pointee.firstSeenNanos = now
        record.pointee.preamble = flow.pointee.preamble
        if flow.pointee.preamble != .none { counters.flowsWithPreamble += 1 }
        return record
    }

    /// A free slot while fewer than `maximumPendingSessions` sessions are pending.
    private mutating func takeSessionSlot() -> Int32? {
        guard sessions.inUse - slotsWithSink < configuration.maximumPendingSessions else { return nil }
        return sessions.take()
    }

    /// The session pool is full: unanswered hellos must not keep every later handshake out
    /// until they idle out. Ends the least recently seen pending session (status `evicted`; its
    /// flow stays, finished, so no table entry moves) and hands back its slot.
    private mutating func reclaimSessionSlot() -> Int32? {
        guard let victim = table.pendingSessionCandidate() else { return nil }
        counters.sessionsEvictedForSlots += 1
        emit(table.pointer(victim), status: .evicted)
        return takeSessionSlot()
    }

    private mutating func onClientHello(
        _ flow: UnsafeMutablePointer<FlowEntry>, fromLow: Bool, _ segment: borrowing TCPSegment,
        _ span: borrowing RawSpan, body: Range<Int>, sslv2: Bool, recordVersion: TLSVersion?, records: UInt8, now: Int64
    ) {
        counters.clientHellosSeen += 1
        let direction = directionPointer(flow, fromLow: fromLow)
        direction.pointee.phase = .done
        // A second ClientHello from the other side would make no sense; keep the first.
        if flow.pointee.clientSide != 0 && (flow.pointee.clientSide == 1) != fromLow { return }
        guard let record = session(flow, clientIsLow: fromLow, segment, now: now) else { return }
        if record.pointee.clientHello == .parsed { return }
        record.pointee.clientHelloSegments = direction.pointee.segments
        record.pointee.clientHelloRecords = records
        record.pointee.clientRecordVersion = recordVersion
        record.pointee.lastSeenNanos = now
        if !sslv2, let known = clientHellos.find(span, body: body) {
            // Read in place: the remembered values are 1 KiB, and their offsets are from the body's start.
            takeClientHello(known.pointee.hello, shift: body.lowerBound, offered: known.pointee.offered, span, sslv2: false,
                            known: known, into: record)
        } else {
            do {
                let hello = sslv2
                    ? try ClientHello(decodingSSLv2: span, message: body)
                    : try ClientHello(decoding: span, body: body)
                let fresh = record.pointee.fingerprints.inputs.isFresh
                takeClientHello(hello, shift: 0, offered: hello.offeredVersions(span), span, sslv2: sslv2, known: nil, into: record)
                if !sslv2 {
                    record.pointee.fingerprints.clientStamp = clientHellos.remember(
                        span, body: body, hello, offered: record.pointee.offered,
                        inputs: configuration.fingerprints && fresh ? record.pointee.fingerprints.inputs : nil)
                }
            } catch {
                counters.hellosMalformed += 1
                record.pointee.clientHello = .malformed
            }
        }
        maybeComplete(flow, now: now)
    }

    /// What a decoded ClientHello says, into its session's slot. `hello`'s offsets are `shift`
    /// bytes before the span's (a remembered hello's are from its body's start); `known`: the
    /// remembered hello it is, if it is one.
    private mutating func takeClientHello(
        _ hello: borrowing ClientHello, shift: Int, offered: OfferedVersions, _ span: borrowing RawSpan, sslv2: Bool,
        known: UnsafePointer<ClientHelloMemo.Decoded>?, into record: UnsafeMutablePointer<SessionRecord>
    ) {
        counters.clientHellosParsed += 1
        counters.extensionsMalformed += hello.extensions.malformedExtensions
        record.pointee.clientHello = .parsed
        record.pointee.clientHelloSSLv2Format = sslv2
        record.pointee.clientLegacyVersion = hello.legacyVersion
        record.pointee.offered = offered
        record.pointee.cipherSuitesOffered = UInt16(clamping: hello.cipherSuites.count / (sslv2 ? 3 : 2))
        record.pointee.extensionsOffered = UInt16(clamping: hello.extensions.count)
        record.pointee.clientGREASE = hello.extensions.hasGREASE
        record.pointee.clientSessionID.assign(span, hello.sessionID.moved(by: shift))
        if let name = hello.extensions.serverName { record.pointee.serverName.assign(span, name.moved(by: shift)) }
        if let protocols = hello.extensions.applicationProtocols {
            record.pointee.alpnOffered.assign(span, protocols.moved(by: shift))
        }
        if configuration.fingerprints {
            if let known, known.pointee.hasInputs, record.pointee.fingerprints.inputs.isFresh {
                // A fresh session's inputs come to the same whoever fills them.
                record.pointee.fingerprints.inputs = known.pointee.inputs
                record.pointee.fingerprints.clientStamp = known.pointee.stamp
            } else {
                record.pointee.fingerprints.inputs.readClient(hello.moved(by: shift), in: span)
            }
            fingerprintClient(hello, shift: shift, span, &record.pointee.fingerprints)   // its lists hold the suites
            if record.pointee.fingerprints.inputs.clientCut { counters.fingerprintListsCut += 1 }
        }
        if !configuration.fingerprints || sslv2 {
            record.pointee.fingerprints.inputs.readSuites(hello.moved(by: shift), in: span)
        }
    }

    /// JA3 and JA4 of a ClientHello into the session's slot, from the inputs read from it (its
    /// lists are kept for the raw strings): hashed here, or left to the sink. `hello`'s offsets
    /// are `shift` bytes before the span's.
    private func fingerprintClient(
        _ hello: borrowing ClientHello, shift: Int, _ span: borrowing RawSpan, _ prints: inout SessionFingerprints
    ) {
        if configuration.deferFingerprintHashes && !prints.inputs.clientCut {
            prints.hashesPending = true
            return
        }
        if let made = fingerprintMemo?.client(prints.inputs, stamp: prints.clientStamp) {
            prints.ja3.assign(made.ja3)
            prints.ja4.assign(made.ja4)
            return
        }
        // Cut lists (or no TLS ClientHello): from the whole hello. Into locals: the closures
        // read `prints.inputs`, which a write into `prints` would conflict with.
        var ja3 = ShortBytes<32>(), ja4 = ShortBytes<40>()
        let scratch = fingerprintScratch
        let whole = hello.moved(by: shift)
        ja3.write { FingerprintText.ja3Hash(prints.inputs, hello: whole, in: span, scratch: scratch, hash: $0) }
        ja4.write { FingerprintText.ja4(prints.inputs, hello: whole, in: span, scratch: scratch, ja4: $0) }
        prints.ja3 = ja3
        prints.ja4 = ja4
    }

    /// JA3S of a ServerHello into the session's slot.
    private func fingerprintServer(_ hello: ServerHello, _ span: borrowing RawSpan, _ prints: inout SessionFingerprints) {
        prints.inputs.readServer(hello, in: span)
        if configuration.deferFingerprintHashes && !prints.inputs.serverCut {
            prints.hashesPending = true
            return
        }
        if let made = fingerprintMemo?.server(prints.inputs) {
            prints.ja3s.assign(made.ja3s)
            return
        }
        var ja3s = ShortBytes<32>()
        let scratch = fingerprintScratch
        ja3s.write { FingerprintText.ja3sHash(prints.inputs, hello: hello, in: span, scratch: scratch, hash: $0) }
        prints.ja3s = ja3s
    }

    private mutating func onServerHello(
        _ flow: UnsafeMutablePointer<FlowEntry>, fromLow: Bool, _ segment: borrowing TCPSegment,
        _ span: borrowing RawSpan, body: Range<Int>, sslv2: Bool, now: Int64
    ) {
        counters.serverHellosSeen += 1
        let direction = directionPointer(flow, fromLow: fromLow)
        direction.pointee.phase = .done
        if flow.pointee.clientSide != 0 && (flow.pointee.clientSide == 1) == fromLow { return }
        guard let record = session(flow, clientIsLow: !fromLow, segment, now: now) else { return }
        SessionRecord.prefetchForWrite(record)
        do {
            let hello = sslv2
                ? try ServerHello(decodingSSLv2: span, message: body)
                : try ServerHello(decoding: span, body: body)
            record.pointee.lastSeenNanos = now
            counters.serverHellosParsed += 1
            counters.extensionsMalformed += hello.extensions.malformedExtensions
            if hello.isHelloRetryRequest {
                counters.helloRetryRequests += 1
                record.pointee.helloRetry = true
                // The real ServerHello comes later in this direction.
                direction.pointee.phase = .records
                return
            }
            record.pointee.serverHello = .parsed
            record.pointee.serverLegacyVersion = hello.legacyVersion
            record.pointee.selectedVersion = hello.selectedVersion
            record.pointee.negotiated = hello.negotiatedVersion
            record.pointee.cipher = sslv2 ? nil : hello.cipherSuite
            if configuration.fingerprints {
                fingerprintServer(hello, span, &record.pointee.fingerprints)
                if record.pointee.fingerprints.inputs.serverCut { counters.fingerprintListsCut += 1 }
            }
            if let protocols = hello.extensions.applicationProtocols, protocols.count > 1 {
                let length = Int(span.loadUInt8(protocols.lowerBound))
                record.pointee.alpnSelected.assign(span, protocols.lowerBound + 1 ..< min(protocols.lowerBound + 1 + length, protocols.upperBound))
            }
            let sessionID = hello.sessionID
            let echoed = !sessionID.isEmpty && !sslv2 && record.pointee.clientSessionID.equals(span, sessionID)
            // TLS 1.3 echoes the session id for middlebox compatibility; there, only a PSK resumes.
            let isTLS13 = hello.selectedVersion.map { $0.rawValue == 0x0304 || $0.isTLS13Draft } ?? false
            record.pointee.resumed = isTLS13 ? hello.extensions.hasPreSharedKey : echoed
        } catch {
            record.pointee.lastSeenNanos = now
            counters.hellosMalformed += 1
            record.pointee.serverHello = .malformed
        }
        maybeComplete(flow, now: now)
    }

    private mutating func onAlert(_ flow: UnsafeMutablePointer<FlowEntry>, fromLow: Bool, _ alert: TLSAlert, now: Int64) {
        directionPointer(flow, fromLow: fromLow).pointee.phase = .done
        guard flow.pointee.session >= 0, flow.pointee.clientSide != 0 else { return }
        let record = sessions.pointer(flow.pointee.session)
        let fromServer = (flow.pointee.clientSide == 1) != fromLow
        if record.pointee.alert == nil {
            record.pointee.alert = alert
            record.pointee.alertFromServer = fromServer
        }
        // A warning (say unrecognized_name, RFC 6066 §3) does not end the handshake: the
        // ServerHello may follow in the same flight.
        if alert.level == 1 && alert.description.rawValue != 0 {
            directionPointer(flow, fromLow: fromLow).pointee.phase = .records
            return
        }
        if fromServer && !record.pointee.hasServerHello {
            counters.alertsBeforeServerHello += 1
            record.pointee.lastSeenNanos = now
            emit(flow, status: .refused)
        }
    }

    /// A hello that will not become whole: note it on the session (making one if the
    /// direction's role is unknown, assuming a ClientHello) and stop reading that direction.
    private mutating func helloFailed(_ flow: UnsafeMutablePointer<FlowEntry>, fromLow: Bool, state: HelloState, now: Int64) {
        let direction = directionPointer(flow, fromLow: fromLow)
        releaseBuffer(direction)
        direction.pointee.phase = .done
        let isServer = flow.pointee.clientSide != 0 && (flow.pointee.clientSide == 1) != fromLow
        var segment = TCPSegment()
        segment.isIPv6 = !flow.pointee.key.lowAddress.isIPv4
        guard let record = session(flow, clientIsLow: isServer ? !fromLow : fromLow, segment, now: now) else { return }
        if isServer {
            if record.pointee.serverHello == .missing { record.pointee.serverHello = state }
        } else if record.pointee.clientHello == .missing {
            record.pointee.clientHello = state
        }
        maybeComplete(flow, now: now)
    }

    private mutating func directionDone(_ flow: UnsafeMutablePointer<FlowEntry>, fromLow: Bool, now: Int64) {
        let direction = directionPointer(flow, fromLow: fromLow)
        releaseBuffer(direction)
        direction.pointee.phase = .done
        maybeComplete(flow, now: now)
    }

    private mutating func releaseBuffer(_ direction: UnsafeMutablePointer<DirectionState>) {
        if direction.pointee.buffer >= 0 {
            reassembly.release(direction.pointee.buffer)
            direction.pointee.buffer = -1
        }
    }

    /// Emits the session once both sides have said what they will say.
    private mutating func maybeComplete(_ flow: UnsafeMutablePointer<FlowEntry>, now: Int64) {
        let low = flow.pointee.low.phase, high = flow.pointee.high.phase
        guard flow.pointee.session >= 0 else {
            if low == .done && high == .done && !flow.pointee.finished {
                if !flow.pointee.midstream { counters.flowsNotTLS += 1 }
                flow.pointee.finished = true
            }
            return
        }
        let record = sessions.pointer(flow.pointee.session)
        let clientIsLow = flow.pointee.clientSide == 1
        let serverPhase = clientIsLow ? high : low
        let clientPhase = clientIsLow ? low : high
        if record.pointee.hasServerHello && clientPhase == .done {
            emit(flow, status: .negotiated)
        } else if record.pointee.serverHello == .malformed {
            emit(flow, status: .parseError)
        } else if record.pointee.clientHello != .missing && record.pointee.clientHello != .parsed && serverPhase == .done {
            emit(flow, status: record.pointee.clientHello == .malformed ? .parseError : .incomplete)
        } else if record.pointee.clientHello != .missing && serverPhase == .done && clientPhase == .done {
            // The server said something that is not a ServerHello (plaintext, or no TLS at all).
            emit(flow, status: record.pointee.helloRetry ? .helloRetry : .refused)
        }
    }

    // MARK: Ends of flows

    private mutating func noteClose(_ slot: Int, _ flow: UnsafeMutablePointer<FlowEntry>, fromLow: Bool, reset: Bool, now: Int64) {
        let direction = directionPointer(flow, fromLow: fromLow)
        direction.pointee.sawFin = true
        if !flow.pointee.finished, flow.pointee.session >= 0 {
            let record = sessions.pointer(flow.pointee.session)
            let fromServer = (flow.pointee.clientSide == 1) != fromLow
            if !record.pointee.hasServerHello && record.pointee.clientHello != .missing {
                if fromServer {
                    record.pointee.closedByServer = true
                    emit(flow, status: record.pointee.helloRetry ? .helloRetry : .refused)
                } else if reset {
                    emit(flow, status: .noServerHello)
                }
            }
        }
        if reset || (flow.pointee.low.sawFin && flow.pointee.high.sawFin) {
            endFlow(slot, status: nil, now: now)
        }
    }

    /// Emits what is pending in the flow at `slot` and frees the slot.
    private mutating func endFlow(_ slot: Int, status: SessionStatus?, now: Int64) {
        let flow = table.pointer(slot)
        if !flow.pointee.finished {
            // A hello still being gathered becomes an incomplete session.
            for fromLow in [true, false] {
                let direction = directionPointer(flow, fromLow: fromLow)
                if direction.pointee.buffer >= 0 {
                    counters.hellosIncompleteGap += 1
                    // Dated when the hello began, not when the flow ended: an idle flow ends
                    // when the sweep reaches its slot, and slots follow the random hash key.
                    let began = reassembly.buffer(direction.pointee.buffer).startedNanos
                    helloFailed(flow, fromLow: fromLow, state: .gap, now: began)
                }
            }
        }
        // A flow that carried bytes but never a hello ends as "not TLS" (or mid-stream TLS).
        if !flow.pointee.finished && flow.pointee.session < 0 && !flow.pointee.midstream
            && (flow.pointee.low.phase != .fresh || flow.pointee.high.phase != .fresh) {
            counters.flowsNotTLS += 1
        }
        if !flow.pointee.finished && flow.pointee.session >= 0 {
            let record = sessions.pointer(flow.pointee.session)
            let final: SessionStatus
            if let status, status == .evicted {
                final = .evicted
            } else if record.pointee.hasServerHello {
                final = .negotiated
            } else if record.pointee.helloRetry {
                final = .helloRetry
            } else if record.pointee.clientHello == .malformed || record.pointee.serverHello == .malformed {
                final = .parseError
            } else if record.pointee.clientHello == .gap || record.pointee.clientHello == .overBound {
                final = .incomplete
            } else {
                final = status ?? .noServerHello
            }
            emit(flow, status: final)
        }
        releaseBuffer(directionPointer(flow, fromLow: true))
        releaseBuffer(directionPointer(flow, fromLow: false))
        table.remove(slot)
    }

    /// The capture clock reached a new second: the idle sweep moves on by the share of the
    /// table that makes one full pass per quarter of the idle timeout, so a flow ends at most
    /// a quarter timeout late. Per second, not per packet: most packets cost no sweep at all.
    private mutating func secondPassed(to second: UInt32, now: Int64) {
        let elapsed = second > nowSeconds ? Int(second - nowSeconds) : 1
        let first = nowSeconds == 0
        nowSeconds = second
        guard !first else { return }
        let pass = max(Int(configuration.idleTimeoutSeconds) / 4, 1)
        expireIdle(steps: min(table.slotCount, (table.slotCount * min(elapsed, pass) + pass - 1) / pass), now: now)
    }

    @inline(__always)
    private func isIdlePastTimeout(_ flow: UnsafeMutablePointer<FlowEntry>) -> Bool {
        let lastSeen = flow.pointee.lastSeenSeconds
        return nowSeconds > lastSeen && nowSeconds &- lastSeen > configuration.idleTimeoutSeconds
    }

    private mutating func expireIdle(steps: Int, now: Int64) {
        for _ in 0 ..< steps {
            guard let slot = table.advanceHand() else { continue }
            if isIdlePastTimeout(table.pointer(slot)) {
                counters.flowsExpired += 1
                endFlow(slot, status: nil, now: now)
            }
        }
    }

    private mutating func emit(_ flow: UnsafeMutablePointer<FlowEntry>, status: SessionStatus) {
        guard flow.pointee.session >= 0, !flow.pointee.finished else { return }
        let slot = flow.pointee.session
        let record = sessions.pointer(slot)
        record.pointee.status = status
        if record.pointee.lastSeenNanos == 0 { record.pointee.lastSeenNanos = record.pointee.firstSeenNanos }
        let serverName = (UnsafeRawPointer(record) + MemoryLayout<SessionRecord>.offset(of: \.serverName)!)
            .assumingMemoryBound(to: ShortBytes<255>.self)
        let match = configuration.roles.classify(serverPort: record.pointee.serverPort,
                                                 clientPort: record.pointee.clientPort, serverNameAt: serverName)
        record.pointee.roleIndex = match.index
        record.pointee.roleListenerIsServer = match.listenerIsServer
        configuration.policy.judge(&record.pointee)
        counters.sessions += 1
        if record.pointee.earlyTLS { counters.earlyTLSSessions += 1 }
        if sink.accept(inPlace: record, slot: slot) {
            slotsWithSink += 1 - sink.returnSlots(to: &sessions)
        } else {
            sessions.release(slot)
        }
        flow.pointee.session = -1
        flow.pointee.finished = true
        releaseBuffer(directionPointer(flow, fromLow: true))
        releaseBuffer(directionPointer(flow, fromLow: false))
        flow.pointee.low.phase = .done
        flow.pointee.high.phase = .done
    }
}

/// Where a tracker's table places each segment's flow (`FlowHashKey.placement`), worked out
/// ahead of `FlowTracker.process(placed:)`: on the reader's thread, the hash no longer costs
/// the tracking thread, which set the pace and computed it twice a packet (for the prefetch
/// and for the look-up). Holds a copy of the table's secret, nothing shared.
public struct FlowPlacer: Sendable {
    let hashKey: FlowHashKey

    /// `decoded` with its flow's placement noted in the segment (`TCPSegment.flowPlacement`).
    public func place(_ decoded: FrameOutcome) -> FrameOutcome {
        guard case .segment(var segment) = decoded, !segment.isBare else { return decoded }
        segment.flowPlacement = hashKey.flowHash.placement(of: segment)   // as a placing `FrameDecoder` does
        return .segment(segment)
    }
}
