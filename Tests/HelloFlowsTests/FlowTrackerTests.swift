import Testing
import HelloFlows
import HelloWire
import FrameTestSupport

// FlowTracker fed with hand-built Ethernet/IPv4/TCP frames (FrameBuilder.swift) carrying
// the hellos in Fixtures.swift, and with one real capture (Captures/refused-early-only.pcap,
// OpenSSL s_client -tls1 against s_server -tls1_2; tshark shows frame 6 carrying the fatal
// protocol_version alert). Expected outcomes follow the session states documented in
// Session.swift and the early-TLS rules in Verdict.swift.

struct Collector: SessionSink {
    var sessions: [SessionRecord] = []
    mutating func accept(_ session: borrowing SessionRecord) { sessions.append(copy session) }
}

/// Small limits so each test's tracker is cheap; the behaviour under test does not depend on them.
func testConfiguration() -> TrackerConfiguration {
    var configuration = TrackerConfiguration()
    configuration.maximumFlows = 1024
    configuration.maximumReassemblyMemory = 64 * 16_384
    configuration.maximumPendingSessions = 1024
    return configuration
}

let baseNanos: Int64 = 1_700_000_000_000_000_000

func run(_ frames: [[UInt8]], configuration: TrackerConfiguration = testConfiguration()) -> (sessions: [SessionRecord], counters: Counters) {
    var tracker = FlowTracker(configuration: configuration, sink: Collector())
    let decoder = FrameDecoder(linkType: .ethernet)
    for (index, frame) in frames.enumerated() {
        tracker.process(frame: frame.span.bytes, decoder: decoder, timestampNanos: baseNanos + Int64(index) * 1_000, wireLength: frame.count)
    }
    tracker.finish(now: baseNanos + Int64(frames.count) * 1_000)
    return (tracker.sink.sessions, tracker.counters)
}

/// One TCP connection: `initiator` sent the SYN. Sequence numbers run as on the wire.
struct Conversation {
    struct Endpoint {
        var address: String
        var port: UInt16
        var initialSequence: UInt32
        var next: UInt32
    }

    var initiator: Endpoint
    var responder: Endpoint
    var frames: [[UInt8]] = []

    init(initiator: (String, UInt16), responder: (String, UInt16)) {
        self.initiator = Endpoint(address: initiator.0, port: initiator.1, initialSequence: 1_000, next: 1_001)
        self.responder = Endpoint(address: responder.0, port: responder.1, initialSequence: 4_000_000_000, next: 4_000_000_001)
    }

    /// SYN, SYN-ACK, ACK.
    mutating func open() {
        frames.append(frame(fromInitiator: true, sequence: initiator.initialSequence, flags: TCPFlag.syn, []))
        frames.append(frame(fromInitiator: false, sequence: responder.initialSequence, flags: TCPFlag.syn | TCPFlag.ack, []))
        frames.append(frame(fromInitiator: true, sequence: initiator.next, flags: TCPFlag.ack, []))
    }

    func frame(fromInitiator: Bool, sequence: UInt32, flags: UInt8, _ payload: [UInt8]) -> [UInt8] {
        let (from, to) = fromInitiator ? (initiator, responder) : (responder, initiator)
        return FrameBuilder.tcpOverIPv4(from.address, from.port, to.address, to.port, sequence: sequence,
                                        acknowledgment: to.next, flags: flags, payload)
    }

    /// A segment of `payload` at `offset` from the sender's next sequence number, not sent yet.
    func segment(fromInitiator: Bool, offset: Int, _ payload: [UInt8]) -> [UInt8] {
        let base = fromInitiator ? initiator.next : responder.next
        return frame(fromInitiator: fromInitiator, sequence: base &+ UInt32(offset), flags: TCPFlag.psh | TCPFlag.ack, payload)
    }

    mutating func advance(fromInitiator: Bool, by count: Int) {
        if fromInitiator { initiator.next &+= UInt32(count) } else { responder.next &+= UInt32(count) }
    }

    mutating func send(fromInitiator: Bool, _ payload: [UInt8]) {
        frames.append(segment(fromInitiator: fromInitiator, offset: 0, payload))
        advance(fromInitiator: fromInitiator, by: payload.count)
    }

