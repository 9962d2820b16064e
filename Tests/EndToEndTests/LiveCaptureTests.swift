import Foundation
import Testing

/// `helloscope capture` on a real veth pair in network namespaces that scripts/live-test.sh
/// creates and removes. Needs root; under CI (CI=true, root) these must run, not skip.
@Suite(.serialized) struct LiveCaptureTests {
    static var canRun: Bool {
        if getuid() == 0 { return true }
        if ProcessInfo.processInfo.environment["CI"] == "true" {
            Issue.record("live capture tests need root under CI")
        } else {
            print("skipping live capture tests: they need root (network namespaces, raw sockets)")
        }
        return false
    }

    struct LiveRun {
        var status: Int32
        var sessions: [[String: Any]]
        var stats: [[String: Any]]
        var ran: [String]
        var stdout: String
        var stderr: String
        /// `status` as written: a number, or `hang` (vanish mode).
        var statusText: String
    }

    /// Runs scripts/live-test.sh MODE OUT ARGS...; `environment` adds LIVE_NET, SESSIONS, ...
    static func live(_ arguments: [String], environment extra: [String: String] = [:]) throws -> LiveRun {
        let out = Helloscope.temporaryFile("live-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: out) }
        let process = Process()
        process.executableURL = Helloscope.packageRoot.appendingPathComponent("scripts/live-test.sh")
        process.arguments = [arguments[0], out.path] + arguments.dropFirst()
        var environment = ProcessInfo.processInfo.environment
        environment["HELLOSCOPE"] = Helloscope.binary.path
        environment.merge(extra) { $1 }
        process.environment = environment
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "live-test.sh failed")
        func read(_ name: String) -> String {
            (try? String(contentsOf: out.appendingPathComponent(name), encoding: .utf8)) ?? ""
        }
        let statusText = read("status").trimmingCharacters(in: .whitespacesAndNewlines)
        return LiveRun(
            status: Int32(statusText) ?? -1,
            sessions: try Helloscope.jsonLines(read("sessions.jsonl")),
            stats: try Helloscope.jsonLines(read("stats.jsonl")),
            ran: read("ran.txt").split(separator: "\n").map(String.init),
            stdout: read("stdout.txt"),
            stderr: read("stderr.txt"),
            statusText: statusText)
    }

    @Test(arguments: [1, 2])
    func reportsExactlyTheSessionsThatRan(workers: Int) throws {
        guard Self.canRun else { return }
        let run = try Self.live(["stacks", "--workers", "\(workers)"])
        #expect(run.status == 0, "stderr: \(run.stderr)")
        #expect(run.ran.count == 7)
        #expect(run.sessions.count == run.ran.count)
        let expectedVersion = ["-tls1": "TLSv1.0", "-tls1_1": "TLSv1.1", "-tls1_2": "TLSv1.2", "-tls1_3": "TLSv1.3"]
        var seen = run.sessions.map { "\($0["server_port"]!) \($0["version"]!)" }
        for line in run.ran {
            let parts = line.split(separator: " ")
            let wanted = "\(parts[0]) \(expectedVersion[String(parts[1])]!)"
            let index = try #require(seen.firstIndex(of: wanted), "no session for \(line)")
            seen.remove(at: index)
        }
        let early = run.sessions.filter { $0["early_tls"] as? Bool == true }
        #expect(early.count == 3)
        // The final stats record accounts for every worker, with no kernel drops at this rate.
        let final = try #require(run.stats.last { $0["type"] as? String == "final_stats" })
        let perWorker = try #require(final["workers"] as? [[String: Any]])
        #expect(perWorker.count == workers)
        #expect(perWorker.allSatisfy { $0["kernel_dropped"] as? Int == 0 })
        #expect(perWorker.map { $0["sessions"] as? Int ?? 0 }.reduce(0, +) == run.ran.count)
    }

    /// Replaying each bundled capture onto the veth gives the sessions `analyze` finds in the file.
    @Test(arguments: CaptureCase.all.filter { !$0.capture.lastPathComponent.hasPrefix("sll2") })
    func liveEqualsOffline(_ testCase: CaptureCase) throws {
        guard Self.canRun else { return }
        let offline = try Helloscope.run(["analyze", "--quiet", "--json", "-", testCase.capture.path])
        let run = try Self.live(["replay", testCase.capture.path, "--workers", "2"])
        #expect(run.status == 0, "stderr: \(run.stderr)")
        func identity(_ session: [String: Any]) -> String {
            ["client", "client_port", "server", "server_port", "version", "status", "sni", "early_tls_side"]
                .map { "\(session[$0] ?? "nil")" }.joined(separator: " ")
        }
        let want = try Helloscope.jsonLines(offline.stdout).map(identity).sorted()
        #expect(run.sessions.map(identity).sorted() == want)
    }

    @Test func badFilterIsAUsageError() throws {
        let result = try Helloscope.run(["capture", "-i", "lo", "--filter", "tcp port banana"])
        #expect(result.status == 64)
        #expect(result.stderr.contains("--filter"))
    }

    @Test func missingInterfaceIsOneClearError() throws {
        guard Self.canRun else { return }
        let result = try Helloscope.run(["capture", "-i", "hs-no-such-if0", "--duration", "1"])
        #expect(result.status == 66)
        #expect(result.stderr.contains("hs-no-such-if0"))
    }

    @Test func durationAndCountStopCleanly() throws {
        guard Self.canRun else { return }
        let started = Date()
        let byDuration = try Helloscope.run(["capture", "-i", "lo", "--duration", "1", "--workers", "1"])
        #expect(byDuration.status == 0, "stderr: \(byDuration.stderr)")
        #expect(Date().timeIntervalSince(started) < 10)
        #expect(byDuration.stdout.contains("Capture:"))
    }
}
