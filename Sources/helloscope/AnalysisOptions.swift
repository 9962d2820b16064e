import ArgumentParser
import Foundation
import HelloFingerprint
import HelloFlows
import HelloOutput
import HelloSyslog
import HelloWire

/// Options shared by `analyze` and `capture`: where results go and the tracker's limits.
struct AnalysisOptions: ParsableArguments {
    @Option(name: .long, help: "Write one JSON object per TLS session to PATH (- for standard output).")
    var json: String?

    @Option(name: .long, help: "Write the endpoint inventory (JSON) to PATH (- for standard output).")
    var inventory: String?

    @Option(name: .long, help: "Lowest version that is not early TLS (default TLSv1.2, per RFC 8996).")
    var minVersion: String = "TLSv1.2"

    @Flag(name: .long, help: "Exit with status 1 when any early TLS was negotiated or an early-only hello was refused.")
    var failOnEarlyTLS = false

    @Option(name: .long, help: "JSON file of role rules replacing the built-in Deep Security table (see README).")
    var roles: String?

    @Option(name: .long, help: "Most flows tracked at once (per worker); beyond it the oldest are evicted (counted).")
    var maxFlows: Int = TrackerConfiguration().maximumFlows

    @Option(name: .long, help: "Most endpoints listed in the inventory; past it new ones are counted, not listed (early-TLS ones get an eighth more).")
    var maxEndpoints: Int = Inventory.defaultMaximumEndpoints

    @Option(name: .long, help: "Most bytes kept per direction while a hello is incomplete.")
    var reassemblyBound: Int = TrackerConfiguration().reassemblyBound

    @Option(name: .long, help: "Most bytes of reassembly buffers in total (MiB, per worker).")
    var maxReassemblyMemory: Int = TrackerConfiguration().maximumReassemblyMemory >> 20

    @Option(name: .long, help: "Seconds after which an idle flow is ended (ACKs without data do not count as activity).")
    var idleTimeout: UInt32 = TrackerConfiguration().idleTimeoutSeconds

    @Flag(name: .long, help: "Do not print the summary.")
    var quiet = false

    @Option(name: .long, help: "Fingerprint labels: CSV (fingerprint,label) or JSON ({\"<ja3|ja4>\": \"label\"}).")
    var labels: String?

    @Flag(name: .long, help: "Do not compute JA3/JA3S/JA4 fingerprints.")
    var noFingerprints = false

    @Option(name: .long, help: "Send early-TLS alerts to syslog: unix:///dev/log, udp://H:P, tcp://H:P, tls://H:P (repeatable).")
    var syslog: [String] = []

    @Option(name: .long, help: "Syslog message format: rfc5424, rfc3164, cef, leef or json.")
    var syslogFormat: String = "rfc5424"

    @Option(name: .long, help: "Syslog facility (name or 0-23).")
    var syslogFacility: String = "local4"

    @Option(name: .long, help: "Syslog APP-NAME / tag.")
    var syslogAppName: String = "helloscope"

    @Option(name: .long, help: "Hostname in syslog messages (default: this host's name).")
    var syslogHostname: String?

    @Option(name: .long, help: "Largest syslog message in bytes; optional fields are dropped to fit (at least 256).")
    var syslogMaxSize: Int = 1024

    @Option(name: .long, help: "Alerts queued per destination while it is unreachable; past it they are dropped and counted.")
    var syslogQueue: Int = 10_000

    @Option(name: .long, help: "TLS syslog: CA file to check the server with.")
    var syslogCA: String?

    @Option(name: .long, help: "TLS syslog: client certificate (PEM).")
    var syslogCert: String?

    @Option(name: .long, help: "TLS syslog: client private key (PEM).")
    var syslogKey: String?

    @Option(name: .long, help: "TLS syslog: server name to check (default: the URL's host).")
    var syslogServerName: String?

    @Option(name: .long, help: "Seconds between reminders per early-TLS endpoint (0: none).")
    var syslogReminder: Int = 3600

    @Flag(name: .long, help: "Also send one alert per early-TLS session.")
    var alertEverySession = false

    @Option(name: .long, help: "With --alert-every-session: at most one alert per endpoint this often (seconds of capture time; 0: none); sessions in between are counted into the next alert.")
    var alertSpacing: Double = 1

    @Flag(name: .long, help: "Also alert on weak cipher suites (cipher-audit findings), once per server and finding.")
    var alertWeakCiphers = false

