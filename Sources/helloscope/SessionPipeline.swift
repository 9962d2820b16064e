import Foundation
import HelloCapture
import HelloFingerprint
import HelloFlows

/// Finished sessions go to the hub (JSON, inventory, tally, syslog), from a thread of their
/// own once they are frequent. On a handshake-heavy capture writing a session costs as much
/// as tracking its packets, and the reader's core is mostly idle: there the output thread
/// nearly halves the time. On bulk traffic both cores are busy reading and tracking, and a
/// third thread only displaced them (imix: 0.50 s against 0.40 s), so output starts on the
/// tracking thread and moves when a review finds at least one session per
/// `packetsPerSessionForThread` packets.
///
/// On the thread, sessions move in batches, so the threads wake each other once per
/// `batchSize` sessions, and in order, so the output is the same as on one thread. A batch
/// that has waited `maximumDelay` goes out part full: from a pipe, a session's alert must not
/// wait for 255 more sessions. A full pipeline makes the tracker wait: sessions are never
/// dropped, and memory stays at `batchCount` batches.
final class SessionPipeline: @unchecked Sendable {
    static let batchSize = 256
    static let batchCount = 4
    static let maximumDelay: TimeInterval = 0.1
    static let packetsPerSessionForThread = 32

    private struct Batch {
        let records: UnsafeMutablePointer<SessionRecord>
        var count = 0
    }

    private let hub: OutputHub
    private let condition = NSCondition()
    // All guarded by `condition`.
    private var filling: Batch
    private var ready: [Batch] = []
    private var empty: [Batch] = []
    private var closed = false
    private var drained = false
    // Tracking thread only.
    private var threaded = false
    private var sessionsSinceReview = 0
    /// Where fingerprint strings are written to be hashed: the tracking thread's until the
    /// output thread starts, the output thread's after.
    private let fingerprintScratch = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: FingerprintText.scratchCapacity)

    init(hub: OutputHub) {
        self.hub = hub
        let batches = (0 ..< Self.batchCount).map { _ in
            Batch(records: .allocate(capacity: Self.batchSize))
        }
        filling = batches[0]
        empty = Array(batches.dropFirst())
        ready.reserveCapacity(Self.batchCount)
    }

    /// Tracking thread: `packets` packets went by since the last review; starts the output
    /// thread if sessions came often enough among them. Once started it stays.
    func review(packets: Int) {
        defer { sessionsSinceReview = 0 }
        guard !threaded, sessionsSinceReview * Self.packetsPerSessionForThread >= packets else { return }
        // No thread to be had (out of resources): output stays on this one, nothing is lost.
        threaded = startOutputThread()
    }

    private func startOutputThread() -> Bool {
        let thread = WorkerThread { [self] in consume() }
        guard thread.start() else { return false }
        thread.detach()   // `finish` waits for the drain, not for the thread
        return true
    }

    deinit {
        for batch in empty + ready + [filling] { batch.records.deallocate() }
        fingerprintScratch.deallocate()
    }

    /// Tracking thread: hands `session` to the hub, or queues a copy for the output thread
    /// (under a lock that is uncontended but for the moments that thread takes a batch).
    func append(_ session: borrowing SessionRecord) {
        sessionsSinceReview += 1
        guard threaded else {
            // A copy only to hash into: without pending hashes the session goes as it is.
            guard session.fingerprints.hashesPending else { return hub.accept(session) }
            var record = copy session
            record.fingerprints.finishHashes(scratch: fingerprintScratch)
            hub.accept(record)
            return
        }
        condition.lock()
        (filling.records + filling.count).initialize(to: copy session)
        filling.count += 1
        if filling.count == Self.batchSize {
            ready.append(filling)
            condition.broadcast()
            while empty.isEmpty { condition.wait() }
            filling = empty.removeLast()
        }
        condition.unlock()
    }

    /// Tracking thread, at the end of the input: waits until the output thread has given
    /// every queued session to the hub.
    func finish() {
        guard threaded else { return }
        condition.lock()
        closed = true
        condition.broadcast()
        while !drained { condition.wait() }
        condition.unlock()
    }

    private func consume() {
        condition.lock()
        while true {
            while ready.isEmpty && !closed {
                if !condition.wait(until: Date(timeIntervalSinceNow: Self.maximumDelay)) && filling.count > 0 {
                    ready.append(filling)
                    filling = empty.removeLast()   // with nothing ready, the others are all empty
                }
            }
            if ready.isEmpty && closed && filling.count > 0 {
                ready.append(filling)
                filling = empty.removeLast()
            }
            guard !ready.isEmpty else { break }
            var batch = ready.removeFirst()
            condition.unlock()
            for index in 0 ..< batch.count {
                batch.records[index].fingerprints.finishHashes(scratch: fingerprintScratch)
                hub.accept(batch.records[index])
            }
            batch.count = 0
            condition.lock()
            empty.append(batch)
            condition.broadcast()
        }
        drained = true
        condition.broadcast()
        condition.unlock()
    }
}
