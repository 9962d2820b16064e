import Foundation
import Testing
@testable import HelloReport

/// The report of the bundled captures in a real browser: `scripts/render-report.sh` runs the
/// built `helloscope report` and headless Chromium (Debian's `chromium`). Under CI (`CI=true`)
/// Chromium must be there; elsewhere the test is skipped, with the reason, when it is not.
@Suite struct BrowserRenderTests {
    static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let isCI = ProcessInfo.processInfo.environment["CI"] == "true"
    static let chromium = ProcessInfo.processInfo.environment["PATH", default: "/usr/bin"].split(separator: ":")
        .map { "\($0)/chromium" }.first { FileManager.default.isExecutableFile(atPath: $0) }

    /// The `helloscope` that `swift build` put beside this test bundle.
    static var binary: String? {
        var folder = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0 ..< 4 {
            let candidate = folder.appendingPathComponent("helloscope").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            folder = folder.deletingLastPathComponent()
        }
        return nil
    }

    @Test func chromiumIsInstalledUnderCI() {
        if Self.isCI {
            #expect(Self.chromium != nil, "CI=true but chromium is missing: apt-get install chromium (or run scripts/render-report.sh once)")
        } else if Self.chromium == nil {
            print("BrowserRenderTests: skipping the browser test: chromium is not installed (apt-get install chromium); CI=true makes this a failure")
        }
    }

    @Test(.enabled(if: chromium != nil || isCI, "chromium is not installed; apt-get install chromium"))
    func bundledCapturesReportRendersInChromium() throws {
        let binary = try #require(Self.binary, "no helloscope binary beside the tests: run swift build first")
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("helloscope-render-\(getpid())")
        defer { try? FileManager.default.removeItem(at: out) }
        let process = Process()
        process.executableURL = Self.packageRoot.appendingPathComponent("scripts/render-report.sh")
        process.arguments = ["--out", out.path, "--binary", binary, "--no-install"]
        let errors = Pipe()
        process.standardError = errors
        try process.run()
        let log = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "render-report.sh: \(log)")

        let console = try String(contentsOf: out.appendingPathComponent("console.log"), encoding: .utf8)
        #expect(!console.contains("Uncaught") && !console.contains(":CONSOLE"), "console: \(console)")
        let dom = try String(contentsOf: out.appendingPathComponent("dom.html"), encoding: .utf8)
        #expect(dom.contains("data-script=\"ready\""), "the page's script ran to the end")

        // What the bundled captures must show, counted from their expected results.
        let expected = try Self.expectedSessions()
        let early = expected.filter { $0["early_tls"] as? Bool == true }.count
        let negotiated = expected.filter { $0["version"] is String }
        let modern = negotiated.filter { $0["early_tls"] as? Bool != true }.count
        #expect(Self.figure("sessions", in: dom) == "\(expected.count)")
        #expect(Self.figure("early-tls", in: dom) == "\(early)")
        let upgrade = try Self.inventoryEndpointsToUpgrade(binary: binary)
        #expect(Self.figure("endpoints", in: dom) == "\(upgrade)")
        #expect(Self.figure("modern-share", in: dom) == percent(modern, of: negotiated.count))
        #expect(dom.contains("Endpoints to upgrade (\(upgrade))"))

        try Self.checkSorting(report: out.appendingPathComponent("report.html"), chromium: try #require(Self.chromium))

        let png = try Data(contentsOf: out.appendingPathComponent("report.png"))
        #expect(png.starts(with: [0x89, 0x50, 0x4e, 0x47]))
        #expect(png.count > 20_000, "a blank page compresses far smaller")
    }

    /// The analyzer's own `endpoints_to_upgrade` for all of Captures/ in one run: the report
    /// derives its table from the sessions and must agree with the inventory.
    static func inventoryEndpointsToUpgrade(binary: String) throws -> Int {
        let folder = packageRoot.appendingPathComponent("Captures")
        let captures = try FileManager.default.contentsOfDirectory(atPath: folder.path)
            .filter { $0.hasSuffix(".pcap") || $0.hasSuffix(".pcapng") }.sorted().map { folder.appendingPathComponent($0).path }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["analyze", "--quiet", "--inventory", "-"] + captures
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let inventory = try #require(JSONSerialization.jsonObject(with: data) as? [String: Any])
        return try #require(inventory["endpoints_to_upgrade"] as? Int)
    }

    static func expectedSessions() throws -> [[String: Any]] {
        let folder = packageRoot.appendingPathComponent("Captures")
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".expected.jsonl") }
        return try files.flatMap { file in
            try String(contentsOf: folder.appendingPathComponent(file), encoding: .utf8).split(separator: "\n").map {
                try #require(JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
            }
        }
    }

    /// Clicks "Blamed sessions" twice (descending) in a copy of the page and reads the first row back.
    static func checkSorting(report: URL, chromium: String) throws {
        let page = try String(contentsOf: report, encoding: .utf8)
        let click = """
        <script>
        var buttons = Array.from(document.querySelectorAll("#endpoint-table th button"));
        var column = buttons.findIndex(function (b) { return b.textContent === "Blamed sessions"; });
        buttons[column].click(); buttons[column].click();
        var counts = Array.from(document.querySelectorAll("#endpoint-table tbody tr")).map(function (r) { return r.cells[column].textContent; });
        document.body.setAttribute("data-sorted", counts.join(","));
        </script>
        """
        let copy = report.deletingLastPathComponent().appendingPathComponent("sorted.html")
        try page.replacingOccurrences(of: "</body>", with: click + "</body>").write(to: copy, atomically: true, encoding: .utf8)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: chromium)
        process.arguments = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                             "--user-data-dir=\(copy.deletingLastPathComponent().path)/sort-profile", "--dump-dom", copy.absoluteString]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let dom = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        let sorted = try #require(dom.firstMatch(of: /data-sorted="([^"]*)"/)?.output.1).split(separator: ",").compactMap { Int($0) }
        #expect(!sorted.isEmpty)
        #expect(sorted == sorted.sorted(by: >), "descending after two clicks: \(sorted)")
        #expect(dom.contains("aria-sort=\"descending\""))
    }

    static func figure(_ id: String, in html: String) -> String? {
        guard let start = html.range(of: "data-figure=\"\(id)\"><span class=\"value\">") else { return nil }
        return String(html[start.upperBound...].prefix { $0 != "<" })
    }
}