    @Option(name: .long, help: "With --alert-weak-ciphers: the lowest finding severity that alerts (low, medium or high).")
    var alertCipherSeverity: String = "medium"

    @Option(name: .long, help: "Seconds to flush the syslog queues at exit (destinations that are down are retried meanwhile).")
    var syslogFlushTimeout: Double = 5

    /// The flow table reserves address space for its cap at start (about 140 bytes a flow), so
    /// a cap past any machine's memory is refused here rather than failing there.
    static let mostFlows = 100_000_000

    func validate() throws {
        guard TLSVersion(name: minVersion) != nil else {
            throw ValidationError("--min-version: '\(minVersion)' is not a version (use TLSv1.0 ... TLSv1.3 or 0xNNNN)")
        }
        guard maxFlows > 0 && maxFlows <= Self.mostFlows else {
            throw ValidationError("--max-flows must be between 1 and \(Self.mostFlows)")
        }
        guard maxEndpoints > 0 else { throw ValidationError("--max-endpoints must be positive") }
        guard reassemblyBound >= 512 && reassemblyBound <= 1 << 20 else {
            throw ValidationError("--reassembly-bound must be between 512 and 1048576 bytes")
        }
        guard maxReassemblyMemory >= 1 else { throw ValidationError("--max-reassembly-memory must be at least 1 (MiB)") }
        guard syslogReminder >= 0 else { throw ValidationError("--syslog-reminder cannot be negative") }
        guard syslogQueue >= 1 else { throw ValidationError("--syslog-queue must be at least 1") }
        guard alertSpacing >= 0 && alertSpacing <= 86_400 else { throw ValidationError("--alert-spacing must be between 0 and 86400 seconds") }
        guard FindingSeverity(rawValue: alertCipherSeverity.lowercased()) != nil else {
            throw ValidationError("--alert-cipher-severity: '\(alertCipherSeverity)' is not low, medium or high")
        }
        guard syslogFlushTimeout >= 0 && syslogFlushTimeout <= 3600 else {
            throw ValidationError("--syslog-flush-timeout must be between 0 and 3600 seconds")
        }
        do {
            for url in syslog { _ = try SyslogDestination(parsing: url) }
            _ = try SyslogEncoder(options: try messageOptions())
        } catch {
            throw ValidationError("\(error)")
        }
    }

    func messageOptions() throws -> SyslogMessageOptions {
        SyslogMessageOptions(
            format: try SyslogFormat(parsing: syslogFormat), facility: try SyslogFacility(parsing: syslogFacility),
            appName: syslogAppName, hostname: syslogHostname ?? SyslogMessageOptions.localHostname(),
            processID: String(getpid()), maximumBytes: syslogMaxSize, productVersion: HelloScope.configuration.version)
    }

    /// The alert feed, or nil without --syslog. Exits with a clear message if a TLS file is unreadable.
    func syslogAlerts(roles: RoleTable, labels: FingerprintLabels) -> SyslogAlerts? {
        guard !syslog.isEmpty else { return nil }
        do {
            let encoder = try SyslogEncoder(options: try messageOptions())
            let tls = SyslogTLSOptions(caFile: syslogCA, certificateFile: syslogCert, privateKeyFile: syslogKey,
                                       serverName: syslogServerName)
            let senders = try syslog.map { url in
                try SyslogSender(
                    configuration: SyslogSenderConfiguration(destination: try SyslogDestination(parsing: url), tls: tls,
                                                             queueCapacity: syslogQueue),
                    encoder: encoder,
                    healthHandler: { event in printError("syslog: \(event)") })
            }
            let policy = AlertPolicy(
                configuration: .init(reminderIntervalNanos: syslogReminder > 0 ? Int64(syslogReminder) * 1_000_000_000 : nil,
                                     alertEverySession: alertEverySession,
                                     minimumSpacingNanos: Int64(alertSpacing * 1e9),
                                     weakCipherMinimum: alertWeakCiphers ? FindingSeverity(rawValue: alertCipherSeverity.lowercased()) : nil),
                roles: roles, labels: labels)
            return SyslogAlerts(policy: policy, senders: senders)
        } catch {
            fail("--syslog: \(error)", status: ExitStatus.usage)
        }
    }

    func trackerConfiguration() -> TrackerConfiguration {
        var configuration = TrackerConfiguration()
        configuration.policy = EarlyTLSPolicy(minimumVersion: TLSVersion(name: minVersion)!)
        configuration.maximumFlows = maxFlows
        configuration.reassemblyBound = reassemblyBound
        configuration.maximumReassemblyMemory = maxReassemblyMemory << 20
        configuration.idleTimeoutSeconds = idleTimeout
        if let roles { configuration.roles = loadRoles(roles) }
        configuration.fingerprints = !noFingerprints
        return configuration
    }

