import ArgumentParser
import Foundation
import HelloCapture
import HelloFlows
import HelloWire

struct Analyze: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Analyze pcap/pcapng files (or - for standard input), in order, with one flow table across them."
    )

    @Argument(help: "Capture files (pcap or pcapng); - reads standard input.")
    var files: [String]

    @OptionGroup var options: AnalysisOptions

    func validate() throws {
        guard files.filter({ $0 == "-" }).count <= 1 else { throw ValidationError("standard input (-) can be read once") }
    }

    func run() throws {
        let configuration = options.trackerConfiguration()
        // Check every input before reading any, so a typo fails fast and alone.
        for path in files where path != "-" {
            _ = openCapture(path)
        }
        let hub = OutputHub(options: options, configuration: configuration)
        var tracker = FlowTracker(configuration: configuration, sink: HubSink(hub: hub))
        var warnings: [String] = []
        var lastTimestamp: Int64 = 0
        for path in files {
            let capture = openCapture(path)
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
        }
        tracker.finish(now: lastTimestamp)
        let status = hub.finish(counters: tracker.counters, inputs: files, warnings: warnings)
        if status != 0 { throw ExitCode(status) }
    }

    private func openCapture(_ path: String) -> OfflineCapture {
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
        return capture
    }
}
