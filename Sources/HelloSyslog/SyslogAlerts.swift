import HelloFingerprint
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

    /// Judge a finished session (its `verdict` already set) and queue its alerts, if any.
    /// `findings`: its cipher audit, computed once by the caller (`CipherAuditMemo`);
    /// they alert only when the policy's `weakCipherMinimum` is set.
    public func add(_ session: SessionRecord, findings: [CipherFinding] = []) {
        for alert in policy.alerts(for: session) { send(alert) }
        guard !findings.isEmpty else { return }
        for alert in policy.weakCipherAlerts(for: session, findings: findings) { send(alert) }
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

    public func send(_ alert: WeakCipherAlert) {
        for sender in senders { sender.send(alert) }
    }

    public func report(_ health: SensorHealthEvent) {
        for sender in senders { sender.report(health) }
    }

    /// Flushes every destination at the same time, all within one `timeout`: a dead
    /// collector costs the deadline once, not once per destination. Until the deadline a
    /// destination that is down is retried, so one that comes back in time gets
    /// everything queued. Blocks; results are in `senders` order.
    @discardableResult
    public func close(timeout: Duration) -> [SyslogCloseResult] {
        let flushing = senders.map { $0.beginClose(timeout: timeout) }
        return zip(senders, flushing).map { sender, flush in sender.endClose(flush) }
    }
}
