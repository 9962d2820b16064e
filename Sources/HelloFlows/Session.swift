import CPrefetch
import HelloFingerprint
import HelloWire

/// How a session's handshake ended, as far as the capture shows.
public enum SessionStatus: UInt8, Sendable, CaseIterable {
    case negotiated          // a ServerHello chose a version
    case refused             // the server answered the ClientHello with an alert, or closed
    case noServerHello       // the client's hello went unanswered until the flow ended
    case helloRetry          // a HelloRetryRequest, and no ServerHello after it
    case incomplete          // a hello never became whole (gap in the capture, or over the bound)
    case parseError          // a hello was whole but malformed
    case evicted             // the flow table needed the slot before the handshake ended

    public var name: StaticString {
        switch self {
        case .negotiated: "negotiated"
        case .refused: "refused"
        case .noServerHello: "no_server_hello"
        case .helloRetry: "hello_retry"
        case .incomplete: "incomplete"
        case .parseError: "parse_error"
        case .evicted: "evicted"
        }
    }
}

/// What one side's hello came to.
public enum HelloState: UInt8, Sendable {
    case missing, parsed, malformed, overBound, gap
}

/// Bytes copied out of a hello that must outlive the packet (SNI, ALPN), in fixed storage
/// so that recording a session allocates nothing.
public struct ShortBytes<let capacity: Int>: Sendable {
    /// Two bytes, not an `Int`'s eight: a session holds seven of these, in a slot per pending session.
    @usableFromInline var storedCount: UInt16 = 0
    @usableFromInline var storage = InlineArray<capacity, UInt8>(repeating: 0)

    public init() {
        precondition(capacity <= Int(UInt16.max))
    }

    public private(set) var count: Int {
        get { Int(storedCount) }
        set { storedCount = UInt16(truncatingIfNeeded: newValue) }
    }

    /// Copies `range` of `span`; keeps the first `capacity` bytes and says if it cut.
    @discardableResult
    public mutating func assign(_ span: borrowing RawSpan, _ range: Range<Int>) -> Bool {
        let kept = min(range.count, capacity)
        withUnsafeMutableBytes(of: &storage) { span.copyBytes(range.lowerBound ..< range.lowerBound + kept, to: $0.baseAddress!) }
        count = kept
        return kept == range.count
    }

    public subscript(index: Int) -> UInt8 { storage[index] }

    /// Whether the bytes held are `range` of `span`. Through the span: `self[index]` in a loop
    /// copied the storage for every byte compared.
    public func equals(_ span: borrowing RawSpan, _ range: Range<Int>) -> Bool {
        guard range.count == count else { return false }
        let held = storage.span
        for index in 0 ..< count where held[index] != span.loadUInt8(range.lowerBound + index) { return false }
        return true
    }

    /// The bytes held, in place.
    /// Inlinable, so that the writer's module specialises it: called generically from there,
    /// each call went through the span's unspecialised `withUnsafeBufferPointer`, about 120
    /// instructions of overhead per string (4 a session line).
    @inlinable
    public func withBytes<Result>(_ body: (UnsafeBufferPointer<UInt8>) -> Result) -> Result {
        // Through the span: `withUnsafeBytes(of:)` would copy the whole storage first.
        storage.span.withUnsafeBufferPointer { body(UnsafeBufferPointer(rebasing: $0[0 ..< Int(storedCount)])) }
    }

    /// Copies `bytes`, cut at `capacity`.
    public mutating func assign(_ bytes: UnsafeBufferPointer<UInt8>) {
        write { out in
            let count = min(bytes.count, out.count)
            if let source = bytes.baseAddress, count > 0 { out.baseAddress!.update(from: source, count: count) }
            return count
        }
    }

    /// Lets `body` write straight into the storage; it returns how many bytes it wrote.
    public mutating func write(_ body: (UnsafeMutableBufferPointer<UInt8>) -> Int) {
        count = withUnsafeMutableBytes(of: &storage) { raw in
            min(body(raw.bindMemory(to: UInt8.self)), capacity)
        }
    }

