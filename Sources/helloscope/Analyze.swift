import ArgumentParser
import Foundation
import HelloCapture
import HelloFlows
import HelloOutput
import HelloWire

struct Analyze: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Analyze pcap/pcapng files (or - for standard input), in order, with one flow table across them."
    )

    @Argument(help: "Capture files (pcap or pcapng); - reads standard input.")
    var files: [String]

    @Option(name: .long, help: "Write one JSON object per TLS session to PATH (- for standard output).")
    var json: String?

    @Option(name: .long, help: "Write the endpoint inventory (JSON) to PATH (- for standard output).")
    var inventory: String?

    @Option(name: .long, help: "Lowest version that is not early TLS (default TLSv1.2, per RFC 8996).")
    var minVersion: String = "TLSv1.2"

    @Flag(name: .long, help: "Exit with status 1 when any early TLS was negotiated or an early-only hello was refused.")
    var failOnEarlyTLS = false

    @Option(name: .long, help: "JSON file of role rules replacing the built-in Deep Security table (see README).")
    var roles: String?

    @Option(name: .long, help: "Most flows tracked at once; beyond it the oldest are evicted (counted).")
    var maxFlows: Int = TrackerConfiguration().maximumFlows

    @Option(name: .long, help: "Most bytes kept per direction while a hello is incomplete.")
    var reassemblyBound: Int = TrackerConfiguration().reassemblyBound

    @Option(name: .long, help: "Most bytes of reassembly buffers in total (MiB).")
    var maxReassemblyMemory: Int = TrackerConfiguration().maximumReassemblyMemory >> 20

    @Option(name: .long, help: "Seconds of capture time after which an idle flow is ended.")
    var idleTimeout: UInt32 = TrackerConfiguration().idleTimeoutSeconds

    @Flag(name: .long, help: "Do not print the summary.")
    var quiet = false

    mutating func validate() throws {
        guard TLSVersion(name: minVersion) != nil else {
            throw ValidationError("--min-version: '\(minVersion)' is not a version (use TLSv1.0 ... TLSv1.3 or 0xNNNN)")
        }
        guard maxFlows > 0 else { throw ValidationError("--max-flows must be positive") }
        guard reassemblyBound >= 512 && reassemblyBound <= 1 << 20 else {
            throw ValidationError("--reassembly-bound must be between 512 and 1048576 bytes")
        }
        guard maxReassemblyMemory >= 1 else { throw ValidationError("--max-reassembly-memory must be at least 1 (MiB)") }
        guard files.filter({ $0 == "-" }).count <= 1 else { throw ValidationError("standard input (-) can be read once") }
    }

    func run() throws {
        var configuration = TrackerConfiguration()
        configuration.policy = EarlyTLSPolicy(minimumVersion: TLSVersion(name: minVersion)!)
        configuration.maximumFlows = maxFlows
        configuration.reassemblyBound = reassemblyBound
        configuration.maximumReassemblyMemory = maxReassemblyMemory << 20
        configuration.idleTimeoutSeconds = idleTimeout
        if let roles {
            configuration.roles = try loadRoles(roles)
        }
        // Check every input before reading any, so a typo fails fast and alone.
        for path in files where path != "-" {
            do {
                let capture = try OfflineCapture(path: path)
                guard LinkType(rawValue: capture.linkType).isSupported else {
                    fail(CaptureError.unsupportedLinkType(path: path, linkType: capture.linkType, name: capture.linkTypeName).description,
                         status: ExitStatus.unsupportedInput)
                }
            } catch {
                fail("\(error)", status: ExitStatus.inputUnreadable)
            }
        }
        let jsonFile: OutputFile?
        do {
            jsonFile = try json.map { try OutputFile(path: $0) }
        } catch {
            fail("\(error)", status: ExitStatus.outputFailed)
        }
        let summaryToStderr = json == "-" || inventory == "-"
        var tracker = FlowTracker(configuration: configuration,
                                  sink: OutputSink(json: jsonFile, roles: configuration.roles, policy: configuration.policy))
        var warnings: [String] = []
        var lastTimestamp: Int64 = 0
        for path in files {
            let capture: OfflineCapture
            do {
                capture = try OfflineCapture(path: path)
            } catch {
                fail("\(error)", status: ExitStatus.inputUnreadable)
            }
            guard LinkType(rawValue: capture.linkType).isSupported else {
                fail(CaptureError.unsupportedLinkType(path: path, linkType: capture.linkType, name: capture.linkTypeName).description,
                     status: ExitStatus.unsupportedInput)
            }
            let decoder = FrameDecoder(linkType: LinkType(rawValue: capture.linkType))
            while let packet = capture.next() {
                lastTimestamp = max(lastTimestamp, packet.timestampNanos)
                tracker.process(frame: packet.bytes.bytes, decoder: decoder,
                                timestampNanos: packet.timestampNanos, wireLength: packet.wireLength)
            }
            if case let .damaged(reason, index, offset) = capture.end {
                let warning = "\(path): stopped at packet \(index) (byte offset ~\(offset)): \(reason); results up to there are kept"
                warnings.append(warning)
                printError("warning: " + warning)
            }
            if let failure = tracker.sink.writeFailure {
                fail("\(json ?? "json"): write failed: \(failure); \(tracker.counters.sessions) session(s) were processed", status: ExitStatus.outputFailed)
            }
        }
        tracker.finish(now: lastTimestamp)
        tracker.sink.flush()
        jsonFile?.close()
        if let failure = tracker.sink.writeFailure {
            fail("\(json ?? "json"): write failed: \(failure)", status: ExitStatus.outputFailed)
        }
        let counters = tracker.counters
        if let inventory {
            let bytes = inventoryJSON(tracker.sink.inventory, counters: counters, inputs: files)
            do {
                let file = try OutputFile(path: inventory)
                file.write(bytes)
                file.close()
                if let failure = file.failure { fail("\(inventory): write failed: \(failure)", status: ExitStatus.outputFailed) }
            } catch {
                fail("\(error)", status: ExitStatus.outputFailed)
            }
        }
        if !quiet {
            let text = summaryText(tally: tracker.sink.tally, inventory: tracker.sink.inventory, counters: counters, warnings: warnings)
            if summaryToStderr { printError(text, terminator: "") } else { print(text, terminator: "") }
        }
        let earlySeen = tracker.sink.inventory.entries.values.contains { $0.earlyTLSSessions > 0 || $0.refusedEarlyOnly > 0 }
        if failOnEarlyTLS && earlySeen { throw ExitCode(ExitStatus.earlyTLSFound) }
    }

    private func loadRoles(_ path: String) throws -> RoleTable {
        guard let data = FileManager.default.contents(atPath: path) else {
            fail("\(path): cannot read the roles file", status: ExitStatus.inputUnreadable)
        }
        do {
            struct RolesFile: Decodable { var rules: [RoleRule] }
            return RoleTable(rules: try JSONDecoder().decode(RolesFile.self, from: data).rules)
        } catch {
            fail("\(path): not a roles file (\(error))", status: ExitStatus.usage)
        }
    }
}

