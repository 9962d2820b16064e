import Foundation
import Synchronization
import Testing

/// A real rsyslogd on loopback, started by scripts/lib/rsyslog.sh into a temp folder and
/// stopped by its PID. Everything it receives lands in `output` in
/// RSYSLOG_SyslogProtocol23Format (RFC 5424), one message per line.
final class RsyslogDaemon: Sendable {
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../scripts/lib/rsyslog.sh").standardized.path

    static let rsyslogdPath: String? = ["/usr/sbin/rsyslogd", "/sbin/rsyslogd", "/usr/local/sbin/rsyslogd"]
        .first { FileManager.default.isExecutableFile(atPath: $0) }

    static let isCI = ProcessInfo.processInfo.environment["CI"] == "true"

    /// Tests that need rsyslogd run when it is installed, and always under CI (where a
    /// missing rsyslogd is a failure, not a skip).
    static let shouldRun: Bool = {
        if rsyslogdPath == nil && !isCI {
            print("HelloSyslogTests: skipping the rsyslog tests: rsyslogd is not installed (apt-get install rsyslog rsyslog-gnutls)")
        }
        return rsyslogdPath != nil || isCI
    }()

    let directory: URL
    let arguments: [String]
    private let pid = Mutex<Int32>(0)

    var output: URL { directory.appendingPathComponent("out/messages.log") }

    init(directory: URL, arguments: [String]) {
        self.directory = directory
        self.arguments = arguments
    }

    static func makeDirectory(_ name: String) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("helloscope-syslog-\(name)-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// Starts (or, with the same folder, restarts) rsyslogd; its config is checked with -N1 first.
    func start() throws {
        try #require(Self.rsyslogdPath != nil, "rsyslogd is not installed; CI must install rsyslog and rsyslog-gnutls")
        let result = try Self.run("/bin/bash", [Self.script, "start", directory.path] + arguments)
        guard result.status == 0, let started = Int32(result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            throw ParseError("rsyslog.sh start failed (\(result.status)): \(result.stderr)")
        }
        pid.withLock { $0 = started }
    }

    /// Stops it by PID (TERM, then KILL) and waits for it to be gone.
    func stop() {
        let current = pid.withLock { value -> Int32 in
            defer { value = 0 }
            return value
        }
        guard current > 0 else { return }
        kill(current, SIGTERM)
        for _ in 0 ..< 100 {
            if kill(current, 0) != 0 { return }
            usleep(50_000)
        }
        kill(current, SIGKILL)
        usleep(100_000)
    }

    func lines() -> [String] {
        guard let data = try? Data(contentsOf: output) else { return [] }
        return String(decoding: data, as: UTF8.self).split(separator: "\n").map(String.init)
    }

    /// Waits until `count` lines match (or `timeout` passes), then a little longer so that
    /// a duplicate would show.
    func waitForLines(count: Int, timeout: Double = 15, where match: (RFC5424Message) -> Bool) -> [RFC5424Message] {
        let deadline = Date().addingTimeInterval(timeout)
        var found: [RFC5424Message] = []
        repeat {
            found = lines().compactMap { try? RFC5424Message(parsing: $0) }.filter(match)
            if found.count >= count { break }
            usleep(100_000)
        } while Date() < deadline
        usleep(300_000)
        return lines().compactMap { try? RFC5424Message(parsing: $0) }.filter(match)
    }

    struct RunResult {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// Runs a command to completion with posix_spawn, its output through files: Foundation's
    /// `Process.waitUntilExit` also waits for grandchildren that inherited its descriptors,
    /// and rsyslog.sh leaves rsyslogd running.
    static func run(_ executable: String, _ arguments: [String]) throws -> RunResult {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("hs-run-\(UUID().uuidString)")
        let outPath = scratch.path + ".out", errPath = scratch.path + ".err"
        defer {
            try? FileManager.default.removeItem(atPath: outPath)
            try? FileManager.default.removeItem(atPath: errPath)
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, errPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        // The test runner's threads block some signals and a child inherits the mask: give
        // the script (and the rsyslogd it leaves running) a clean one, or SIGTERM stays pending.
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGTERM, SIGINT, SIGHUP, SIGPIPE, SIGCHLD] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, executable, &actions, &attributes, argv, environ)
        guard spawned == 0 else { throw ParseError("cannot run \(executable): errno \(spawned)") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        let exitCode = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        let stdout = (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? ""
        let stderr = (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? ""
        return RunResult(status: exitCode, stdout: stdout, stderr: stderr)
    }

    /// A self-signed certificate usable as its own CA, for `localhost` and 127.0.0.1
    /// (shared/RECIPES.md). Returns (cert, key) paths.
    static func makeCertificate(in directory: URL, name: String = "server", ipSAN: Bool = true) throws -> (certificate: String, key: String) {
        let certificate = directory.appendingPathComponent("\(name)-cert.pem").path
        let key = directory.appendingPathComponent("\(name)-key.pem").path
        let result = try run("/usr/bin/env", [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "30",
            "-keyout", key, "-out", certificate, "-subj", "/CN=localhost",
            "-addext", ipSAN ? "subjectAltName=DNS:localhost,IP:127.0.0.1" : "subjectAltName=DNS:localhost",
            "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,digitalSignature,keyEncipherment,keyCertSign",
            "-addext", "extendedKeyUsage=serverAuth,clientAuth",
        ])
        guard result.status == 0 else { throw ParseError("openssl failed: \(result.stderr)") }
        return (certificate, key)
    }
}
