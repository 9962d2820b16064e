import Foundation

/// One line of `helloscope analyze --json` (README, "What a session says"): only the fields
/// the report reads. Everything but the addresses is optional, so older runs and the
/// hand-written `Captures/*.expected.jsonl` load too; unknown fields are ignored.
/// Every string came off the wire or from a file: the renderer escapes all of them.
public struct SessionLine: Codable, Sendable, Equatable {
    public var ts: String?
    public var client: String
    public var server: String
    public var clientPort: Int?
    public var serverPort: Int?
    public var role: String?
    public var clientRole: String?
    public var serverRole: String?
    public var sni: String?
    public var clientMaxVersion: String?
    public var version: String?
    public var earlyTLS: Bool?
    public var earlyTLSSide: String?
    public var verdict: String?
    public var status: String?
    // Fingerprints and labels: shown in the endpoint table when any session has them.
    public var ja3: String?
    public var ja4: String?
    public var label: String?

    enum CodingKeys: String, CodingKey {
        case ts, client, server, role, sni, version, verdict, status, ja3, ja4, label
        case clientPort = "client_port", serverPort = "server_port"
        case clientRole = "client_role", serverRole = "server_role"
        case clientMaxVersion = "client_max_version"
        case earlyTLS = "early_tls", earlyTLSSide = "early_tls_side"
    }

    public init(client: String, server: String) {
        self.client = client
        self.server = server
    }
}

/// The document `helloscope analyze --inventory` writes (README, "Endpoint inventory"):
/// the report reads its threshold, inputs, advice sentences and counters.
public struct InventoryDocument: Codable, Sendable {
    public struct Endpoint: Codable, Sendable {
        public var address: String
        public var role: String
        public var side: String
        public var verdict: String?
    }

    public var minVersion: String?
    public var inputs: [String]?
    public var endpoints: [Endpoint]?
    public var endpointsDropped: Int?
    public var counters: [String: Int]?

    enum CodingKeys: String, CodingKey {
        case inputs, endpoints, counters
        case minVersion = "min_version", endpointsDropped = "endpoints_dropped"
    }

    public init(counters: [String: Int]? = nil) { self.counters = counters }
}

public enum ReportInputError: Error, CustomStringConvertible, Equatable {
    case unreadable(path: String)
    case malformed(path: String, line: Int?, reason: String)

    public var description: String {
        switch self {
        case .unreadable(let path): "\(path): cannot read"
        case .malformed(let path, let line?, let reason): "\(path):\(line): not a session line (\(reason))"
        case .malformed(let path, nil, let reason): "\(path): not an inventory (\(reason))"
        }
    }
}

extension SessionLine {
    /// Reads JSON lines; blank lines are skipped, a bad line is an error naming its number.
    public static func load(path: String) throws(ReportInputError) -> [SessionLine] {
        guard let data = FileManager.default.contents(atPath: path) else { throw .unreadable(path: path) }
        return try decode(lines: data, path: path)
    }

    /// The lines are found with `memchr` and checked for blankness over raw bytes: `Data.split`
    /// and a `contains(where:)` per line took 41 % of `report` over the handshake benchmark's
    /// 232 MB of lines (9.0 s in all), and the split held every line's slice at once. Then they
    /// are decoded on every core, in runs of lines each with its own decoder: `JSONDecoder` is
    /// most of what is left. The sessions come back in file order; a bad line is named as on
    /// one thread (the first one in the file).
    public static func decode(lines data: Data, path: String = "-") throws(ReportInputError) -> [SessionLine] {
        try data.withUnsafeBytes { (bytes: UnsafeRawBufferPointer) -> Result<[SessionLine], ReportInputError> in
            let lines = lineRanges(bytes)
            // Read only, and only during the call: each thread reads the lines of its own run.
            nonisolated(unsafe) let bytes = bytes
            let runs = DecodedRuns(count: min(max(lines.count / 4096, 1), 4 * ProcessInfo.processInfo.activeProcessorCount))
            let perRun = (lines.count + runs.count - 1) / runs.count
            DispatchQueue.concurrentPerform(iterations: runs.count) { run in
                let decoder = JSONDecoder()
                var sessions: [SessionLine] = []
                for line in lines[min(run * perRun, lines.count) ..< min((run + 1) * perRun, lines.count)] {
                    do {
                        sessions.append(try decoder.decode(SessionLine.self, from: Data(UnsafeRawBufferPointer(rebasing: bytes[line.range]))))
                    } catch {
                        runs.finish(run, .failure(.malformed(path: path, line: line.number, reason: shortReason(error))))
                        return
                    }
                }
                runs.finish(run, .success(sessions))
            }
            return runs.joined()
        }.get()
    }

    /// Where each line that is not blank (spaces and carriage returns only) lies, and its number.
    private static func lineRanges(_ bytes: UnsafeRawBufferPointer) -> [(range: Range<Int>, number: Int)] {
        guard let base = bytes.baseAddress else { return [] }
        var lines: [(range: Range<Int>, number: Int)] = []
        var start = 0, number = 0
        while start < bytes.count {
            number += 1
            let end = memchr(base + start, Int32(UInt8(ascii: "\n")), bytes.count - start)
                .map { $0 - UnsafeMutableRawPointer(mutating: base) } ?? bytes.count
            if bytes[start ..< end].contains(where: { $0 != UInt8(ascii: " ") && $0 != UInt8(ascii: "\r") }) {
                lines.append((start ..< end, number))
            }
            start = end + 1
        }
        return lines
    }
}

/// What each run of lines decoded to, each written by one thread of `decode`.
private final class DecodedRuns: @unchecked Sendable {
    let count: Int
    private var results: [Result<[SessionLine], ReportInputError>?]
    private let lock = NSLock()

    init(count: Int) {
        self.count = count
        results = Array(repeating: nil, count: count)
    }

    func finish(_ run: Int, _ result: Result<[SessionLine], ReportInputError>) {
        lock.lock()
        results[run] = result
        lock.unlock()
    }

    /// The sessions in file order, or the first run's failure (its first bad line: the runs
    /// are in file order too).
    func joined() -> Result<[SessionLine], ReportInputError> {
        var sessions: [SessionLine] = []
        for result in results {
            switch result {
            case .success(let run)?: sessions += run
            case .failure(let error)?: return .failure(error)
            case nil: continue
            }
        }
        return .success(sessions)
    }
}

extension InventoryDocument {
    public static func load(path: String) throws(ReportInputError) -> InventoryDocument {
        guard let data = FileManager.default.contents(atPath: path) else { throw .unreadable(path: path) }
        do {
            return try JSONDecoder().decode(InventoryDocument.self, from: data)
        } catch {
            throw .malformed(path: path, line: nil, reason: shortReason(error))
        }
    }
}

/// Decoding errors print whole coding paths; one clause is enough for a person.
private func shortReason(_ error: Error) -> String {
    switch error {
    case DecodingError.keyNotFound(let key, _): "missing \"\(key.stringValue)\""
    case DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context):
        "wrong type at \"\(context.codingPath.map(\.stringValue).joined(separator: "."))\""
    case DecodingError.dataCorrupted: "not JSON"
    default: "\(error)"
    }
}
