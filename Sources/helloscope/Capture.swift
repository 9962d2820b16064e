import ArgumentParser
import Dispatch
import Foundation
import HelloCapture
import HelloFlows
import HelloSyslog
import HelloWire
import Synchronization

struct Capture: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Capture live from interfaces (span/mirror ports), one flow table per worker, until stopped."
    )

    @Option(name: .shortAndLong, help: "Interface to capture on (repeat for several).")
    var interface: [String]

    @Option(name: .long, help: "Capture handles per interface, joined in one AF_PACKET fanout group (default: one per core).")
    var workers: Int = ProcessInfo.processInfo.activeProcessorCount

    @Flag(name: .long, help: "Do not put the interface into promiscuous mode.")
    var noPromisc = false

    @Option(name: .long, help: "Snap length in bytes.")
    var snaplen: Int32 = 262_144

    @Option(name: .long, help: "Kernel buffer per handle, MiB.")
    var bufferSize: Int32 = 32

    @Option(name: .long, help: "Buffer timeout in milliseconds (packets wait at most this long).")
    var timeout: Int32 = 100

    @Flag(name: .long, help: "Immediate mode: hand over every packet at once (more wake-ups).")
    var immediate = false

    @Option(name: .long, help: "BPF filter expression (tcpdump syntax).")
    var filter: String?

    @Option(name: .long, help: "Seconds between stats lines on stderr (0: none).")
    var statsInterval: Int = 60

    @Option(name: .long, help: "Append a JSON stats record per interval and at the end to PATH.")
    var statsJson: String?

    @Option(name: .long, help: "Stop after this many seconds.")
    var duration: Double?

    @Option(name: .long, help: "Stop after this many packets (all workers together).")
    var count: Int?

    @Option(name: .long, help: "Drop root privileges to this user once the capture handles are open.")
    var user: String?

    @OptionGroup var options: AnalysisOptions

    @OptionGroup var evidenceOptions: EvidenceOptions

    func validate() throws {
        guard workers >= 1 && workers <= 64 else { throw ValidationError("--workers must be between 1 and 64") }
        guard !interface.isEmpty else { throw ValidationError("name at least one interface with -i") }
        if let filter, let problem = LiveCapture.validate(filter: filter) {
            throw ValidationError("--filter '\(filter)': \(problem)")
        }
        guard statsInterval >= 0 else { throw ValidationError("--stats-interval cannot be negative") }
        if let user, getpwnam(user) == nil { throw ValidationError("--user: no such user '\(user)'") }
    }

    func run() throws {
        let configuration = options.trackerConfiguration()
        var handles: [(LiveCapture, String)] = []
        for (interfaceIndex, name) in interface.enumerated() {
            var live = LiveCaptureConfiguration(interface: name)
            live.promiscuous = !noPromisc
            live.snapshotLength = snaplen
            live.bufferBytes = bufferSize << 20
            live.timeoutMilliseconds = timeout
            live.immediate = immediate
            live.filter = filter
            // Group ids are per network namespace; pid-derived ids keep two sensors apart.
            if workers > 1 { live.fanoutGroup = UInt16(truncatingIfNeeded: Int(getpid()) &* 16 &+ interfaceIndex) }
            for _ in 0 ..< workers {
                do {
                    let handle = try LiveCapture(live)
                    guard LinkType(rawValue: handle.linkType).isSupported else {
                        fail("\(name): link type \(handle.linkTypeName) is not supported", status: ExitStatus.unsupportedInput)
                    }
                    handles.append((handle, name))
                } catch {
                    fail("\(error)", status: ExitStatus.inputUnreadable)
                }
            }
        }
        let hub = OutputHub(options: options, configuration: configuration)
        let statsFile: OutputFile?
        do {
            statsFile = try statsJson.map { try OutputFile(path: $0, append: true) }
        } catch {
            fail("\(error)", status: ExitStatus.outputFailed)
        }
        if let user { dropPrivileges(to: user) }
        // After dropping privileges: the files are created as that user, so check as that user.
        let evidence = evidenceOptions.makeOutput(snapLength: snaplen)
        let evidenceLimits = evidenceOptions.recorderLimits(workers: handles.count, idleTimeoutSeconds: options.idleTimeout)

        let control = CaptureControl(packetLimit: count)
        installSignalHandlers()
        var hangupsSeen = 0
        let workerStates = handles.map { WorkerState(interface: $0.1) }
        var threads: [Thread] = []
        for (index, (handle, _)) in handles.enumerated() {
            let state = workerStates[index]
            let sendableHandle = UncheckedBox(handle)
            let thread = Thread {
                let recorder = evidence.map { EvidenceRecorder(limits: evidenceLimits, output: $0) }
                runWorker(handle: sendableHandle.value, configuration: configuration, hub: hub, control: control, state: state,
                          recorder: recorder)
            }
            thread.name = "capture-\(index)"
            thread.start()
            threads.append(thread)
        }
        handles.removeAll()

        let started = Date()
        var lastStats = Date()
        var lastTick = Date()
        var reportedDrops: UInt64 = 0
        while !control.stopRequested {
            Thread.sleep(forTimeInterval: 0.05)
            if stopSignals.load(ordering: .relaxed) > 0 { control.requestStop() }
            let hangups = hangupSignals.load(ordering: .relaxed)
            if hangups != hangupsSeen {
                hangupsSeen = hangups
                hub.reopen()
            }
            if Date().timeIntervalSince(lastTick) >= 1 {
                lastTick = Date()
                hub.tick(nowNanos: Int64(lastTick.timeIntervalSince1970 * 1e9))
                // New kernel or interface drops become a health event, at most once a second.
                let statistics = workerStates.map(\.statistics).reduce(CaptureStatistics(), +)
                let drops = statistics.droppedByKernel + statistics.droppedByInterface
                if drops > reportedDrops {
                    hub.report(.captureDrops(dropped: drops - reportedDrops, received: statistics.received,
                                             interface: interface.joined(separator: ",")))
                    reportedDrops = drops
                }
            }
            if let duration, Date().timeIntervalSince(started) >= duration { control.requestStop() }
            if statsInterval > 0, Date().timeIntervalSince(lastStats) >= Double(statsInterval) {
                lastStats = Date()
                hub.flush()
                report(workerStates, evidence: evidence, to: statsFile, final: false)
            }
        }
        for state in workerStates { state.finished.wait() }
        evidence?.close()
        report(workerStates, evidence: evidence, to: statsFile, final: true)
        statsFile?.close()
        let counters = workerStates.map(\.counters).reduce(Counters(), +)
        let statistics = workerStates.map(\.statistics).reduce(CaptureStatistics(), +)
        let loss = "Capture: \(statistics.received) packets received by the kernel, \(statistics.droppedByKernel) dropped by the kernel, \(statistics.droppedByInterface) by the interface (\(workerStates.count) worker(s))\n"
            + (evidence?.summaryLine ?? "")
        var status = hub.finish(counters: counters, inputs: interface, warnings: control.failures, extraSummary: loss)
        if !control.failures.isEmpty {
            printError("helloscope: capture stopped: " + control.failures.joined(separator: "; "))
            status = ExitStatus.captureFailed
        }
        if status != 0 { throw ExitCode(status) }
    }

    private func report(_ states: [WorkerState], evidence: EvidenceOutput?, to file: OutputFile?, final: Bool) {
        var lines: [String] = []
        var record: [String: Any] = ["type": final ? "final_stats" : "stats", "ts": ISO8601DateFormatter().string(from: Date())]
        var workers: [[String: Any]] = []
        for (index, state) in states.enumerated() {
            let statistics = state.statistics
            let counters = state.counters
            lines.append("worker \(index) (\(state.interface)): \(counters.packets) packets, \(counters.sessions) sessions, kernel received \(statistics.received), dropped \(statistics.droppedByKernel), interface dropped \(statistics.droppedByInterface)")
            workers.append(["worker": index, "interface": state.interface, "packets": counters.packets, "sessions": counters.sessions,
                            "flows_active": state.activeFlows, "kernel_received": statistics.received,
                            "kernel_dropped": statistics.droppedByKernel, "interface_dropped": statistics.droppedByInterface])
        }
        record["workers"] = workers
        if let evidence {
            let counts = evidence.statsRecord
            record["evidence"] = counts
            lines.append("evidence: " + counts.keys.sorted().map { "\($0) \(counts[$0]!)" }.joined(separator: ", "))
        }
        if !final || statsInterval > 0 { for line in lines { printError("stats: " + line) } }
        if let file, let data = try? JSONSerialization.data(withJSONObject: record, options: [.sortedKeys]) {
            file.write(Array(data) + [UInt8(ascii: "\n")])
            file.flush()
        }
    }
}