    public var isEmpty: Bool { count == 0 }

    public var string: String {
        String(decoding: (0 ..< count).map { storage[$0] }, as: UTF8.self)
    }

    public var lowercasedBytes: [UInt8] { (0 ..< count).map { asciiLowercased(storage[$0]) } }

    /// Copies a string's UTF-8 (a fingerprint), cut at `capacity`; says if it all fit.
    @discardableResult
    public mutating func assign(_ text: String) -> Bool {
        var text = text
        return text.withUTF8 { utf8 in
            count = min(utf8.count, capacity)
            for index in 0 ..< count { storage[index] = utf8[index] }
            return count == utf8.count
        }
    }
}

/// `A` to `Z` lowered, every other byte as it is: DNS names compare without case.
@inline(__always)
func asciiLowercased(_ byte: UInt8) -> UInt8 { byte >= 65 && byte <= 90 ? byte + 32 : byte }

/// Fingerprints of a session's hellos (JA3/JA3S per Salesforce, JA4 per FoxIO, BSD-3-Clause):
/// the hashes, and the lists they were made from, from which the raw strings (`ja3_string`,
/// `ja4_r`, `ja3s_string`) are written when the session is output. Empty when fingerprints
/// are off or the hello is in SSLv2 format.
public struct SessionFingerprints: Sendable {
    public var ja3 = ShortBytes<32>()
    public var ja4 = ShortBytes<40>()
    public var ja3s = ShortBytes<32>()
    public var inputs = FingerprintInputs()
    /// The tracker kept the lists but left the hashing to `finishHashes`
    /// (`TrackerConfiguration.deferFingerprintHashes`).
    public var hashesPending = false
    /// The stamp of the ClientHello side of `inputs` (the tracker's ClientHello memo gave it),
    /// or 0: equal stamps, equal inputs, so the writer's memo finds them by it.
    public var clientStamp: InputsStamp {
        get { InputsStamp(stampHalves.high) << 32 | InputsStamp(stampHalves.low) }
        set { stampHalves = (UInt32(truncatingIfNeeded: newValue >> 32), UInt32(truncatingIfNeeded: newValue)) }
    }
    /// In halves: an 8-byte field aligned the fingerprints to 8 and made the session slot 1 160
    /// bytes, a 19th cache line; with these it is 1 152, 18 lines.
    private var stampHalves: (high: UInt32, low: UInt32) = (0, 0)

    public init() {}

    /// Hashes what the tracker left for later, from the kept lists (on an output thread this
    /// takes the hashing off the thread that follows the packets), and returns the raw strings
    /// for the JSON line to copy rather than write again, valid until `memo`'s next use. Both
    /// come from `memo` when it remembers these inputs; hashes made already (by the tracker,
    /// or while the hello was at hand) are kept. A side whose lists were cut has no strings.
    @discardableResult
    public mutating func finishHashes(memo: FingerprintMemo) -> RenderedFingerprints {
        var rendered = RenderedFingerprints()
        let hashing = hashesPending
        hashesPending = false
        if hashing && ja3.isEmpty && ja4.isEmpty {
            if let made = memo.client(inputs, stamp: clientStamp) {
                ja3.assign(made.ja3)
                ja4.assign(made.ja4)
                (rendered.ja3String, rendered.ja4Raw) = (made.ja3String, made.ja4Raw)
            }
        } else if !ja3.isEmpty && !ja4.isEmpty {
            let made = ja3.withBytes { ja3 in ja4.withBytes { ja4 in memo.client(inputs, stamp: clientStamp, known: (ja3, ja4)) } }
            (rendered.ja3String, rendered.ja4Raw) = (made?.ja3String, made?.ja4Raw)
        }
        if hashing && ja3s.isEmpty {
            if let made = memo.server(inputs) {
                ja3s.assign(made.ja3s)
                rendered.ja3sString = made.ja3sString
            }
        } else if !ja3s.isEmpty {
            rendered.ja3sString = ja3s.withBytes { memo.server(inputs, known: $0) }?.ja3sString
        }
        return rendered
    }
}

