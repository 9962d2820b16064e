import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import NIOSSL
import NIOTLS
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Sends events to one syslog destination without ever blocking its caller.
///
/// `send` encodes nothing and does no I/O: it appends to a bounded queue under a lock
/// and, if needed, wakes the sender's own event loop thread, which encodes, frames
/// (RFC 6587 octet counting on TCP and TLS), writes, and reconnects with exponential
/// backoff. Messages written while a TCP peer dies may be lost: syslog has no
/// acknowledgements (RELP does; this is not RELP). A UDP destination is "lost" only when
/// the kernel reports it (ICMP port unreachable on the connected socket).
public final class SyslogSender: @unchecked Sendable {
    // @unchecked: `shared` is locked; every other `var` is touched on `eventLoop` only.
    public let configuration: SyslogSenderConfiguration
    public let encoder: SyslogEncoder
    // A pthread mutex (NIOLockedValueBox), not Synchronization.Mutex: on Linux the latter
    // waits in a PI futex that the thread sanitizer cannot see, so every contended access
    // showed up as a data race under `scripts/sanitize.sh thread`.
    private let shared = NIOLockedValueBox(SenderSharedState())
    private let group: MultiThreadedEventLoopGroup
    private let eventLoop: any EventLoop
    private let sslContext: NIOSSLContext?
    private let healthHandler: (@Sendable (SensorHealthEvent) -> Void)?
    private let clock: @Sendable () -> Int64

    private var channel: (any Channel)?
    /// Connected, and for TLS the handshake (with its name check) done.
    private var isReady = false
    private var connecting = false
    private var writing = false
    private var shutDown = false
    private var reconnectTask: Scheduled<Void>?
    private var backoff: Duration
    private var lostAtNanos: Int64?
    private var everConnected = false
    private var closeWaiter: EventLoopPromise<Void>?

    /// Largest number of messages written before waiting for the kernel to take them.
    static let batchSize = 64

    /// Throws when the TLS files cannot be read (a missing CA file is a startup error, not
    /// a reason to retry forever). `healthHandler` runs on the sender's thread when the
    /// destination is lost or regained (to log it, or report it to another destination).
    public init(configuration: SyslogSenderConfiguration, encoder: SyslogEncoder,
                clock: @escaping @Sendable () -> Int64 = SyslogSender.wallClockNanos,
                healthHandler: (@Sendable (SensorHealthEvent) -> Void)? = nil) throws {
        self.configuration = configuration
        self.encoder = encoder
        self.clock = clock
        self.healthHandler = healthHandler
        backoff = configuration.initialBackoff
        if configuration.destination.transport == .tls {
            var tls = TLSConfiguration.makeClientConfiguration()
            tls.certificateVerification = .fullVerification
            if let caFile = configuration.tls.caFile { tls.trustRoots = .file(caFile) }
            if let certificateFile = configuration.tls.certificateFile {
                tls.certificateChain = try NIOSSLCertificate.fromPEMFile(certificateFile).map { .certificate($0) }
                guard let keyFile = configuration.tls.privateKeyFile else {
                    throw SyslogConfigurationError.badValue(option: "--syslog-tls-key", value: "", expected: "a key file for the client certificate")
                }
                tls.privateKey = .privateKey(try NIOSSLPrivateKey(file: keyFile, format: .pem))
            }
            sslContext = try NIOSSLContext(configuration: tls)
        } else {
            sslContext = nil
        }
        group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        eventLoop = group.next()
        eventLoop.execute { self.connect() }
    }

    public static func wallClockNanos() -> Int64 {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return Int64(now.tv_sec) * 1_000_000_000 + Int64(now.tv_nsec)
    }

    // MARK: Producer side (any thread, never blocks beyond a short lock)

    /// Queues an alert; false when the queue was full (the alert is counted as dropped).
    @discardableResult
    public func send(_ alert: EarlyTLSAlert) -> Bool { enqueue(.alert(alert)) }

    /// Queues a weak-cipher alert; false when the queue was full (counted as dropped).
    @discardableResult
    public func send(_ alert: WeakCipherAlert) -> Bool { enqueue(.weakCipher(alert)) }