    private func loadRoles(_ path: String) -> RoleTable {
        guard let data = FileManager.default.contents(atPath: path) else {
            fail("\(path): cannot read the roles file", status: ExitStatus.inputUnreadable)
        }
        do {
            struct RolesFile: Decodable { var rules: [RoleRule] }
            return RoleTable(rules: try JSONDecoder().decode(RolesFile.self, from: data).rules)
        } catch {
            fail("\(path): not a roles file (\(error))", status: ExitStatus.usage)
        }
    }
}

/// Where every worker's finished sessions meet: the JSON lines, the inventory and the
/// summary tally, behind one lock taken once per session (never per packet).
final class OutputHub: @unchecked Sendable {
    private let lock = NSLock()
    private let options: AnalysisOptions
    private var json: OutputFile?
    private let writer: SessionJSON
    /// Lines are written out in pieces of about this size (a system call and an fflush each).
    private static let flushThreshold = 1 << 18
    private var line = JSONBytes(capacity: flushThreshold + (1 << 16))
    private let cipherAudits = CipherAuditMemo()
    private(set) var inventory: Inventory
    private(set) var tally = VersionTally()
    /// Only `--inventory` and the summary read the inventory and the tally: with `--quiet` and
    /// no `--inventory` they are not kept. On the handshake benchmark they were a quarter of the
    /// output thread's instructions, over half of the run's page faults and 57 MiB of its peak RSS.
    private let keepsEndpoints: Bool
    /// Any session negotiated early TLS or had an early-only hello refused (`--fail-on-early-tls`).
    private(set) var earlyTLSSeen = false
    let roles: RoleTable
    private(set) var writeFailure: String?
    private(set) var sessions = 0
    private let alerts: SyslogAlerts?

    init(options: AnalysisOptions, configuration: TrackerConfiguration) {
        self.options = options
        roles = configuration.roles
        keepsEndpoints = options.inventory != nil || !options.quiet
        var labels = FingerprintLabels()
        if let path = options.labels {
            do {
                labels = try FingerprintLabels(contentsOfFile: path)
            } catch {
                fail("\(path): \(error)", status: ExitStatus.usage)
            }
        }
        writer = SessionJSON(roles: configuration.roles, labels: labels)
        alerts = options.syslogAlerts(roles: configuration.roles, labels: labels)
        inventory = Inventory(roles: configuration.roles, policy: configuration.policy, labels: labels,
                              maximumEndpoints: options.maxEndpoints)
        do {
            json = try options.json.map { try OutputFile(path: $0) }
        } catch {
            fail("\(error)", status: ExitStatus.outputFailed)
        }
    }

    /// A session, where it lies (a pool slot, which it reads; only pending fingerprint hashes
    /// are filled in); `next`, the session to be accepted after it, if known, so its inventory
    /// look-up can start loading now. `hashing`: where to look up the session's pending hashes
    /// and raw strings (`SessionFingerprints.finishHashes`), when something wants them; the JSON
    /// line does only when it is not copied from a session with the same fields
    /// (`SessionJSON.writeIfKept`), and then neither hashes nor cipher audit are worked out.
    /// The writer, the inventory and the tally take the session `inout`, so by address:
    /// handed on from a pointer's `pointee` as a value, the 1.1 KiB record was copied for each
    /// of them (two or three copies per session, 4 to 8 % of the output thread on handshakes).
    func accept(_ session: UnsafeMutablePointer<SessionRecord>, hashing memo: FingerprintMemo? = nil,
                next: UnsafePointer<SessionRecord>? = nil) {
        lock.lock()
        defer { lock.unlock() }
        if keepsEndpoints, let next { inventory.prefetchClient(next.pointee.client) }
        sessions += 1
        if session.pointee.earlyTLS || session.pointee.verdict == .earlyOnlyRefused { earlyTLSSeen = true }
        if let json, !keepsEndpoints, alerts == nil, writer.writeIfKept(&session.pointee, into: &line) {
            // Nothing else reads the session: no hashes, no cipher audit.
            if line.count >= Self.flushThreshold { flushLocked(json) }
            return
        }
        let rendered = memo.map { session.pointee.fingerprints.finishHashes(memo: $0) } ?? RenderedFingerprints()
        let (findings, names) = cipherAudits.findings(session, roles: roles)
        if let json {
            writer.write(&session.pointee, findings: findings, rendered: rendered, into: &line)
            if line.count >= Self.flushThreshold { flushLocked(json) }
        }
        if keepsEndpoints {
            inventory.add(&session.pointee, findings: names)
            tally.add(&session.pointee, roles: roles, findings: names)
        }
        alerts?.add(session.pointee, findings: findings)
    }