/// The raw strings (`ja3_string`, `ja4_r`, `ja3s_string`) that `SessionFingerprints.finishHashes`
/// wrote to hash them, where it left them: in its scratch, valid until that is written again.
public struct RenderedFingerprints {
    public var ja3String: UnsafeBufferPointer<UInt8>?
    public var ja4Raw: UnsafeBufferPointer<UInt8>?
    public var ja3sString: UnsafeBufferPointer<UInt8>?

    public init() {}
}

/// One TLS session: what each side's hello said and how the handshake ended. A value
/// with no references, kept in a preallocated slot from the first hello until it is
/// handed to the sinks. Sinks read this, never packet bytes.
public struct SessionRecord: Sendable {
    public var firstSeenNanos: Int64 = 0       // the first hello's packet
    public var lastSeenNanos: Int64 = 0
    public var client = IPAddress(high: 0, low: 0)
    public var server = IPAddress(high: 0, low: 0)
    public var clientPort: UInt16 = 0
    public var serverPort: UInt16 = 0
    public var isIPv6 = false
    public var vlans = VLANStack()
    public var encapsulation = Encapsulation()
    public var preamble = PreambleKind.none

    public var clientHello = HelloState.missing
    public var clientRecordVersion: TLSVersion?
    public var clientLegacyVersion: TLSVersion?
    public var offered = OfferedVersions()
    public var clientHelloSSLv2Format = false
    public var clientHelloSegments: UInt16 = 0
    public var clientHelloRecords: UInt8 = 0
    public var cipherSuitesOffered: UInt16 = 0
    public var extensionsOffered: UInt16 = 0
    public var clientGREASE = false
    public var serverName = ShortBytes<255>()
    /// ALPN ProtocolNameList as sent (1-byte length prefixed), cut at `capacity`.
    public var alpnOffered = ShortBytes<96>()

    public var serverHello = HelloState.missing
    public var serverLegacyVersion: TLSVersion?
    public var selectedVersion: TLSVersion?
    public var negotiated: TLSVersion?
    public var cipher: CipherSuite?
    public var alpnSelected = ShortBytes<64>()
    public var helloRetry = false
    public var resumed = false
    public var alert: TLSAlert?
    public var alertFromServer = false
    public var closedByServer = false

    public var status = SessionStatus.noServerHello
    public var verdict = Verdict.unknown
    public var earlyTLS = false
    public var blame = Blame.none
    /// Index into the `RoleTable` the tracker was given, and which side its port is on.
    public var roleIndex = 0
    public var roleListenerIsServer = true
    public var clientSessionID = ShortBytes<32>()
    /// Also the client's offered suites (`inputs.offeredSuites`), kept even when fingerprints are off.
    public var fingerprints = SessionFingerprints()

    public init() {}

    public var hasClientHello: Bool { clientHello == .parsed }
    public var hasServerHello: Bool { serverHello == .parsed }

    /// Starts loading every cache line of the record at `session`. A session is written on
    /// the tracking thread and read on the output thread, so its 18 lines sit in the other
    /// core's cache; the output thread calls this a few sessions ahead rather than wait for
    /// them line by line as the JSON line, the inventory and the tally reach them.
    @inline(__always)
    public static func prefetch(_ session: UnsafePointer<SessionRecord>) {
        let start = UnsafeRawPointer(session)
        for offset in stride(from: 0, to: MemoryLayout<SessionRecord>.size, by: 64) { hs_prefetch_for_read(start + offset) }
    }

    /// The same, for writing: for a slot about to be handed out (`SessionPool`), and for a
    /// record when its ServerHello arrives, before the decode (written at the ClientHello,
    /// often tens of thousands of sessions before, it is long gone from the caches).
    @inline(__always)
    public static func prefetchForWrite(_ session: UnsafeMutablePointer<SessionRecord>) {
        let start = UnsafeRawPointer(session)
        for offset in stride(from: 0, to: MemoryLayout<SessionRecord>.size, by: 64) { hs_prefetch_for_write(start + offset) }
    }
}