    /// Queues a health event. Health events have their own small queue (the oldest go
    /// first when it is full) so that a flood of alerts cannot hide them.
    public func report(_ health: SensorHealthEvent) {
        let message = QueuedMessage(event: .health(health), timestampNanos: clock())
        let wake = shared.withLockedValue { state -> Bool in
            guard !state.closing else { return false }
            if state.health.count >= 64 { state.health.removeFirst() }
            state.health.append(message)
            return Self.claimWake(&state)
        }
        if wake { eventLoop.execute { self.pump() } }
    }

    @discardableResult
    public func enqueue(_ event: SyslogEvent) -> Bool {
        if case .health(let health) = event {
            report(health)
            return true
        }
        let message = QueuedMessage(event: event, timestampNanos: clock())
        let capacity = configuration.queueCapacity
        let (accepted, wake) = shared.withLockedValue { state -> (Bool, Bool) in
            if state.closing {
                state.statistics.droppedAtClose += 1
                return (false, false)
            }
            guard state.alerts.count + state.inFlightAlerts < capacity else {
                state.droppedUnreported += 1
                state.statistics.droppedQueueFull += 1
                return (false, false)
            }
            state.alerts.append(message)
            return (true, Self.claimWake(&state))
        }
        if wake { eventLoop.execute { self.pump() } }
        return accepted
    }

    private static func claimWake(_ state: inout SenderSharedState) -> Bool {
        guard !state.wakePending else { return false }
        state.wakePending = true
        return true
    }

    public var statistics: SyslogSenderStatistics {
        shared.withLockedValue { state in
            var statistics = state.statistics
            statistics.queued = state.alerts.count + state.inFlightAlerts + state.health.count
            return statistics
        }
    }

    /// Stops taking alerts, sends what is queued until `timeout` passes, then closes the
    /// connection and the sender's thread. Blocks for at most about `timeout` (plus the
    /// close itself); never call it on the sender's thread. A destination that is down
    /// keeps being retried (with the backoff) until the deadline, so one that comes back
    /// in time still gets everything queued.
    public func close(timeout: Duration) -> SyslogCloseResult {
        endClose(beginClose(timeout: timeout))
    }

    /// The non-blocking half of `close`: stops taking alerts and starts the flush with
    /// its deadline (so that several destinations flush at the same time). Nil when the
    /// sender was already closing.
    func beginClose(timeout: Duration) -> EventLoopFuture<Void>? {
        let alreadyClosing = shared.withLockedValue { state in
            defer { state.closing = true }
            return state.closing
        }
        guard !alreadyClosing else { return nil }
        let promise = eventLoop.makePromise(of: Void.self)
        eventLoop.execute {
            self.closeWaiter = promise
            self.eventLoop.scheduleTask(in: .nanoseconds(Int64(timeout.nanoseconds))) {
                self.finishClose()
            }
            self.pump()
        }
        return promise.futureResult
    }

    /// The blocking half of `close`: waits for the flush (or its deadline), closes the
    /// connection and the thread, and counts what was left as dropped at close.
    func endClose(_ flushing: EventLoopFuture<Void>?) -> SyslogCloseResult {
        guard let flushing else {
            // Closed before (or being closed by another thread): report what is left.
            let left = shared.withLockedValue { $0.alerts.count + $0.inFlightAlerts + $0.health.count }
            return SyslogCloseResult(flushed: left == 0, undelivered: left)
        }
        try? flushing.wait()
        let closed = eventLoop.submit { () -> EventLoopFuture<Void> in
            self.shutDown = true
            self.reconnectTask?.cancel()
            guard let channel = self.channel else { return self.eventLoop.makeSucceededVoidFuture() }
            return channel.close().recover { _ in }
        }.flatMap { $0 }
        try? closed.wait()
        let undelivered = shared.withLockedValue { state -> Int in
            let left = state.alerts.count + state.inFlightAlerts
            state.statistics.droppedAtClose += left
            return left + state.health.count
        }
        try? group.syncShutdownGracefully()
        return SyslogCloseResult(flushed: undelivered == 0, undelivered: undelivered)
    }

    // MARK: I/O side (on `eventLoop` only)