    mutating func close(fromInitiator: Bool, reset: Bool = false) {
        let sequence = fromInitiator ? initiator.next : responder.next
        frames.append(frame(fromInitiator: fromInitiator, sequence: sequence, flags: reset ? TCPFlag.rst : TCPFlag.fin | TCPFlag.ack, []))
        if !reset { advance(fromInitiator: fromInitiator, by: 1) }
    }
}

/// The default Deep Security heartbeat shape: agent 10.213.7.2 connects to manager 10.213.7.1:4120.
func heartbeat() -> Conversation {
    var conversation = Conversation(initiator: ("10.213.7.2", 51_000), responder: ("10.213.7.1", 4120))
    conversation.open()
    return conversation
}

/// The fields a session's outcome is judged by; equal for every delivery order of the same bytes.
struct Outcome: Equatable, CustomStringConvertible {
    var status: SessionStatus
    var client: String
    var server: String
    var clientPort: UInt16
    var serverPort: UInt16
    var serverName: String
    var offered: [UInt16]
    var negotiated: UInt16?
    var cipher: UInt16?
    var verdict: Verdict
    var clientHello: HelloState
    var serverHello: HelloState

    init(_ session: SessionRecord) {
        status = session.status
        client = session.client.description
        server = session.server.description
        clientPort = session.clientPort
        serverPort = session.serverPort
        serverName = session.serverName.string
        offered = session.offered.versions.map(\.rawValue)
        negotiated = session.negotiated?.rawValue
        cipher = session.cipher?.rawValue
        verdict = session.verdict
        clientHello = session.clientHello
        serverHello = session.serverHello
    }

    var description: String {
        "\(status.name) \(client):\(clientPort)→\(server):\(serverPort) sni=\(serverName) offered=\(offered) negotiated=\(String(describing: negotiated)) cipher=\(String(describing: cipher)) verdict=\(verdict.name)"
    }
}

@Suite("FlowTracker")
struct FlowTrackerTests {
    @Test("an in-order hello pair in single segments: one negotiated session, right client and server")
    func inOrderPair() throws {
        var conversation = heartbeat()
        conversation.send(fromInitiator: true, Hellos.tls13ClientHelloRecord)
        conversation.send(fromInitiator: false, Hellos.tls13ServerHelloRecord)
        conversation.close(fromInitiator: true)
        conversation.close(fromInitiator: false)
        let (sessions, counters) = run(conversation.frames)
        try #require(sessions.count == 1)
        let session = sessions[0]
        #expect(session.status == .negotiated)
        #expect(session.client.description == "10.213.7.2" && session.clientPort == 51_000)
        #expect(session.server.description == "10.213.7.1" && session.serverPort == 4120)
        #expect(!session.isIPv6)
        #expect(session.serverName.string == "server")
        #expect(session.offered.versions == [.tls13])
        #expect(session.clientLegacyVersion == .tls12)
        #expect(session.clientRecordVersion == .tls10)
        #expect(session.negotiated == .tls13)
        #expect(session.selectedVersion == .tls13)
        #expect(session.cipher?.rawValue == 0x1301)
        #expect(session.cipherSuitesOffered == 3)
        #expect(session.extensionsOffered == 9)
        #expect(session.clientHelloSegments == 1)
        #expect(session.clientHelloRecords == 1)
        #expect(session.verdict == .ok && !session.earlyTLS && session.blame == .none)
        #expect(!session.resumed && !session.helloRetry)
        #expect(session.preamble == .none)
        #expect(RoleTable().roleName(session.roleIndex) == "manager_heartbeat")
        #expect(session.roleListenerIsServer)
        #expect(counters.sessions == 1)
        #expect(counters.clientHellosParsed == 1 && counters.serverHellosParsed == 1)
        #expect(counters.reassemblyStarted == 0)
        #expect(counters.flowsCreated == 1)
        #expect(counters.packets == conversation.frames.count)
    }