/// What a worker shares with the main thread: a snapshot taken about once a second.
final class WorkerState: @unchecked Sendable {
    let interface: String
    private let lock = NSLock()
    private var _counters = Counters()
    private var _statistics = CaptureStatistics()
    private var _activeFlows = 0
    let finished = DispatchSemaphore(value: 0)

    init(interface: String) { self.interface = interface }

    func publish(_ counters: Counters, _ statistics: CaptureStatistics, activeFlows: Int) {
        lock.lock(); defer { lock.unlock() }
        _counters = counters
        _statistics = statistics
        _activeFlows = activeFlows
    }

    var counters: Counters { lock.lock(); defer { lock.unlock() }; return _counters }
    var statistics: CaptureStatistics { lock.lock(); defer { lock.unlock() }; return _statistics }
    var activeFlows: Int { lock.lock(); defer { lock.unlock() }; return _activeFlows }
}

/// Stop requests and the shared packet budget.
final class CaptureControl: @unchecked Sendable {
    private let stop = Atomic<Bool>(false)
    private let packets = Atomic<Int>(0)
    let packetLimit: Int?
    private let lock = NSLock()
    private var _failures: [String] = []
    private var failedInterfaces: Set<String> = []

    init(packetLimit: Int?) { self.packetLimit = packetLimit }

