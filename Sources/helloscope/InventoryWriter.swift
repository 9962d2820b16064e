import Dispatch
import HelloCapture
import HelloOutput

/// Writes the endpoint inventory to `file` with a second thread making every other run of
/// endpoints. The inventory is written after the last packet, when nothing else runs: on the
/// handshake workload (190 000 endpoints, 109 MB) one thread took 0.2 to 0.3 s of it while
/// the other core stood idle. Runs of `runLength` endpoints (about 600 KB of JSON); each
/// thread holds at most one. If no thread can be made, this one writes every run.
func writeInventory(_ document: InventoryDocument, to file: OutputFile) {
    let emit = { (piece: inout JSONBytes) in
        piece.withBytes { file.write($0) }
        piece.removeAll()
    }
    let runs = stride(from: 0, to: document.endpointCount, by: runLength).map { $0 ..< min($0 + runLength, document.endpointCount) }
    guard runs.count > 1 else { return document.write(emit: emit) }
    let helper = OddRuns(document, runs: runs)
    let thread = WorkerThread(name: "inventory") { helper.make() }
    guard thread.start() else { return document.write(emit: emit) }
    var out = JSONBytes(capacity: InventoryDocument.piece + (1 << 12))
    document.writeHead(into: &out)
    for (number, run) in runs.enumerated() {
        if number % 2 == 1 {
            emit(&out)
            helper.take { file.write($0) }
        } else {
            document.writeEndpoints(run, into: &out, emit: emit)
        }
    }
    thread.join()
    document.writeTail(into: &out)
    emit(&out)
}

private let runLength = 1024

/// The helper's side: makes runs 1, 3, 5 … one at a time, each once the last was taken.
private final class OddRuns: @unchecked Sendable {
    private let document: InventoryDocument
    private let runs: [Range<Int>]
    /// Touched by one thread at a time: the helper between `vacant` and `filled`, the writer
    /// between `filled` and `vacant`.
    private var buffer = JSONBytes(capacity: InventoryDocument.piece + (1 << 12))
    private let filled = DispatchSemaphore(value: 0)
    private let vacant = DispatchSemaphore(value: 1)

    init(_ document: InventoryDocument, runs: [Range<Int>]) {
        self.document = document
        self.runs = runs
    }

    func make() {
        for number in stride(from: 1, to: runs.count, by: 2) {
            vacant.wait()
            buffer.removeAll()
            document.writeEndpoints(runs[number], into: &buffer)
            filled.signal()
        }
    }

    /// Waits for the next run and hands its bytes to `body`.
    func take(_ body: (UnsafeRawBufferPointer) -> Void) {
        filled.wait()
        buffer.withBytes(body)
        vacant.signal()
    }
}
