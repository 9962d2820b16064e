import ArgumentParser
import Foundation
import HelloReport

struct Report: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write a self-contained HTML posture report from the JSON of one or more runs (or from captures)."
    )

    @Option(name: .long, parsing: .upToNextOption,
            help: "Session JSON lines from `analyze --json` (several runs allowed); .pcap/.pcapng files are analyzed first.")
    var sessions: [String]

    @Option(name: .long, parsing: .upToNextOption, help: "Inventories from `analyze --inventory`: counters and advice.")
    var inventory: [String] = []

    @Option(name: .shortAndLong, help: "The HTML file to write (- for standard output).")
    var output: String

    @Option(name: .long, help: "The page's title.")
    var title: String = "TLS posture: early TLS"

    func validate() throws {
        guard !sessions.isEmpty else { throw ValidationError("name at least one --sessions file") }
    }

    func run() throws {
        let captures = sessions.filter(Self.isCapture)
        var lines: [SessionLine] = []
        var inventories: [InventoryDocument] = []
        do {
            for path in sessions where !Self.isCapture(path) { lines += try SessionLine.load(path: path) }
            for path in inventory { inventories.append(try InventoryDocument.load(path: path)) }
            if !captures.isEmpty {
                let analyzed = try analyze(captures)
                lines += analyzed.sessions
                inventories.append(analyzed.inventory)
            }
        } catch {
            switch error {
            case .unreadable: fail(error.description, status: ExitStatus.inputUnreadable)
            case .malformed: fail(error.description, status: ExitStatus.unsupportedInput)
            }
        }
        let page = PostureReport(posture: Posture(sessions: lines, inventories: inventories), title: title).html()
        do {
            let file = try OutputFile(path: output)
            file.write(Array(page.utf8))
            file.close()
            if let failure = file.failure { fail("\(output): write failed: \(failure)", status: ExitStatus.outputFailed) }
        } catch {
            fail("\(error)", status: ExitStatus.outputFailed)
        }
    }

    private static func isCapture(_ path: String) -> Bool {
        let lowered = path.lowercased()
        return lowered.hasSuffix(".pcap") || lowered.hasSuffix(".pcapng")
    }

    /// Runs this same binary's `analyze` on the captures (one run, one flow table across them,
    /// as `analyze` does), so a report from captures is exactly a report from `analyze`'s JSON.
    private func analyze(_ captures: [String]) throws(ReportInputError) -> (sessions: [SessionLine], inventory: InventoryDocument) {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("helloscope-report-\(getpid())")
        try? FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let json = folder.appendingPathComponent("sessions.jsonl").path
        let inventory = folder.appendingPathComponent("inventory.json").path
        let process = Process()
        process.executableURL = Bundle.main.executableURL ?? URL(fileURLWithPath: CommandLine.arguments[0])
        process.arguments = ["analyze", "--quiet", "--json", json, "--inventory", inventory] + captures
        do {
            try process.run()
        } catch {
            fail("cannot run \(process.executableURL?.path ?? "helloscope") analyze: \(error)", status: ExitStatus.usage)
        }
        process.waitUntilExit()
        // analyze printed its own message on stderr; its status says what went wrong.
        if process.terminationStatus != 0 {
            fail("analyzing \(captures.joined(separator: " ")) failed", status: process.terminationStatus)
        }
        return (try SessionLine.load(path: json), try InventoryDocument.load(path: inventory))
    }
}