    var stopRequested: Bool { stop.load(ordering: .relaxed) }
    func requestStop() { stop.store(true, ordering: .relaxed) }

    /// Counts a packet against --count; true when the budget is spent.
    @inline(__always)
    func countPacket() -> Bool {
        guard let packetLimit else { return false }
        return packets.add(1, ordering: .relaxed).newValue >= packetLimit
    }

    /// `interface` failed with `reason`. Every worker on a vanished interface says so, not
    /// always in the same words (one saw the poll error, another libpcap's read error, which
    /// names the interface itself): the first reason per interface is the one line kept.
    func fail(interface: String, reason: String) {
        let prefix = interface + ": "
        let reason = reason.hasPrefix(prefix) ? String(reason.dropFirst(prefix.count)) : reason
        lock.lock()
        if failedInterfaces.insert(interface).inserted { _failures.append(prefix + reason) }
        lock.unlock()
        requestStop()
    }

    var failures: [String] { lock.lock(); defer { lock.unlock() }; return _failures }
}

struct UncheckedBox<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}

/// One worker: its own handle and flow table, no locks per packet. Without `--evidence`
/// the tracker's sink is the hub alone and no packet is looked at twice.
private func runWorker(handle: LiveCapture, configuration: TrackerConfiguration, hub: OutputHub,
                       control: CaptureControl, state: WorkerState, recorder: EvidenceRecorder?) {
    if let recorder {
        var tracker = FlowTracker(configuration: configuration, sink: EvidenceSink(hub: hub, pipeline: nil, recorder: recorder))
        capture(handle: handle, tracker: &tracker, recorder: recorder, hub: hub, control: control, state: state)
    } else {
        var tracker = FlowTracker(configuration: configuration, sink: HubSink(hub: hub))
        capture(handle: handle, tracker: &tracker, recorder: nil, hub: hub, control: control, state: state)
    }
    state.finished.signal()
}

