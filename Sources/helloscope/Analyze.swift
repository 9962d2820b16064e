import ArgumentParser
import Foundation
import HelloCapture
import HelloFingerprint
import HelloFlows
import HelloWire

struct Analyze: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Analyze pcap/pcapng files (or - for standard input), in order, with one flow table across them."
    )

    @Argument(help: "Capture files (pcap or pcapng); - reads standard input.")
    var files: [String]

    @OptionGroup var options: AnalysisOptions

    @OptionGroup var evidenceOptions: EvidenceOptions

    func validate() throws {
        guard files.filter({ $0 == "-" }).count <= 1 else { throw ValidationError("standard input (-) can be read once") }
    }

    func run() throws {
        // The cipher audit's table, on the other core while this one starts tracking (if no
        // thread can be made, the first audit reads it as before).
        let registryReader = WorkerThread(name: "cipher-registry") { CipherTraits.loadRegistry() }
        if registryReader.start() { registryReader.detach() }
        var configuration = options.trackerConfiguration()
        configuration.deferFingerprintHashes = true   // hashed where the session is written (SessionPipeline)
        configuration.pagesAhead = PageBackingThread()
        // Check every input before reading any, so a typo fails fast and alone.
        for path in files where path != "-" {
            _ = openCapture(path)
        }
        let hub = OutputHub(options: options, configuration: configuration)
        let evidence = evidenceOptions.makeOutput(snapLength: 262_144)
        let recorder = evidence.map {
            EvidenceRecorder(limits: evidenceOptions.recorderLimits(workers: 1, idleTimeoutSeconds: options.idleTimeout), output: $0)
        }
        let pipeline = SessionPipeline(hub: hub)
        var tracker = FlowTracker(configuration: configuration, sink: EvidenceSink(hub: hub, pipeline: pipeline, recorder: recorder))
        var warnings: [String] = []
        var lastTimestamp: Int64 = 0
        var packets = 0
        for path in files {
            let capture = openCapture(path)
            // Frames are decoded and their flows placed on the reader's thread, flows tracked on this one.
            let decoder = FrameDecoder(linkType: LinkType(rawValue: capture.linkType), placing: tracker.flowHash)
            let end = capture.forEachPacketPipelined(prepare: { decoder.decode($0.bytes.bytes, storingAt: UnsafeMutableRawPointer($1)) },
                                                     lookahead: { tracker.prefetch(placed: $0) }) { (packet, placed: FrameOutcome) in
                lastTimestamp = max(lastTimestamp, packet.timestampNanos)
                recorder?.record(packet.bytes, decoder: decoder, timestampNanos: packet.timestampNanos, wireLength: packet.wireLength)
                tracker.process(placed: placed, frame: packet.bytes.bytes,
                                timestampNanos: packet.timestampNanos, wireLength: packet.wireLength)
                recorder?.settle()
                packets += 1
                if packets & (Self.reviewEvery - 1) == 0 { pipeline.review(packets: Self.reviewEvery) }
            }
            if case let .damaged(reason, index, offset) = end {
                let warning = "\(path): stopped at packet \(index) (byte offset ~\(offset)): \(reason); results up to there are kept"
                warnings.append(warning)
                printError("warning: " + warning)
            }
        }
        tracker.finish(now: lastTimestamp)   // and waits for the output thread (EvidenceSink.drain)
        evidence?.close()
        let status = hub.finish(counters: tracker.counters, inputs: files, warnings: warnings,
                                extraSummary: evidence?.summaryLine ?? "")
        // Everything is written: leave without tearing the flow table and the inventory
        // down piece by piece (after a busy capture that took longer than writing them).
        fflush(nil)
        // Nor the tracker: past its last use Swift ended it, and its deinit handed its 180 MiB
        // of tables back to the kernel one page at a time (the handshake workload: 6.7 ms of
        // munmap on the thread that ends the run). Parked where nothing ends it, it goes with
        // the process.
        UnsafeMutablePointer<FlowTracker<EvidenceSink>>.allocate(capacity: 1).initialize(to: tracker)
        Foundation.exit(status)
    }

    /// Packets between looks at how often sessions end (`SessionPipeline.review`). Until the
    /// output thread starts, the tracking thread writes every session itself: every 65 536
    /// packets, that was up to 5 000 sessions of the handshake workload, about 12 ms of the
    /// thread that sets the pace (perf: 58 of its samples in the writer).
    static let reviewEvery = 1 << 13

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
