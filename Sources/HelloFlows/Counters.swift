import HelloWire

/// Everything the tracker counts, so "no early TLS found" can be weighed against what was
/// actually seen. Plain integers: adding one is the whole cost on the packet path.
public struct Counters: Sendable, Equatable {
    public var packets = 0
    public var bytes = 0
    public var tcpSegments = 0
    public var payloadCut = 0              // segments whose payload the snap length cut
    public var skipped = [Int](repeating: 0, count: FrameSkip.allCases.count)

    public var flowsCreated = 0
    public var flowsEvicted = 0            // removed to make room at the flow cap
    public var flowsExpired = 0            // idle past the timeout
    public var flowsNotTLS = 0
    public var flowsMidstream = 0          // TLS picked up without its hello
    public var flowsWithPreamble = 0       // TLS found after plaintext (STARTTLS ...)

    public var clientHellosSeen = 0
    public var clientHellosParsed = 0
    public var serverHellosSeen = 0
    public var serverHellosParsed = 0
    public var helloRetryRequests = 0
    public var hellosMalformed = 0
    public var hellosOverBound = 0         // claimed more than the reassembly bound
    public var hellosIncompleteGap = 0     // the stream had a hole we never saw filled
    public var extensionsMalformed = 0
    /// Hellos with longer fingerprint lists than a session keeps: hashed whole, raw strings null.
    public var fingerprintListsCut = 0
    public var alertsBeforeServerHello = 0

    public var reassemblyStarted = 0       // hellos that needed the copy (split or reordered)
    public var reassemblyPoolExhausted = 0 // no buffer left under --max-reassembly-memory
    public var sessionSlotsExhausted = 0
    public var sessionsEvictedForSlots = 0 // pending sessions ended to free a slot for a new hello
    public var segmentsOutOfWindow = 0
    public var segmentsOutOfOrder = 0
    public var segmentsRetransmitted = 0

    public var sessions = 0
    public var earlyTLSSessions = 0

    public init() {}

    /// Adds another worker's counts (live capture merges one tracker per worker).
    public static func + (lhs: Counters, other: Counters) -> Counters {
        var sum = lhs
        sum.packets += other.packets
        sum.bytes += other.bytes
        sum.tcpSegments += other.tcpSegments
        sum.payloadCut += other.payloadCut
        sum.flowsCreated += other.flowsCreated
        sum.flowsEvicted += other.flowsEvicted
        sum.flowsExpired += other.flowsExpired
        sum.flowsNotTLS += other.flowsNotTLS
        sum.flowsMidstream += other.flowsMidstream
        sum.flowsWithPreamble += other.flowsWithPreamble
        sum.clientHellosSeen += other.clientHellosSeen
        sum.clientHellosParsed += other.clientHellosParsed
        sum.serverHellosSeen += other.serverHellosSeen
        sum.serverHellosParsed += other.serverHellosParsed
        sum.helloRetryRequests += other.helloRetryRequests
        sum.hellosMalformed += other.hellosMalformed
        sum.hellosOverBound += other.hellosOverBound
        sum.hellosIncompleteGap += other.hellosIncompleteGap
        sum.extensionsMalformed += other.extensionsMalformed
        sum.fingerprintListsCut += other.fingerprintListsCut
        sum.alertsBeforeServerHello += other.alertsBeforeServerHello
        sum.reassemblyStarted += other.reassemblyStarted
        sum.reassemblyPoolExhausted += other.reassemblyPoolExhausted
        sum.sessionSlotsExhausted += other.sessionSlotsExhausted
        sum.sessionsEvictedForSlots += other.sessionsEvictedForSlots
        sum.segmentsOutOfWindow += other.segmentsOutOfWindow
        sum.segmentsOutOfOrder += other.segmentsOutOfOrder
        sum.segmentsRetransmitted += other.segmentsRetransmitted
        sum.sessions += other.sessions
        sum.earlyTLSSessions += other.earlyTLSSessions
        for index in sum.skipped.indices { sum.skipped[index] += other.skipped[index] }
        return sum
    }

    public mutating func count(_ skip: FrameSkip) {
        skipped[skip.rawValue] += 1
    }

    public subscript(skip: FrameSkip) -> Int { skipped[skip.rawValue] }

    /// Named fields in a fixed order, for the summary and the JSON stats record.
    public var named: [(String, Int)] {
        var fields: [(String, Int)] = [
            ("packets", packets), ("bytes", bytes), ("tcp_segments", tcpSegments),
            ("payload_cut_by_snaplen", payloadCut),
        ]
        for skip in FrameSkip.allCases { fields.append((skip.counterName.description, self[skip])) }
        fields += [
            ("flows", flowsCreated), ("flows_evicted", flowsEvicted), ("flows_expired", flowsExpired),
            ("flows_not_tls", flowsNotTLS), ("flows_midstream_tls", flowsMidstream),
            ("flows_with_preamble", flowsWithPreamble),
            ("client_hellos_seen", clientHellosSeen), ("client_hellos_parsed", clientHellosParsed),
            ("server_hellos_seen", serverHellosSeen), ("server_hellos_parsed", serverHellosParsed),
            ("hello_retry_requests", helloRetryRequests), ("hellos_malformed", hellosMalformed),
            ("hellos_over_reassembly_bound", hellosOverBound), ("hellos_incomplete_gap", hellosIncompleteGap),
            ("extensions_malformed", extensionsMalformed), ("fingerprint_lists_cut", fingerprintListsCut),
            ("alerts_before_server_hello", alertsBeforeServerHello),
            ("reassembly_started", reassemblyStarted), ("reassembly_pool_exhausted", reassemblyPoolExhausted),
            ("session_slots_exhausted", sessionSlotsExhausted), ("sessions_evicted_for_slots", sessionsEvictedForSlots),
            ("segments_out_of_order", segmentsOutOfOrder), ("segments_retransmitted", segmentsRetransmitted),
            ("segments_out_of_window", segmentsOutOfWindow),
            ("sessions", sessions), ("early_tls_sessions", earlyTLSSessions),
        ]
        return fields
    }
}