    @Test("the ClientHello's sender is the client even when it is the TCP responder (Deep Security 4118)",
          arguments: [("10.213.7.1", "10.213.7.2"), ("10.213.7.2", "10.213.7.1")])
    func reversedRoles(manager: String, agent: String) throws {
        // The manager opens the connection to the agent's port 4118; the agent sends the ClientHello.
        var conversation = Conversation(initiator: (manager, 50_500), responder: (agent, 4118))
        conversation.open()
        conversation.send(fromInitiator: false, Hellos.tls13ClientHelloRecord)
        conversation.send(fromInitiator: true, Hellos.tls13ServerHelloRecord)
        let (sessions, _) = run(conversation.frames)
        try #require(sessions.count == 1)
        let session = sessions[0]
        #expect(session.status == .negotiated)
        #expect(session.client.description == agent && session.clientPort == 4118)
        #expect(session.server.description == manager && session.serverPort == 50_500)
        let roles = RoleTable()
        #expect(roles.roleName(session.roleIndex) == "agent")
        #expect(!session.roleListenerIsServer)   // the listener (port 4118) is the TLS client
        let endpoints = roles.endpointRoles(RoleTable.Match(index: session.roleIndex, listenerIsServer: session.roleListenerIsServer))
        #expect(endpoints.client == "agent" && endpoints.server == "manager")
    }

    enum Delivery: String, CaseIterable, Sendable {
        case whole, inOrder, outOfOrder, retransmittedOverlap, oneBytePerSegment
    }