    /// Reminders due by now (live capture calls this about once a second).
    func tick(nowNanos: Int64) {
        lock.lock()
        defer { lock.unlock() }
        alerts?.tick(nowNanos: nowNanos)
    }

    /// A sensor health event for every syslog destination.
    func report(_ event: SensorHealthEvent) {
        lock.lock()
        defer { lock.unlock() }
        alerts?.report(event)
    }

    /// Writes buffered lines out (live capture calls this so results do not wait in memory).
    func flush() {
        lock.lock()
        defer { lock.unlock() }
        if let json { flushLocked(json) }
    }

    private func flushLocked(_ file: OutputFile) {
        line.withBytes { file.write($0) }
        line.removeAll()
        file.flush()
        if writeFailure == nil, let failure = file.failure { writeFailure = failure }
    }

    /// Closes and reopens the JSON file at the same path (after logrotate moved it).
    func reopen() {
        lock.lock()
        defer { lock.unlock() }
        guard let path = options.json, path != "-", let old = json else { return }
        flushLocked(old)
        old.close()
        do {
            json = try OutputFile(path: path, append: true)
        } catch {
            writeFailure = "\(error)"
        }
    }

    /// Flushes and closes the session lines, writes the inventory and the summary.
    /// Returns the process exit status.
    func finish(counters: Counters, inputs: [String], warnings: [String], extraSummary: String = "") -> Int32 {
        lock.lock()
        defer { lock.unlock() }
        var warnings = warnings
        if let alerts {
            alerts.finish()
            // A dead collector must not hold the exit for long: every destination flushes within
            // one deadline (--syslog-flush-timeout), then what was lost is named.
            let results = alerts.close(timeout: .milliseconds(Int64(options.syslogFlushTimeout * 1000)))
            for (sender, result) in zip(alerts.senders, results) {
                let dropped = sender.statistics.droppedQueueFull
                guard !result.flushed || dropped > 0 else { continue }
                var lost: [String] = []
                if dropped > 0 { lost.append("\(dropped) alert(s) dropped (queue full, --syslog-queue \(options.syslogQueue))") }
                if !result.flushed { lost.append("\(result.undelivered) message(s) undelivered at exit") }
                let warning = "syslog \(sender.configuration.destination): " + lost.joined(separator: ", ")
                warnings.append(warning)
                printError("warning: " + warning)
            }
        }
        if let json {
            flushLocked(json)
            json.close()
            if writeFailure == nil, let failure = json.failure { writeFailure = failure }
        }
        if let failure = writeFailure {
            fail("\(options.json ?? "json"): write failed: \(failure); \(sessions) session(s) were processed", status: ExitStatus.outputFailed)
        }
        if let path = options.inventory {
            do {
                let file = try OutputFile(path: path)
                writeInventory(InventoryDocument(inventory, counters: counters, inputs: inputs), to: file)
                file.close()
                if let failure = file.failure { fail("\(path): write failed: \(failure)", status: ExitStatus.outputFailed) }
            } catch {
                fail("\(error)", status: ExitStatus.outputFailed)
            }
        }
        if !options.quiet {
            let text = summaryText(tally: tally, inventory: inventory, counters: counters, warnings: warnings) + extraSummary
            if options.json == "-" || options.inventory == "-" { printError(text, terminator: "") } else { print(text, terminator: "") }
        }
        return options.failOnEarlyTLS && earlyTLSSeen ? ExitStatus.earlyTLSFound : 0
    }
}

/// The tracker's sink: hands each finished session to the hub, in its slot.
struct HubSink: PooledSessionSink {
    let hub: OutputHub

    func accept(inPlace session: UnsafeMutablePointer<SessionRecord>, slot: Int32) -> Bool {
        hub.accept(session)
        return false
    }
}

func printError(_ text: String, terminator: String = "\n") {
    FileHandle.standardError.write(Data((text + terminator).utf8))
}

func fail(_ message: String, status: Int32) -> Never {
    printError("helloscope: " + message)
    exit(status)
}
