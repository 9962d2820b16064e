import Foundation
import Testing
@testable import HelloReport

/// Loading the analyzer's JSON and the figures computed from it.
@Suite struct PostureTests {
    @Test func figuresFromSessions() {
        let posture = Posture(sessions: Fixtures.sessions, inventories: [Fixtures.inventoryDocument])
        #expect(posture.sessions == 7)
        #expect(posture.earlyTLSSessions == 4)
        #expect(posture.negotiatedSessions == 6)
        #expect(posture.modernSessions == 2)
        #expect(posture.versionsByRole["agent"] == ["TLSv1.0": 2, "TLSv1.1": 1, "TLSv1.2": 1, "TLSv1.3": 1])
        #expect(posture.versionsByRole["manager_heartbeat"] == ["refused": 1])
        #expect(posture.hasFingerprints)
    }

    @Test func endpointsAreTheBlamedSideRiskiestFirst() {
        let endpoints = Posture(sessions: Fixtures.sessions).endpoints
        // Same tier and count: by address, as text.
        #expect(endpoints.map(\.address) == ["10.213.7.5", "10.213.7.2", "10.213.7.9", "10.66.6.6"])
        #expect(endpoints.map(\.riskTier) == [0, 1, 1, 1])
        let manager = endpoints[1]
        #expect(manager.role == "manager" && manager.side == "client")
        #expect(manager.sessions == 2)
        #expect(manager.versions == ["TLSv1.0": 1, "TLSv1.1": 1])
        #expect(manager.worst == "TLSv1.0")
        #expect(manager.firstSeen == parseTimestamp("2026-11-29T02:02:32.663695Z"))
        #expect(manager.lastSeen == parseTimestamp("2026-11-29T02:03:10.1Z"))
        // Refused early-only hello: the client is blamed, ranked by what it offered.
        #expect(endpoints[0].versions == ["refused": 1])
        #expect(endpoints[0].worst == "SSLv3")
        #expect(endpoints[2].side == "server")
        #expect(endpoints[2].role == "agent")
        #expect(endpoints[3].serverNames == ["<script>alert(1)</script>.example"])
    }

    @Test func severalRunsAddUp() {
        let twice = Posture(sessions: Fixtures.sessions + Fixtures.sessions,
                            inventories: [Fixtures.inventoryDocument, Fixtures.inventoryDocument])
        #expect(twice.sessions == 14)
        #expect(twice.endpoints.count == 4)
        #expect(twice.endpoints[1].sessions == 4)
        #expect(twice.counter("client_hellos_seen") == 18)
        // The analyzer's own order: packets comes before client_hellos_seen.
        #expect(twice.counters?.first?.name == "packets")
        #expect(twice.inputs == ["day1.pcap", "day1.pcap"])
    }

    @Test func badLinesNameTheirNumber() {
        let text = Data("{\"client\":\"a\",\"server\":\"b\"}\n\n{\"client\": 3}\n".utf8)
        #expect(throws: ReportInputError.malformed(path: "x.jsonl", line: 3, reason: "wrong type at \"client\"")) {
            try SessionLine.decode(lines: text, path: "x.jsonl")
        }
        #expect(throws: ReportInputError.unreadable(path: "/nonexistent.jsonl")) {
            try SessionLine.load(path: "/nonexistent.jsonl")
        }
        #expect((try? SessionLine.decode(lines: Data("\n\r\n".utf8)))?.isEmpty == true)
    }

    /// Lines as an editor or another tool may leave them: CRLF ends, blank lines with spaces,
    /// no newline after the last, and a bad line after those still named by its number.
    @Test func linesAreSplitAsWritten() throws {
        let one = "{\"client\":\"10.0.0.1\",\"server\":\"10.0.0.2\"}"
        let text = Data((one + "\r\n  \r\n\n" + one + "\n" + one).utf8)
        let sessions = try SessionLine.decode(lines: text)
        #expect(sessions.count == 3)
        #expect(sessions.allSatisfy { $0.client == "10.0.0.1" && $0.server == "10.0.0.2" })
        #expect(throws: ReportInputError.malformed(path: "-", line: 5, reason: "not JSON")) {
            try SessionLine.decode(lines: Data((one + "\r\n  \r\n\n" + one + "\n{\"client\"").utf8))
        }
        #expect(try SessionLine.decode(lines: Data()).isEmpty)
    }

    /// Many lines are decoded in runs on several threads: they come back in file order, and of
    /// two bad lines in different runs the first is the one named.
    @Test func manyLinesKeepTheirOrder() throws {
        let lines = (0 ..< 20_000).map { "{\"client\":\"10.0.0.1\",\"server\":\"10.0.0.2\",\"client_port\":\($0)}" }
        let sessions = try SessionLine.decode(lines: Data(lines.joined(separator: "\n").utf8))
        #expect(sessions.map(\.clientPort) == (0 ..< 20_000).map { $0 })
        var broken = lines
        broken[17_999] = "{\"client\": 3}"
        broken[14_999] = "{\"client\": 4}"
        #expect(throws: ReportInputError.malformed(path: "many.jsonl", line: 15_000, reason: "wrong type at \"client\"")) {
            try SessionLine.decode(lines: Data(broken.joined(separator: "\n").utf8), path: "many.jsonl")
        }
    }

    @Test func expectedFilesWithoutTimestampsLoad() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let lines = try SessionLine.load(path: root.appendingPathComponent("Captures/ds-agent-4118.expected.jsonl").path)
        #expect(lines.count == 4)
        #expect(Timeline(sessions: lines).points.isEmpty)
    }

    @Test(arguments: [
        (["2026-01-01T00:00:00Z", "2026-01-01T00:02:30Z"], 60, 3),
        (["2026-01-01T00:00:00Z", "2026-01-02T12:00:00Z"], 3600, 37),
        (["2026-01-01T00:00:00Z", "2026-03-01T00:00:00Z"], 86400, 60),
        (["0001-01-01T00:00:00Z", "9999-01-01T00:00:00Z"], 86400 * 14607, 251),
    ])
    func timelineBucketFitsTheSpan(stamps: [String], bucket: Int, points: Int) {
        let lines = stamps.map { stamp in
            var line = SessionLine(client: "a", server: "b")
            line.ts = stamp
            line.earlyTLS = true
            return line
        }
        let timeline = Timeline(sessions: lines)
        #expect(timeline.bucketSeconds == bucket)
        #expect(timeline.points.count == points)
        #expect(timeline.points.map(\.earlyTLS).reduce(0, +) == 2)
    }

    @Test func percentRoundsDown() {
        #expect(percent(1, of: 3) == "33.3%")
        #expect(percent(9999, of: 10000) == "99.9%")
        #expect(percent(2, of: 2) == "100%")
        #expect(percent(0, of: 0) == "–")
    }
}
