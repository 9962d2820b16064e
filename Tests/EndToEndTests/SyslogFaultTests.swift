import Foundation
import SyslogTestSupport
import Testing

/// The collector misbehaving while `helloscope analyze` sends to it over TCP: down at
/// first, restarting mid-run, never there, and a queue too small. Part of the serialized
/// `SyslogEndToEndTests` suite (ports 15804–15806 and 15808).
extension SyslogEndToEndTests {
    static func analyzeInBackground(port: Int, appName: String, _ extra: [String]) throws -> RsyslogDaemon.Spawned {
        try RsyslogDaemon.Spawned(Helloscope.binary.path, ["analyze", "--quiet", "--syslog", "tcp://127.0.0.1:\(port)",
                                                          "--syslog-format", "rfc5424", "--syslog-app-name", appName,
                                                          "--syslog-reminder", "0"] + extra + captures)
    }

    /// Alive and not a zombie (reaping it here would lose its exit status).
    static func isRunning(_ pid: pid_t) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return false }
        return stat[stat.index(close, offsetBy: 2)] != "Z"
    }

    /// rsyslog is down when helloscope starts and comes up while it flushes at exit: every
    /// alert arrives once, and the exit waits for it (within --syslog-flush-timeout).
    @Test func collectorComingUpLateGetsEveryAlert() throws {
        let expected = try Self.expected()
        let directory = try RsyslogDaemon.makeDirectory("e2e-late")
        let daemon = RsyslogDaemon(directory: directory, arguments: ["--tcp", "15804"])
        defer { daemon.stop() }
        let started = Date()
        let helloscope = try Self.analyzeInBackground(port: 15804, appName: "e2e-late", ["--syslog-flush-timeout", "20"])
        usleep(1_500_000)
        #expect(Self.isRunning(helloscope.pid), "helloscope should still be flushing")
        try daemon.start()
        let result = helloscope.wait()
        let elapsed = Date().timeIntervalSince(started)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(elapsed < 15, "took \(elapsed) s")
        #expect(result.stderr.contains("syslog: syslog destination tcp://127.0.0.1:15804 lost"), "\(result.stderr)")
        #expect(!result.stderr.contains("warning"), "\(result.stderr)")
        let messages = try Self.messages(daemon, appName: "e2e-late", format: "rfc5424") { Self.alerts($0).count >= expected.alerts }
        #expect(Self.alerts(messages).count == expected.alerts)
        Self.checkAlerts(messages, expected, "late collector")
        #expect(!messages.contains { $0["droppedAlerts"].map { $0 != "0" } ?? false })
    }

    /// The same with a queue of 2: two alerts arrive, and the rest are counted as dropped in
    /// a health event (sensor_destination_regained, droppedAlerts), on stderr and in the
    /// exit warning.
    @Test func tinyQueueReportsWhatItDropped() throws {
        let expected = try Self.expected()
        let directory = try RsyslogDaemon.makeDirectory("e2e-tiny")
        let daemon = RsyslogDaemon(directory: directory, arguments: ["--tcp", "15805"])
        defer { daemon.stop() }
        let helloscope = try Self.analyzeInBackground(port: 15805, appName: "e2e-tiny", ["--syslog-flush-timeout", "20", "--syslog-queue", "2"])
        usleep(1_500_000)
        try daemon.start()
        let result = helloscope.wait()
        #expect(result.status == 0, "\(result.stderr)")
        let dropped = expected.alerts - 2
        let messages = try Self.messages(daemon, appName: "e2e-tiny", format: "rfc5424") { $0.count >= 3 }
        #expect(Self.alerts(messages).count == 2)
        let health = messages.filter { $0["event"] == "sensor_destination_regained" }
        #expect(health.count == 1)
        #expect(health.first?["droppedAlerts"] == String(dropped))
        #expect(messages.count == 3, "\(messages)")
        #expect(result.stderr.contains("regained; \(dropped) alerts dropped while it was away"), "\(result.stderr)")
        #expect(result.stderr.contains("warning: syslog tcp://127.0.0.1:15805: \(dropped) alert(s) dropped (queue full, --syslog-queue 2)"),
                "\(result.stderr)")
    }

    /// rsyslog stops in the middle of a run and comes back: `analyze -` reads a pcap from a
    /// pipe, so the run is held open between two captures' packets. The alert of the first
    /// part arrives before the stop, the second part's is queued while rsyslog is away, and
    /// both arrive once, with a health event saying the destination came back.
    @Test func collectorRestartingMidRunLosesNothingQueued() throws {
        let first = try #require(CaptureCase.all.first { $0.capture.lastPathComponent == "ds-agent-4118.pcap" })
        let second = try #require(CaptureCase.all.first { $0.capture.lastPathComponent == "server-pinned-tls10.pcap" })
        let firstBytes = try Data(contentsOf: first.capture), secondBytes = try Data(contentsOf: second.capture)
        // One stream: the same 24-byte pcap header (magic, precision, link type), then both files' records.
        try #require(firstBytes.prefix(24) == secondBytes.prefix(24), "the two captures need the same pcap header")
        let expectedFirst = try Self.expected([first]), expected = try Self.expected([first, second])
        try #require(expectedFirst.sessions.count == 1 && expected.sessions.count == 2)

        let directory = try RsyslogDaemon.makeDirectory("e2e-restart")
        let daemon = RsyslogDaemon(directory: directory, arguments: ["--tcp", "15808"])
        try daemon.start()
        defer { daemon.stop() }
        let stderrPath = directory.appendingPathComponent("helloscope.err").path
        _ = FileManager.default.createFile(atPath: stderrPath, contents: nil)
        let process = Process()
        process.executableURL = Helloscope.binary
        process.arguments = ["analyze", "--quiet", "--syslog", "tcp://127.0.0.1:15808", "--syslog-format", "cef",
                             "--syslog-app-name", "e2e-restart", "--syslog-reminder", "0", "-"]
        let input = Pipe()
        // Close-on-exec in this process, or rsyslogd (started below) inherits the write end
        // and helloscope never sees the end of its input. The child gets its copy by dup2.
        for handle in [input.fileHandleForReading, input.fileHandleForWriting] {
            _ = fcntl(handle.fileDescriptor, F_SETFD, FD_CLOEXEC)
        }
        process.standardInput = input
        process.standardOutput = FileHandle.nullDevice
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: stderrPath))
        try process.run()
        func stderr() -> String { (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? "" }
        func waitFor(_ text: String) -> Bool {
            for _ in 0 ..< 100 where !stderr().contains(text) { usleep(100_000) }
            return stderr().contains(text)
        }

        input.fileHandleForWriting.write(firstBytes)
        let before = try Self.messages(daemon, appName: "e2e-restart", format: "cef") { Self.alerts($0).count >= 1 }
        #expect(Self.alerts(before).map(Self.endpoint) == Array(expectedFirst.sessions.keys), "\(before)")

        daemon.stop()
        #expect(waitFor("syslog: syslog destination tcp://127.0.0.1:15808 lost"), "\(stderr())")
        input.fileHandleForWriting.write(secondBytes.dropFirst(24))
        usleep(500_000)
        try daemon.start()
        try input.fileHandleForWriting.close()
        for _ in 0 ..< 300 where process.isRunning { usleep(100_000) }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            Issue.record("helloscope did not exit after the end of its input")
        }
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "\(stderr())")
        #expect(stderr().contains("regained; 0 alerts dropped while it was away"), "\(stderr())")
        #expect(!stderr().contains("warning"), "\(stderr())")

        let messages = try Self.messages(daemon, appName: "e2e-restart", format: "cef") { Self.alerts($0).count >= expected.alerts }
        #expect(Self.alerts(messages).count == expected.alerts, "\(messages)")
        Self.checkAlerts(messages, expected, "restart")
        let regained = messages.filter { $0["event"] == "sensor_destination_regained" }
        #expect(regained.count == 1 && regained.first?["droppedAlerts"] == "0", "\(regained)")
    }

    /// Nobody listening at all: the exit waits --syslog-flush-timeout, not longer, and names
    /// what was not delivered; the analysis itself succeeds.
    @Test func deadCollectorBoundsTheExit() throws {
        let expected = try Self.expected()
        let started = Date()
        let result = try Self.analyzeInBackground(port: 15806, appName: "e2e-dead", ["--syslog-flush-timeout", "1"]).wait()
        let elapsed = Date().timeIntervalSince(started)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(elapsed >= 1 && elapsed < 5, "took \(elapsed) s")
        #expect(result.stderr.contains("warning: syslog tcp://127.0.0.1:15806: \(expected.alerts) message(s) undelivered at exit"),
                "\(result.stderr)")
    }
}
