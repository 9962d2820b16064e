import HelloFlows

/// The whole alert feed for the CLI: finished sessions go through one `AlertPolicy` and
/// its alerts to every destination (`--syslog` may be given several times). Used from
/// the one thread that finishes sessions; the senders do their I/O on their own threads.
public final class SyslogAlerts {
    public private(set) var policy: AlertPolicy
    public let senders: [SyslogSender]

    public init(policy: AlertPolicy, senders: [SyslogSender]) {
        self.policy = policy
        self.senders = senders
    }

    /// Judge a finished session (its `verdict` already set) and queue its alert, if any.
    public func add(_ session: SessionRecord) {
        for alert in policy.alerts(for: session) { send(alert) }
    }

    /// Reminders due at `nowNanos` (capture time); call it once a second or so in `capture`.
    public func tick(nowNanos: Int64) {
        for alert in policy.dueReminders(nowNanos: nowNanos) { send(alert) }
    }

    /// End of input: one reminder per endpoint with unreported sessions.
    public func finish() {
        for alert in policy.pendingReminders() { send(alert) }
    }

    public func send(_ alert: EarlyTLSAlert) {
        for sender in senders { sender.send(alert) }
    }

    public func report(_ health: SensorHealthEvent) {
        for sender in senders { sender.report(health) }
    }

    /// Flushes every destination, each within `timeout` (they close one after another).
    @discardableResult
    public func close(timeout: Duration) -> [SyslogCloseResult] {
        senders.map { $0.close(timeout: timeout) }
    }
}