    private func connect() {
        guard channel == nil, !connecting, !shutDown else { return }
        connecting = true
        reconnectTask = nil
        let destination = configuration.destination
        let sslContext = self.sslContext
        let serverName = configuration.tls.serverName ?? (Self.isIPAddress(destination.host) ? nil : destination.host)
        let isDatagram = !destination.transport.isStream
        let initializer: @Sendable (any Channel) -> EventLoopFuture<Void> = { channel in
            channel.eventLoop.makeCompletedFuture {
                if let sslContext {
                    try channel.pipeline.syncOperations.addHandler(NIOSSLClientHandler(context: sslContext, serverHostname: serverName))
                }
                try channel.pipeline.syncOperations.addHandler(SyslogChannelWatcher(sender: self, isDatagram: isDatagram))
            }
        }
        let future: EventLoopFuture<any Channel>
        switch destination.transport {
        case .unix:
            future = DatagramBootstrap(group: eventLoop).channelInitializer(initializer).connect(unixDomainSocketPath: destination.path)
        case .udp:
            future = DatagramBootstrap(group: eventLoop).channelInitializer(initializer).connect(host: destination.host, port: destination.port)
        case .tcp, .tls:
            future = ClientBootstrap(group: eventLoop)
                .connectTimeout(.nanoseconds(Int64(configuration.connectTimeout.nanoseconds)))
                .channelInitializer(initializer)
                .connect(host: destination.host, port: destination.port)
        }
        future.whenComplete { result in
            self.connecting = false
            switch result {
            case .success(let channel):
                guard !self.shutDown else {
                    channel.close(promise: nil)
                    return
                }
                self.channel = channel
                // TLS is ready when NIOSSL reports the handshake done (`SyslogChannelWatcher`).
                if sslContext == nil { self.ready(channel) }
            case .failure(let error):
                self.lost(reason: "\(error)")
            }
        }
    }

    fileprivate func ready(_ readyChannel: any Channel) {
        guard let channel, channel === readyChannel, !isReady else { return }
        isReady = true
        backoff = configuration.initialBackoff
        let now = clock()
        let regained: SensorHealthEvent? = shared.withLockedValue { state in
            state.statistics.connections += 1
            state.statistics.isConnected = true
            let dropped = state.droppedUnreported
            let event: SensorHealthEvent?
            if let lostAt = lostAtNanos, everConnected || dropped > 0 {
                event = .destinationRegained(destination: configuration.destination.description,
                                             downNanos: now - lostAt, droppedAlerts: dropped)
            } else if dropped > 0 {
                event = .alertsDropped(destination: configuration.destination.description, droppedAlerts: dropped)
            } else {
                event = nil
            }
            if let event {
                state.droppedUnreported = 0
                state.health.insert(QueuedMessage(event: .health(event), timestampNanos: now), at: 0)
            }
            return event
        }
        lostAtNanos = nil
        everConnected = true
        if let regained { healthHandler?(regained) }
        pump()
    }

    /// The channel closed or a write failed: note it, and try again after the backoff.
    fileprivate func lost(channel lostChannel: (any Channel)? = nil, reason: String) {
        if let lostChannel {
            guard let current = channel, current === lostChannel else { return }
            current.close(promise: nil)
        }
        channel = nil
        isReady = false
        shared.withLockedValue { $0.statistics.isConnected = false }
        guard !shutDown else { return }
        if lostAtNanos == nil {
            lostAtNanos = clock()
            shared.withLockedValue { $0.statistics.losses += 1 }
            healthHandler?(.destinationLost(destination: configuration.destination.description, reason: reason))
        }
        scheduleReconnect()
    }

    private func scheduleReconnect() {
        guard !shutDown, reconnectTask == nil, !connecting else { return }
        let delay = backoff
        backoff = min(backoff * 2, configuration.maximumBackoff)
        reconnectTask = eventLoop.scheduleTask(in: .nanoseconds(Int64(delay.nanoseconds))) { self.connect() }
    }

    private func finishClose() {
        closeWaiter?.succeed()
        closeWaiter = nil
    }

