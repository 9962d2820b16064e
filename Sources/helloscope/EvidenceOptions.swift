import ArgumentParser
import Foundation
import HelloCapture
import Synchronization

/// `--evidence DIR` and its bounds, shared by `analyze` and `capture`.
struct EvidenceOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Write the handshake packets of every early-TLS session to rotating pcap files in DIR.", valueName: "DIR"))
    var evidence: String?

    @Option(name: .long, help: ArgumentHelp("Largest evidence file: MiB, or a size with K, M or G (at least 64K).", valueName: "SIZE"))
    var evidenceFileSize: String = "64"

    @Option(name: .long, help: "Most evidence files kept in DIR; the oldest is removed when a new one starts.")
    var evidenceFiles: Int = 16

    @Option(name: .long, help: "Most memory (MiB, all workers together) for packets held until their session is judged.")
    var evidenceMemory: Int = 64

    func validate() throws {
        guard let size = Self.bytes(evidenceFileSize), size >= 64 << 10 else {
            throw ValidationError("--evidence-file-size: '\(evidenceFileSize)' is not a size of at least 64K (MiB, or with K, M or G)")
        }
        guard evidenceFiles >= 1 && evidenceFiles <= 100_000 else { throw ValidationError("--evidence-files must be between 1 and 100000") }
        guard evidenceMemory >= 1 else { throw ValidationError("--evidence-memory must be at least 1 (MiB)") }
    }

    /// A size in bytes: a plain number is MiB; K, M and G (KiB, MiB, GiB) may follow.
    static func bytes(_ text: String) -> Int? {
        var number = text.trimmingCharacters(in: .whitespaces).uppercased()
        var unit = 1 << 20
        if number.hasSuffix("IB") { number.removeLast(2) } else if number.hasSuffix("B") { number.removeLast() }
        switch number.last {
        case "K": unit = 1 << 10; number.removeLast()
        case "M": number.removeLast()
        case "G": unit = 1 << 30; number.removeLast()
        default: break
        }
        guard let value = Double(number), value.isFinite, value > 0, value * Double(unit) < Double(1 << 50) else { return nil }
        return Int(value * Double(unit))
    }

    /// The evidence output, or nil without `--evidence`. An unusable directory is a clear
    /// error now (exit 74), not a surprise at the first early session.
    func makeOutput(snapLength: Int32) -> EvidenceOutput? {
        guard let evidence else { return nil }
        do {
            let writer = try EvidenceWriter(directory: evidence, fileBytes: Self.bytes(evidenceFileSize)!,
                                            files: evidenceFiles, snapLength: snapLength)
            return EvidenceOutput(writer: writer)
        } catch {
            fail("\(error)", status: ExitStatus.outputFailed)
        }
    }

    /// Each worker's recorder limits: the memory bound is shared out.
    func recorderLimits(workers: Int, idleTimeoutSeconds: UInt32) -> EvidenceRecorder.Limits {
        var limits = EvidenceRecorder.Limits()
        limits.maximumBytes = max((evidenceMemory << 20) / max(workers, 1), 1 << 20)
        limits.maximumFlows = max(limits.maximumBytes / 2048, 1024)
        // Twice the tracker's idle timeout and a minute: its clock hand may end a flow late.
        limits.idleNanos = (2 * Int64(idleTimeoutSeconds) + 60) * 1_000_000_000
        return limits
    }
}

/// Where every worker's evidence meets: the shared writer, the recorders' counters, and
/// write errors on stderr (the first at once, then at most one line a minute).
final class EvidenceOutput: @unchecked Sendable {
    let writer: EvidenceWriter
    private let evicted = Atomic<Int>(0)
    private let missing = Atomic<Int>(0)
    private let lastReport = Mutex<(errors: Int, at: Date?)>((0, nil))

    init(writer: EvidenceWriter) { self.writer = writer }

    func write(_ packets: [EvidencePacket], linkType: Int32) {
        do {
            try writer.write(packets, linkType: linkType)
        } catch {
            let errors = writer.statistics.writeErrors
            let due = lastReport.withLock { state -> Bool in
                guard state.at.map({ Date().timeIntervalSince($0) >= 60 }) ?? true else { return false }
                state = (errors, Date())
                return true
            }
            if due { printError("helloscope: evidence: write failed (\(errors) session(s) lost so far; capture continues): \(error)") }
        }
    }

    /// An early session's flow had been pushed out of the recorder before its verdict.
    func noteEvicted() { evicted.add(1, ordering: .relaxed) }
    /// An early session whose packets were not held (evicted earlier, or begun before the capture).
    func noteMissing() { missing.add(1, ordering: .relaxed) }

    func close() { writer.close() }

    struct Snapshot {
        var writer: EvidenceWriterStatistics
        var flowsEvicted: Int
        var sessionsWithoutPackets: Int
    }

    var snapshot: Snapshot {
        Snapshot(writer: writer.statistics, flowsEvicted: evicted.load(ordering: .relaxed),
                 sessionsWithoutPackets: missing.load(ordering: .relaxed))
    }

    /// One summary line.
    var summaryLine: String {
        let now = snapshot
        var line = "Evidence (\(writer.directory)): \(now.writer.sessionsWritten) early-TLS session(s), \(now.writer.packetsWritten) packets written in \(now.writer.filesStarted) file(s) (\(now.writer.filesRemoved) rotated out), \(now.flowsEvicted) flow(s) evicted before their verdict, \(now.sessionsWithoutPackets) session(s) without packets, \(now.writer.writeErrors) write error(s)"
        if let last = now.writer.lastError { line += " (last: \(last))" }
        return line + "\n"
    }

    /// The stats record's `evidence` object.
    var statsRecord: [String: Any] {
        let now = snapshot
        return ["sessions_written": now.writer.sessionsWritten, "packets_written": now.writer.packetsWritten,
                "bytes_written": now.writer.bytesWritten, "files_started": now.writer.filesStarted,
                "files_removed": now.writer.filesRemoved, "flows_evicted": now.flowsEvicted,
                "sessions_without_packets": now.sessionsWithoutPackets, "write_errors": now.writer.writeErrors]
    }
}
