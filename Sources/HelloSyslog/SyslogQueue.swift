/// A sender's settings, counters and bounded queue: the state `SyslogSender` shares
/// between the threads that queue events and its own I/O thread. No I/O here.

public struct SyslogSenderConfiguration: Sendable {
    public var destination: SyslogDestination
    public var tls: SyslogTLSOptions
    /// Alerts waiting for the destination; past it new alerts are dropped and counted, and
    /// the count is sent as a health event: `destinationRegained` when a destination that
    /// was away comes back, `alertsDropped` before the next batch when it was up (slow).
    public var queueCapacity: Int
    /// Reconnect delay: doubles from `initialBackoff` up to `maximumBackoff`.
    public var initialBackoff: Duration
    public var maximumBackoff: Duration
    public var connectTimeout: Duration

    public static let defaultQueueCapacity = 10_000

    public init(destination: SyslogDestination, tls: SyslogTLSOptions = SyslogTLSOptions(),
                queueCapacity: Int = SyslogSenderConfiguration.defaultQueueCapacity,
                initialBackoff: Duration = .milliseconds(100), maximumBackoff: Duration = .seconds(30),
                connectTimeout: Duration = .seconds(5)) {
        self.destination = destination
        self.tls = tls
        self.queueCapacity = max(1, queueCapacity)
        self.initialBackoff = initialBackoff
        self.maximumBackoff = maximumBackoff
        self.connectTimeout = connectTimeout
    }
}

public struct SyslogSenderStatistics: Sendable, Equatable {
    /// Messages handed to the kernel (alerts and health events).
    public var sent = 0
    /// Alerts refused because the queue was full.
    public var droppedQueueFull = 0
    /// Alerts offered after `close` began, or still queued when its deadline passed.
    public var droppedAtClose = 0
    public var queued = 0
    public var connections = 0
    public var losses = 0
    public var isConnected = false
}

public struct SyslogCloseResult: Sendable, Equatable {
    /// Whether everything queued was sent before the deadline.
    public var flushed: Bool
    public var undelivered: Int
}

struct QueuedMessage: Sendable {
    var event: SyslogEvent
    var timestampNanos: Int64
}

/// First-in first-out without `removeFirst`'s O(n).
struct MessageQueue: Sendable {
    private var items: [QueuedMessage] = []
    private var head = 0

    var count: Int { items.count - head }
    var isEmpty: Bool { count == 0 }

    mutating func append(_ message: QueuedMessage) { items.append(message) }

    mutating func popFirst() -> QueuedMessage? {
        guard head < items.count else { return nil }
        defer {
            head += 1
            if head > 64 && head * 2 > items.count {
                items.removeFirst(head)
                head = 0
            }
        }
        return items[head]
    }

    mutating func prepend(_ messages: [QueuedMessage]) {
        items = messages + items[head...]
        head = 0
    }
}

/// What producers and the I/O thread share, under one lock held for a few instructions.
struct SenderSharedState: Sendable {
    var alerts = MessageQueue()
    var health: [QueuedMessage] = []
    var inFlightAlerts = 0
    var droppedUnreported = 0
    var wakePending = false
    var closing = false
    var statistics = SyslogSenderStatistics()
}
