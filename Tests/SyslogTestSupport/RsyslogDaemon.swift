import Foundation
import Synchronization

/// A real rsyslogd on loopback, started by scripts/lib/rsyslog.sh into a temp folder and
/// stopped by its PID. Everything it receives lands in `output` in
/// RSYSLOG_SyslogProtocol23Format (RFC 5424), one message per line.
public final class RsyslogDaemon: Sendable {
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../scripts/lib/rsyslog.sh").standardized.path

    public static let rsyslogdPath: String? = ["/usr/sbin/rsyslogd", "/sbin/rsyslogd", "/usr/local/sbin/rsyslogd"]
        .first { FileManager.default.isExecutableFile(atPath: $0) }

    public static let isCI = ProcessInfo.processInfo.environment["CI"] == "true"

    /// Tests that need rsyslogd run when it is installed, and always under CI (where a
    /// missing rsyslogd is a failure, not a skip: `start` throws).
    public static func shouldRun(_ suite: String) -> Bool {
        if rsyslogdPath == nil && !isCI {
            print("\(suite): skipping the rsyslog tests: rsyslogd is not installed (apt-get install rsyslog rsyslog-gnutls)")
        }
        return rsyslogdPath != nil || isCI
    }

    public let directory: URL
    public let arguments: [String]
    private let pid = Mutex<Int32>(0)

    public var output: URL { directory.appendingPathComponent("out/messages.log") }

    /// `arguments` as scripts/lib/rsyslog.sh takes them (`--tcp PORT`, `--tls PORT --ca …`).
    public init(directory: URL, arguments: [String]) {
        self.directory = directory
        self.arguments = arguments
    }

    public static func makeDirectory(_ name: String) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("helloscope-syslog-\(name)-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// Starts (or, with the same folder, restarts) rsyslogd; its config is checked with -N1 first.
    public func start() throws {
        guard Self.rsyslogdPath != nil else {
            throw ParseError("rsyslogd is not installed; CI must install rsyslog and rsyslog-gnutls")
        }
        let result = try Self.run("/bin/bash", [Self.script, "start", directory.path] + arguments)
        guard result.status == 0, let started = Int32(result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            throw ParseError("rsyslog.sh start failed (\(result.status)): \(result.stderr)")
        }
        pid.withLock { $0 = started }
    }

    /// Stops it by PID (TERM, then KILL) and waits for it to be gone.
    public func stop() {
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

    public func lines() -> [String] {
        guard let data = try? Data(contentsOf: output) else { return [] }
        return String(decoding: data, as: UTF8.self).split(separator: "\n").map(String.init)
    }

    /// Waits until `count` lines match (or `timeout` passes), then a little longer so that
    /// a duplicate would show.
    public func waitForLines(count: Int, timeout: Double = 15, where match: (RFC5424Message) -> Bool) -> [RFC5424Message] {
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

    public struct RunResult: Sendable {
        public var status: Int32
        public var stdout: String
        public var stderr: String
    }

    /// Runs a command to completion with posix_spawn, its output through files: Foundation's
    /// `Process.waitUntilExit` also waits for grandchildren that inherited its descriptors,
    /// and rsyslog.sh leaves rsyslogd running.
    public static func run(_ executable: String, _ arguments: [String]) throws -> RunResult {
        try Spawned(executable, arguments).wait()
    }

    /// A child process started with posix_spawn, standard input from /dev/null, its output
    /// into files read when it ends, and a clean signal mask and dispositions.
    public final class Spawned: Sendable {
        public let pid: pid_t
        private let outPath: String
        private let errPath: String

        /// glibc 2.34's `posix_spawn_file_actions_addclosefrom_np`, which Swift's Glibc module
        /// does not export.
        private static let addCloseFrom: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32)? = {
            guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np") else { return nil }
            return unsafeBitCast(symbol, to: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32).self)
        }()

        public init(_ executable: String, _ arguments: [String]) throws {
            let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("hs-run-\(UUID().uuidString)")
            outPath = scratch.path + ".out"
            errPath = scratch.path + ".err"
            var actions = posix_spawn_file_actions_t()
            posix_spawn_file_actions_init(&actions)
            defer { posix_spawn_file_actions_destroy(&actions) }
            posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
            posix_spawn_file_actions_addopen(&actions, 1, outPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
            posix_spawn_file_actions_addopen(&actions, 2, errPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
            // Nothing else: tests running in parallel hold pipes (Foundation's `Process`), and a
            // long-lived rsyslogd holding a write end would keep their readers from ever
            // seeing the end of the output.
            if let closeFrom = Self.addCloseFrom { _ = closeFrom(&actions, 3) }
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
            self.pid = pid
        }

        /// Waits for the child to end; its exit status (128 + N for signal N) and output.
        public func wait() -> RunResult {
            var status: Int32 = 0
            while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
            let exitCode = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
            let stdout = (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? ""
            let stderr = (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? ""
            try? FileManager.default.removeItem(atPath: outPath)
            try? FileManager.default.removeItem(atPath: errPath)
            return RunResult(status: exitCode, stdout: stdout, stderr: stderr)
        }
    }

    /// A self-signed certificate usable as its own CA, for `localhost` and 127.0.0.1
    /// (shared/RECIPES.md). Returns (cert, key) paths.
    public static func makeCertificate(in directory: URL, name: String = "server", ipSAN: Bool = true) throws -> (certificate: String, key: String) {
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
