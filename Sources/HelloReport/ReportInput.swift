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
    /// 232 MB of lines (9.0 s in all), and the split held every line's slice at once.
    public static func decode(lines data: Data, path: String = "-") throws(ReportInputError) -> [SessionLine] {
        let decoder = JSONDecoder()
        var sessions: [SessionLine] = []
        var failure: ReportInputError?
        data.withUnsafeBytes { (bytes: UnsafeRawBufferPointer) in
            guard let base = bytes.baseAddress else { return }
            var start = 0, number = 0
            while start < bytes.count {
                number += 1
                let end = memchr(base + start, Int32(UInt8(ascii: "\n")), bytes.count - start)
                    .map { $0 - UnsafeMutableRawPointer(mutating: base) } ?? bytes.count
                defer { start = end + 1 }
                let line = UnsafeRawBufferPointer(rebasing: bytes[start ..< end])
                guard line.contains(where: { $0 != UInt8(ascii: " ") && $0 != UInt8(ascii: "\r") }) else { continue }
                do {
                    sessions.append(try decoder.decode(SessionLine.self, from: Data(line)))
                } catch {
                    failure = .malformed(path: path, line: number, reason: shortReason(error))
                    return
                }
            }
        }
        if let failure { throw failure }
        return sessions
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