    /// Moves queued messages to the channel, one batch at a time.
    fileprivate func pump() {
        guard !writing else { return }
        guard let channel, isReady, channel.isActive else {
            let empty = shared.withLockedValue { state in
                state.wakePending = false
                return state.alerts.isEmpty && state.health.isEmpty
            }
            if empty && closeWaiter != nil { finishClose() }
            if channel == nil { scheduleReconnectIfIdle() }
            return
        }
        let now = clock()
        let destination = configuration.destination.description
        let (batch, overflow) = shared.withLockedValue { state -> ([QueuedMessage], SensorHealthEvent?) in
            state.wakePending = false
            // Alerts refused while connected (a slow collector) are reported before the
            // next batch; those refused while it was away went with `destinationRegained`.
            var overflow: SensorHealthEvent?
            if state.droppedUnreported > 0 {
                overflow = .alertsDropped(destination: destination, droppedAlerts: state.droppedUnreported)
                state.droppedUnreported = 0
                state.health.append(QueuedMessage(event: .health(overflow!), timestampNanos: now))
            }
            var batch = state.health
            state.health.removeAll()
            while batch.count < Self.batchSize, let message = state.alerts.popFirst() { batch.append(message) }
            state.inFlightAlerts = batch.count { !$0.event.isHealth }
            return (batch, overflow)
        }
        if let overflow { healthHandler?(overflow) }
        guard !batch.isEmpty else {
            finishClose()
            return
        }
        writing = true
        let framed = configuration.destination.transport.isStream
        var futures: [EventLoopFuture<Void>] = []
        var stream = channel.allocator.buffer(capacity: 0)
        for message in batch {
            let bytes = encoder.encode(message.event, timestampNanos: message.timestampNanos)
            if framed {
                stream.writeString("\(bytes.count) ")
                stream.writeBytes(bytes)
            } else {
                futures.append(channel.write(channel.allocator.buffer(bytes: bytes)))
            }
        }
        if framed { futures.append(channel.write(stream)) }
        channel.flush()
        EventLoopFuture.whenAllComplete(futures, on: eventLoop).whenSuccess { results in
            self.writing = false
            // A datagram that failed is put back with those after it; a stream write fails whole.
            let firstFailure = framed ? (results.contains { if case .failure = $0 { true } else { false } } ? 0 : nil)
                : results.firstIndex { if case .failure = $0 { true } else { false } }
            let sentCount = firstFailure ?? batch.count
            let retry = Array(batch[sentCount...])
            self.shared.withLockedValue { state in
                state.inFlightAlerts = 0
                state.statistics.sent += sentCount
                state.health.insert(contentsOf: retry.filter(\.event.isHealth), at: 0)
                state.alerts.prepend(retry.filter { !$0.event.isHealth })
            }
            if let firstFailure, case .failure(let error) = results[framed ? results.count - 1 : firstFailure] {
                self.lost(channel: channel, reason: "\(error)")
            } else {
                self.pump()
            }
        }
    }

    private func scheduleReconnectIfIdle() {
        if reconnectTask == nil && !connecting { scheduleReconnect() }
    }

    static func isIPAddress(_ host: String) -> Bool {
        var v4 = in_addr()
        var v6 = in6_addr()
        return inet_pton(AF_INET, host, &v4) == 1 || inet_pton(AF_INET6, host, &v6) == 1
    }
}

/// Notices a connection closing (rsyslog restarted: its FIN arrives here) and throws away
/// anything the collector sends.
final class SyslogChannelWatcher: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    private let sender: SyslogSender
    private let isDatagram: Bool

    init(sender: SyslogSender, isDatagram: Bool) {
        self.sender = sender
        self.isDatagram = isDatagram
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {}

    func channelInactive(context: ChannelHandlerContext) {
        sender.lost(channel: context.channel, reason: "connection closed")
        context.fireChannelInactive()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let tls = event as? TLSUserEvent, case .handshakeCompleted = tls { sender.ready(context.channel) }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // A connected UDP socket reports ICMP errors on reads too; the failed write decides.
        if isDatagram { return }
        sender.lost(channel: context.channel, reason: "\(error)")
    }
}

extension Duration {
    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}