    @Test("a ClientHello split over segments gives the same session whatever the delivery", arguments: Delivery.allCases)
    func splitClientHello(delivery: Delivery) throws {
        // Baseline: the same bytes in one segment.
        var reference = heartbeat()
        reference.send(fromInitiator: true, Hellos.tls13ClientHelloRecord)
        reference.send(fromInitiator: false, Hellos.tls13ServerHelloRecord)
        let (baseline, _) = run(reference.frames)
        try #require(baseline.count == 1)

        var conversation = heartbeat()
        let hello = Hellos.tls13ClientHelloRecord
        let cuts = [0, 70, 140, hello.count]
        let pieces = (0 ..< 3).map { conversation.segment(fromInitiator: true, offset: cuts[$0], Array(hello[cuts[$0] ..< cuts[$0 + 1]])) }
        switch delivery {
        case .whole:
            conversation.frames.append(conversation.segment(fromInitiator: true, offset: 0, hello))
        case .inOrder:
            conversation.frames += pieces
        case .outOfOrder:
            conversation.frames += [pieces[2], pieces[0], pieces[1]]
        case .retransmittedOverlap:
            // The first piece, then a retransmission overlapping pieces one and two, then the rest.
            conversation.frames += [pieces[0], conversation.segment(fromInitiator: true, offset: 40, Array(hello[40 ..< 120])),
                                    pieces[1], pieces[0], pieces[2]]
        case .oneBytePerSegment:
            for offset in hello.indices {
                conversation.frames.append(conversation.segment(fromInitiator: true, offset: offset, [hello[offset]]))
            }
        }
        conversation.advance(fromInitiator: true, by: hello.count)
        conversation.send(fromInitiator: false, Hellos.tls13ServerHelloRecord)
        let (sessions, counters) = run(conversation.frames)
        try #require(sessions.count == 1)
        #expect(Outcome(sessions[0]) == Outcome(baseline[0]))
        #expect(sessions[0].status == .negotiated)
        if delivery == .whole {
            #expect(counters.reassemblyStarted == 0)
        } else {
            #expect(counters.reassemblyStarted > 0)
            #expect(sessions[0].clientHelloSegments > 1)
        }
        if delivery == .oneBytePerSegment { #expect(sessions[0].clientHelloSegments == UInt16(hello.count)) }
        if delivery == .retransmittedOverlap { #expect(counters.segmentsRetransmitted >= 1) }
    }

    @Test("a ClientHello split over two TLS records in one segment is gathered")
    func helloOverTwoRecords() throws {
        let message = Array(Hellos.tls13ClientHelloRecord[5...])
        let records = TLSBuilder.record(Array(message[..<100])) + TLSBuilder.record(Array(message[100...]))
        var conversation = heartbeat()
        conversation.send(fromInitiator: true, records)
        conversation.send(fromInitiator: false, Hellos.tls13ServerHelloRecord)
        let (sessions, _) = run(conversation.frames)
        try #require(sessions.count == 1)
        #expect(sessions[0].status == .negotiated)
        #expect(sessions[0].clientHelloRecords == 2)
        #expect(sessions[0].serverName.string == "server")
    }

    @Test("a protocol_version alert instead of a ServerHello: refused, early only, the client to blame")
    func alertRefusal() throws {
        var conversation = heartbeat()
        conversation.send(fromInitiator: true, Hellos.tls10ClientHelloRecord())
        conversation.send(fromInitiator: false, Hellos.protocolVersionAlert)
        conversation.close(fromInitiator: false)
        conversation.close(fromInitiator: true)
        let (sessions, counters) = run(conversation.frames)
        try #require(sessions.count == 1)
        let session = sessions[0]
        #expect(session.status == .refused)
        #expect(session.alert == TLSAlert(level: 2, description: AlertDescription(rawValue: 70)))
        #expect(session.alert?.description.name == "protocol_version")
        #expect(session.alertFromServer)
        #expect(session.offered.versions == [.tls10])
        #expect(session.negotiated == nil)
        #expect(session.verdict == .earlyOnlyRefused)
        #expect(session.blame == .client)
        #expect(!session.earlyTLS)
        #expect(counters.alertsBeforeServerHello == 1)
    }

    @Test("Captures/refused-early-only.pcap: the real refusal reads the same")
    func realRefusal() throws {
        let pcap = try PcapFile(named: "refused-early-only.pcap")
        let (sessions, counters) = run(pcap.records.map(\.bytes))
        try #require(sessions.count == 1)
        let session = sessions[0]
        // From tshark: 10.213.7.2:51046 → 10.213.7.1:4120, ClientHello 0x0301 in frame 4, alert 70 in frame 6.
        #expect(session.client.description == "10.213.7.2" && session.clientPort == 51_046)
        #expect(session.server.description == "10.213.7.1" && session.serverPort == 4120)
        #expect(session.status == .refused)
        #expect(session.alert?.description.rawValue == 70)
        #expect(session.offered.versions == [.tls10])
        #expect(session.verdict == .earlyOnlyRefused)
        #expect(counters.packets == 10)
    }

    @Test("server RST after the ClientHello: refused; client RST: no ServerHello")
    func resets() throws {
        var serverReset = heartbeat()
        serverReset.send(fromInitiator: true, Hellos.tls12ClientHelloRecord)
        serverReset.close(fromInitiator: false, reset: true)
        let (refused, _) = run(serverReset.frames)
        try #require(refused.count == 1)
        #expect(refused[0].status == .refused)
        #expect(refused[0].closedByServer)
        #expect(refused[0].alert == nil)
        #expect(refused[0].verdict == .unknown)   // 1.2 offered: nothing early about it

        var clientReset = heartbeat()
        clientReset.send(fromInitiator: true, Hellos.tls12ClientHelloRecord)
        clientReset.close(fromInitiator: true, reset: true)
        let (abandoned, _) = run(clientReset.frames)
        try #require(abandoned.count == 1)
        #expect(abandoned[0].status == .noServerHello)
        #expect(!abandoned[0].closedByServer)
    }

    @Test("the capture ends before any answer: no ServerHello")
    func noAnswer() throws {
        var conversation = heartbeat()
        conversation.send(fromInitiator: true, Hellos.tls10ClientHelloRecord())
        let (sessions, counters) = run(conversation.frames)
        try #require(sessions.count == 1)
        #expect(sessions[0].status == .noServerHello)
        #expect(sessions[0].verdict == .unknown)
        #expect(sessions[0].blame == .client)   // offered only TLS 1.0
        #expect(counters.sessions == 1)
    }

    @Test("sessions still unanswered when the capture ends come out in the order of their hellos, run after run")
    func unansweredInHelloOrder() throws {
        // 40 agents whose ClientHellos go unanswered, their hellos in an order unrelated to
        // their addresses or ports. Each run's flow table draws its own hash key, so the
        // table's slot order differs from run to run.
        var frames: [[UInt8]] = []
        var clientPorts: [UInt16] = []
        for index in 0 ..< 40 {
            let host = (index * 17) % 40 + 2
            var conversation = Conversation(initiator: ("10.213.9.\(host)", UInt16(50_000 + (index * 23) % 40)),
                                            responder: ("10.213.7.1", 4120))
            conversation.open()
            conversation.send(fromInitiator: true, Hellos.tls10ClientHelloRecord())
            frames += conversation.frames
            clientPorts.append(conversation.initiator.port)
        }
        for _ in 0 ..< 3 {
            let (sessions, _) = run(frames)
            try #require(sessions.count == 40)
            #expect(sessions.allSatisfy { $0.status == .noServerHello })
            #expect(sessions.map(\.clientPort) == clientPorts)
        }
    }

    @Test("a connection idle past the timeout is over when its addresses and ports come back, wherever its slot is")
    func idleFlowEndsWhenItsTupleReturns() throws {
        // One second at a time the idle sweep passes over 1/30 of the table (timeout 120 s),
        // so whether it has reached an idle flow depends on the flow's slot, and so on the
        // table's random hash key. Five runs, five keys.
        var first = heartbeat()
        first.send(fromInitiator: true, Hellos.tls10ClientHelloRecord(serverName: "first.example"))
        var again = heartbeat()   // the same addresses and ports, 125 s later
        again.send(fromInitiator: true, Hellos.tls10ClientHelloRecord(serverName: "again.example"))
        again.send(fromInitiator: false, Hellos.serverHelloRecord(version: 0x0303, cipher: 0xc02f))
        var timed: [([UInt8], Int64)] = first.frames.map { ($0, baseNanos) }
        for second in 1 ..< 125 {
            // Something else on the link every second: the clock moves on one second at a time.
            let tick = FrameBuilder.tcpOverIPv4("10.9.9.9", 40_000, "10.9.9.8", 80, sequence: 1, acknowledgment: 1,
                                                flags: TCPFlag.ack, [])
            timed.append((tick, baseNanos + Int64(second) * 1_000_000_000))
        }
        timed += again.frames.map { ($0, baseNanos + 125_000_000_000) }
        for _ in 0 ..< 5 {
            var tracker = FlowTracker(configuration: testConfiguration(), sink: Collector())
            let decoder = FrameDecoder(linkType: .ethernet)
            for (frame, nanos) in timed {
                tracker.process(frame: frame.span.bytes, decoder: decoder, timestampNanos: nanos, wireLength: frame.count)
            }
            tracker.finish(now: baseNanos + 126_000_000_000)
            let sessions = tracker.sink.sessions
            try #require(sessions.count == 2)
            #expect(sessions[0].serverName.string == "first.example")
            #expect(sessions[0].status == .noServerHello)
            #expect(sessions[0].firstSeenNanos == baseNanos)
            #expect(sessions[1].serverName.string == "again.example")
            #expect(sessions[1].status == .negotiated)
            #expect(tracker.counters.flowsExpired == 1)
        }
    }

    @Test("a hello cut short and then idle is dated when it began, not when the sweep ended its flow")
    func cutHelloDatedWhenItBegan() throws {
        var conversation = heartbeat()
        let hello = Hellos.tls10ClientHelloRecord()
        conversation.frames.append(conversation.segment(fromInitiator: true, offset: 0, Array(hello.prefix(40))))
        var timed: [([UInt8], Int64)] = conversation.frames.map { ($0, baseNanos) }
        for second in 1 ..< 200 {
            let tick = FrameBuilder.tcpOverIPv4("10.9.9.9", 40_000, "10.9.9.8", 80, sequence: 1, acknowledgment: 1,
                                                flags: TCPFlag.ack, [])
            timed.append((tick, baseNanos + Int64(second) * 1_000_000_000))
        }
        var tracker = FlowTracker(configuration: testConfiguration(), sink: Collector())
        let decoder = FrameDecoder(linkType: .ethernet)
        for (frame, nanos) in timed {
            tracker.process(frame: frame.span.bytes, decoder: decoder, timestampNanos: nanos, wireLength: frame.count)
        }
        // Ended by the idle sweep, somewhere between 120 and 150 s after the hello began.
        #expect(tracker.counters.flowsExpired == 1)
        let sessions = tracker.sink.sessions
        try #require(sessions.count == 1)
        #expect(sessions[0].clientHello == .gap)
        #expect(sessions[0].firstSeenNanos == baseNanos)
    }

    @Test("ACKs without data do not keep a flow open: it idles out as if they were not there, and they are still counted")
    func bareAcknowledgmentsDoNotKeepAFlowOpen() throws {
        // A ClientHello the server never answers, then 199 s of the server acknowledging it
        // once a second: no payload, no SYN, FIN or RST, so nothing the tracker looks up.
        var conversation = heartbeat()
        conversation.send(fromInitiator: true, Hellos.tls10ClientHelloRecord())
        let acknowledgment = conversation.frame(fromInitiator: false, sequence: conversation.responder.next,
                                                flags: TCPFlag.ack, [])
        var timed: [([UInt8], Int64)] = conversation.frames.map { ($0, baseNanos) }
        for second in 1 ..< 200 { timed.append((acknowledgment, baseNanos + Int64(second) * 1_000_000_000)) }
        var tracker = FlowTracker(configuration: testConfiguration(), sink: Collector())
        let decoder = FrameDecoder(linkType: .ethernet)
        for (frame, nanos) in timed {
            tracker.process(frame: frame.span.bytes, decoder: decoder, timestampNanos: nanos, wireLength: frame.count)
        }
        #expect(tracker.counters.flowsExpired == 1)
        #expect(tracker.activeFlows == 0)
        #expect(tracker.counters.packets == timed.count)
        #expect(tracker.counters.tcpSegments == timed.count)
        let sessions = tracker.sink.sessions
        try #require(sessions.count == 1)
        #expect(sessions[0].status == .noServerHello)
    }

    @Test("a plaintext HTTP flow makes no session and counts as not TLS")
    func httpFlow() throws {
        var conversation = Conversation(initiator: ("10.213.7.2", 51_100), responder: ("10.213.7.1", 8080))
        conversation.open()
        conversation.send(fromInitiator: true, Array("GET / HTTP/1.1\r\nHost: dsm.example.test\r\n\r\n".utf8))
        conversation.send(fromInitiator: false, Array("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok".utf8))
        conversation.close(fromInitiator: true)
        conversation.close(fromInitiator: false)
        let (sessions, counters) = run(conversation.frames)
        #expect(sessions.isEmpty)
        #expect(counters.sessions == 0)
        #expect(counters.clientHellosSeen == 0)
        #expect(counters.flowsNotTLS == 1)
    }

    @Test("a plaintext flow past the reassembly bound in both directions counts as not TLS")
    func longPlaintextFlow() throws {
        var conversation = Conversation(initiator: ("10.213.7.2", 51_101), responder: ("10.213.7.1", 8080))
        conversation.open()
        let line = Array("GET /x HTTP/1.1\r\nHost: dsm.example.test\r\n\r\n".utf8)
        for _ in 0 ..< 20 {
            conversation.send(fromInitiator: true, Array(repeatElement(line, count: 25).joined()))
            conversation.send(fromInitiator: false, Array(repeatElement(Array("HTTP/1.1 200 OK\r\n\r\n".utf8), count: 60).joined()))
        }
        let (sessions, counters) = run(conversation.frames)
        #expect(sessions.isEmpty)
        #expect(counters.flowsNotTLS == 1)
    }

    @Test("SMTP STARTTLS: plaintext preamble, then the hellos; the session names the preamble")
    func smtpStartTLS() throws {
        var conversation = Conversation(initiator: ("10.213.7.2", 51_200), responder: ("10.213.7.1", 25))
        conversation.open()
        conversation.send(fromInitiator: false, Array("220 mail.example ESMTP ready\r\n".utf8))
        conversation.send(fromInitiator: true, Array("EHLO client.example\r\n".utf8))
        conversation.send(fromInitiator: false, Array("250-mail.example\r\n250 STARTTLS\r\n".utf8))
        conversation.send(fromInitiator: true, Array("STARTTLS\r\n".utf8))
        conversation.send(fromInitiator: false, Array("220 2.0.0 go ahead\r\n".utf8))
        conversation.send(fromInitiator: true, Hellos.tls12ClientHelloRecord)
        conversation.send(fromInitiator: false, Hellos.serverHelloRecord(version: 0x0303, cipher: 0xc030))
        let (sessions, counters) = run(conversation.frames)
        try #require(sessions.count == 1)
        let session = sessions[0]
        #expect(session.preamble == .smtp)
        #expect(session.status == .negotiated)
        #expect(session.negotiated == .tls12)
        #expect(session.cipher?.rawValue == 0xc030)
        #expect(session.serverName.string == "mail.example")
        #expect(session.client.description == "10.213.7.2" && session.serverPort == 25)
        #expect(counters.flowsWithPreamble == 1)
    }

    @Test("a hello whose length field claims 1 MiB: counted over the bound, session incomplete, no trap")
    func hugeHelloClaim() throws {
        var record = Hellos.tls13ClientHelloRecord
        record[6] = 0x10
        record[7] = 0x00
        record[8] = 0x00   // handshake length 0x100000 inside an ordinary 196-byte record
        var conversation = heartbeat()
        conversation.send(fromInitiator: true, record)
        conversation.send(fromInitiator: true, [UInt8](repeating: 0x41, count: 1400))
        let (sessions, counters) = run(conversation.frames)
        #expect(counters.hellosOverBound == 1)
        try #require(sessions.count == 1)
        #expect(sessions[0].status == .incomplete)
        #expect(sessions[0].clientHello == .overBound)
    }

    @Test("HelloRetryRequest then ServerHello: negotiated after a retry; HelloRetryRequest alone: hello_retry")
    func helloRetry() throws {
        var retried = heartbeat()
        retried.send(fromInitiator: true, Hellos.tls13ClientHelloRecord)
        retried.send(fromInitiator: false, Hellos.helloRetryRequestRecord)
        retried.send(fromInitiator: true, Hellos.tls13ClientHelloRecord)   // the second ClientHello
        retried.send(fromInitiator: false, Hellos.tls13ServerHelloRecord)
        let (sessions, counters) = run(retried.frames)
        try #require(sessions.count == 1)
        #expect(sessions[0].status == .negotiated)
        #expect(sessions[0].helloRetry)
        #expect(sessions[0].negotiated == .tls13)
        #expect(counters.helloRetryRequests == 1)

        var abandoned = heartbeat()
        abandoned.send(fromInitiator: true, Hellos.tls13ClientHelloRecord)
        abandoned.send(fromInitiator: false, Hellos.helloRetryRequestRecord)
        abandoned.close(fromInitiator: false)
        let (retryOnly, _) = run(abandoned.frames)
        try #require(retryOnly.count == 1)
        #expect(retryOnly[0].status == .helloRetry)
    }

    @Test("TLS 1.0 negotiated although the client offered 1.2: early TLS, the server to blame")
    func serverPinnedEarly() throws {
        var conversation = heartbeat()
        conversation.send(fromInitiator: true, Hellos.tls12ClientHelloRecord)
        conversation.send(fromInitiator: false, Hellos.serverHelloRecord(version: 0x0301, cipher: 0xc014))
        let (sessions, counters) = run(conversation.frames)
        try #require(sessions.count == 1)
        #expect(sessions[0].status == .negotiated)
        #expect(sessions[0].negotiated == .tls10)
        #expect(sessions[0].earlyTLS)
        #expect(sessions[0].verdict == .earlyTLSNegotiated)
        #expect(sessions[0].blame == .server)
        #expect(counters.earlyTLSSessions == 1)
    }

    @Test("flow cap: 10 000 SYN-only flows through a 100-flow table, then a real handshake still comes out")
    func flowCap() throws {
        var configuration = testConfiguration()
        configuration.maximumFlows = 100
        var frames: [[UInt8]] = []
        frames.reserveCapacity(10_010)
        for index in 0 ..< 10_000 {
            let source = "10.99.\(index / 250).\(index % 250 + 1)"
            frames.append(FrameBuilder.tcpOverIPv4(source, UInt16(20_000 + index % 40_000), "10.213.7.1", 443,
                                                   sequence: UInt32(index), flags: TCPFlag.syn))
        }
        var conversation = heartbeat()
        conversation.send(fromInitiator: true, Hellos.tls13ClientHelloRecord)
        conversation.send(fromInitiator: false, Hellos.tls13ServerHelloRecord)
        frames += conversation.frames
        let (sessions, counters) = run(frames, configuration: configuration)
        #expect(counters.flowsEvicted >= 9_900)
        #expect(counters.flowsCreated == 10_001)
        try #require(sessions.count == 1)
        #expect(sessions[0].status == .negotiated)
        #expect(sessions[0].serverName.string == "server")
    }

    @Test("a non-TCP frame and a later fragment are counted, not tracked")
    func skippedFrames() {
        let udp = FrameBuilder.ethernet(0x0800, FrameBuilder.ipv4("10.0.0.1", "10.0.0.2", protocol: 17, FrameBuilder.udp(53, 53, [0, 0])))
        let fragment = FrameBuilder.ethernet(0x0800, FrameBuilder.ipv4("10.0.0.1", "10.0.0.2", protocol: 6, [1, 2, 3, 4], fragmentOffset: 800))
        let (sessions, counters) = run([udp, fragment])
        #expect(sessions.isEmpty)
        #expect(counters[.notTCP] == 1)
        #expect(counters[.laterFragment] == 1)
        #expect(counters.tcpSegments == 0)
        #expect(counters.flowsCreated == 0)
    }
}