/// Fans a finished session out to the JSON lines, the inventory and the summary tally.
struct OutputSink: SessionSink {
    var json: OutputFile?
    var writer: SessionJSON
    var line = JSONBytes(capacity: 1 << 16)
    var inventory: Inventory
    var tally = VersionTally()
    let roles: RoleTable
    var writeFailure: String? { json?.failure }

    init(json: OutputFile?, roles: RoleTable, policy: EarlyTLSPolicy) {
        self.json = json
        writer = SessionJSON(roles: roles)
        inventory = Inventory(roles: roles, policy: policy)
        self.roles = roles
    }

    mutating func accept(_ session: SessionRecord) {
        if let json {
            writer.write(session, into: &line)
            if line.bytes.count >= 1 << 15 { flushLines(json) }
        }
        inventory.add(session)
        tally.add(session, roles: roles)
    }

    mutating func flush() {
        if let json { flushLines(json) }
    }

    private mutating func flushLines(_ file: OutputFile) {
        file.write(line.bytes)
        line.bytes.removeAll(keepingCapacity: true)
    }
}

func printError(_ text: String, terminator: String = "\n") {
    FileHandle.standardError.write(Data((text + terminator).utf8))
}

func fail(_ message: String, status: Int32) -> Never {
    printError("helloscope: " + message)
    exit(status)
}