private func capture<Sink: PooledSessionSink>(handle: LiveCapture, tracker: inout FlowTracker<Sink>, recorder: EvidenceRecorder?,
                                              hub: OutputHub, control: CaptureControl, state: WorkerState) {
    let decoder = FrameDecoder(linkType: LinkType(rawValue: handle.linkType))
    var lastPublish = DispatchTime.now().uptimeNanoseconds
    var lastTimestamp: Int64 = 0
    while !control.stopRequested {
        switch handle.next() {
        case .packet(let packet):
            lastTimestamp = packet.timestampNanos
            recorder?.record(packet.bytes, decoder: decoder, timestampNanos: packet.timestampNanos, wireLength: packet.wireLength)
            tracker.process(frame: packet.bytes.bytes, decoder: decoder,
                            timestampNanos: packet.timestampNanos, wireLength: packet.wireLength)
            recorder?.settle()
            if control.countPacket() { control.requestStop() }
        case .timeout:
            let now = Int64(Date().timeIntervalSince1970 * 1e9)
            tracker.tick(timestampNanos: now)
            recorder?.tick(nowNanos: now)
        case .failed(let reason):
            control.fail(interface: handle.configuration.interface, reason: reason)
        }
        let now = DispatchTime.now().uptimeNanoseconds
        if now - lastPublish > 1_000_000_000 {
            lastPublish = now
            state.publish(tracker.counters, handle.statistics(), activeFlows: tracker.activeFlows)
            hub.flush()
        }
    }
    tracker.finish(now: max(lastTimestamp, Int64(Date().timeIntervalSince1970 * 1e9)))
    state.publish(tracker.counters, handle.statistics(), activeFlows: 0)
}

/// Counted by the signal handlers (an atomic add is async-signal-safe); the main loop polls them.
private let stopSignals = Atomic<Int>(0)
private let hangupSignals = Atomic<Int>(0)

/// SIGINT/SIGTERM stop cleanly; SIGHUP reopens the JSON output (logrotate). Plain sigaction
/// handlers, not DispatchSource: on Linux libdispatch reads signals through a signalfd, which
/// only sees a signal that every thread blocks; started from a shell (signals unblocked) the
/// capture threads took SIGINT and it was lost: the capture never stopped.
private func installSignalHandlers() {
    // Globals are initialised lazily (swift_once, not async-signal-safe): touch them first.
    _ = stopSignals.load(ordering: .relaxed)
    _ = hangupSignals.load(ordering: .relaxed)
    // A parent may hand these signals down blocked (a spawning thread of libdispatch's blocks
    // them all): unblock them here, before the workers start and inherit this mask.
    var wanted = sigset_t()
    sigemptyset(&wanted)
    for signalNumber in [SIGINT, SIGTERM, SIGHUP] { sigaddset(&wanted, signalNumber) }
    pthread_sigmask(SIG_UNBLOCK, &wanted, nil)
    for signalNumber in [SIGINT, SIGTERM, SIGHUP] {
        var action = sigaction()
        action.__sigaction_handler.sa_handler = { number in
            if number == SIGHUP {
                hangupSignals.add(1, ordering: .relaxed)
            } else {
                stopSignals.add(1, ordering: .relaxed)
            }
        }
        sigemptyset(&action.sa_mask)
        action.sa_flags = SA_RESTART
        sigaction(signalNumber, &action, nil)
    }
}

private func dropPrivileges(to user: String) {
    guard let entry = getpwnam(user) else { fail("--user: no such user '\(user)'", status: ExitStatus.usage) }
    let uid = entry.pointee.pw_uid, gid = entry.pointee.pw_gid
    guard setgroups(0, nil) == 0, setgid(gid) == 0, setuid(uid) == 0 else {
        fail("--user \(user): cannot drop privileges: \(String(cString: strerror(errno)))", status: ExitStatus.usage)
    }
}
