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
///
/// A batch holds the sessions where the tracker left them, in its session pool's slots, not
/// copies: copying a 1.2 KiB record twice per session (onto the stack for the sink, then into
/// the batch) was a tenth of the tracking thread's time on a handshake-heavy capture. The
/// pipeline keeps those slots until their batch is written, and the tracker gets them back
/// (`returnSlots`) when it takes that batch up again to fill it.
final class SessionPipeline: @unchecked Sendable {
    static let batchSize = 256
    static let batchCount = 4
    static let maximumDelay: TimeInterval = 0.1
    static let packetsPerSessionForThread = 32
    /// How many sessions ahead the output thread starts loading a record (`SessionRecord.prefetch`).
    static let prefetchDistance = 4
    /// Slots a batch keeps until the tracker fills it again: every batch's, at most.
    static let slotsKeptAtMost = batchSize * batchCount

    private struct Batch {
        let records: UnsafeMutablePointer<UnsafeMutablePointer<SessionRecord>>
        let slots: UnsafeMutablePointer<Int32>
        /// Sessions in the batch; once written, slots the tracker has yet to get back.
        var count = 0
    }

    private let hub: OutputHub
    private let condition = NSCondition()
    // All guarded by `condition`.
    /// Nil after the output thread sent it out part full: the tracker takes up an empty
    /// batch, so only the tracking thread ever takes slots out of one.
    private var filling: Batch?
    private var ready: [Batch] = []
    private var empty: [Batch] = []
    private var closed = false
    private var drained = false
    // Tracking thread only.
    private var threaded = false
    private var sessionsSinceReview = 0
    /// Slots of written batches, for `returnSlots`, and how many: in memory of their own,
    /// since `returnSlots` runs for every session and each access to a class's stored array
    /// was checked for exclusivity at run time (three checks a call, about 150 instructions a
    /// session on the tracking thread).
    private let returnable: UnsafeMutablePointer<Int32>
    private let returnableCount: UnsafeMutablePointer<Int>
    /// The output thread is behind (half the batches wait for it): the tracker hashes the
    /// fingerprints of the sessions it queues itself, so that the thread is left the line.
    /// On the handshake workload the output thread was the busy one and the tracker waited
    /// for it a third of the time; with this, 115 200 of 190 026 sessions were hashed on the
    /// tracker and the run took 1.02 s instead of 1.11 s (medians of 21 alternating runs).
    /// Since the fingerprint memo, this pays only for hellos the memo does not hold (the
    /// writer looks their strings up either way): traffic of many distinct TLS stacks.
    private var hashBeforeQueueing = false
    /// The tracking thread's own memo for that. The raw strings it hands back are dropped: they
    /// would be overwritten before the line is written; the writer's memo gives them again.
    private let trackerMemo = FingerprintMemo()
    /// Where fingerprints are hashed once the output thread runs; automatic unless the
    /// environment says (`HELLOSCOPE_FINGERPRINT_HASHING=tracker` or `writer`), which the
    /// tests use to hold both ways to the same lines.
    private let hashing = Hashing(environment: ProcessInfo.processInfo.environment["HELLOSCOPE_FINGERPRINT_HASHING"])

    private enum Hashing {
        case whenBehind, tracker, writer

        init(environment value: String?) {
            switch value {
            case "tracker": self = .tracker
            case "writer": self = .writer
            default: self = .whenBehind
            }
        }
    }
    /// Fingerprints and their raw strings for the JSON line: the tracking thread's until the
    /// output thread starts, the output thread's after.
    private let writerMemo = FingerprintMemo()

    init(hub: OutputHub) {
        self.hub = hub
        empty = (0 ..< Self.batchCount).map { _ in
            Batch(records: .allocate(capacity: Self.batchSize), slots: .allocate(capacity: Self.batchSize))
        }
        ready.reserveCapacity(Self.batchCount)
        returnable = .allocate(capacity: Self.slotsKeptAtMost)
        returnableCount = .allocate(capacity: 1)
        returnableCount.initialize(to: 0)
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
        let thread = WorkerThread(name: "output") { [self] in consume() }
        guard thread.start() else { return false }
        thread.detach()   // `finish` waits for the drain, not for the thread
        return true
    }

    deinit {
        for batch in empty + ready + (filling.map { [$0] } ?? []) {
            batch.records.deallocate()
            batch.slots.deallocate()
        }
        returnable.deallocate()
        returnableCount.deallocate()
    }

    /// Tracking thread: gives `session`, in the tracker's slot `slot`, to the hub, or queues
    /// it for the output thread (under a lock that is uncontended but for the moments that
    /// thread takes a batch). Returns whether the pipeline keeps the slot.
    func append(_ session: UnsafeMutablePointer<SessionRecord>, slot: Int32) -> Bool {
        sessionsSinceReview += 1
        guard threaded else {
            // The tracker is done with the slot: hash in place.
            hub.accept(session, hashing: writerMemo)
            return false
        }
        if hashBeforeQueueing { session.pointee.fingerprints.finishHashes(memo: trackerMemo) }
        condition.lock()
        var batch = filling ?? takeEmptyLocked()
        batch.records[batch.count] = session
        batch.slots[batch.count] = slot
        batch.count += 1
        if batch.count == Self.batchSize {
            ready.append(batch)
            condition.broadcast()
            filling = nil   // the output thread must not also send it out while this one waits
        } else {
            filling = batch
        }
        condition.unlock()
        return true
    }

    /// Tracking thread, holding the lock: an empty batch (waiting for one), whose written
    /// sessions' slots go back to the tracker.
    private func takeEmptyLocked() -> Batch {
        while empty.isEmpty { condition.wait() }
        switch hashing {
        case .whenBehind: hashBeforeQueueing = ready.count >= Self.batchCount / 2
        case .tracker: hashBeforeQueueing = true
        case .writer: hashBeforeQueueing = false
        }
        var batch = empty.removeLast()
        reclaimSlots(of: &batch)
        return batch
    }

    /// Holding the lock: the written `batch`'s slots go to `returnable`, and it is empty.
    private func reclaimSlots(of batch: inout Batch) {
        precondition(returnableCount.pointee + batch.count <= Self.slotsKeptAtMost, "more slots returned than kept")
        (returnable + returnableCount.pointee).update(from: batch.slots, count: batch.count)
        returnableCount.pointee += batch.count
        batch.count = 0
    }

    /// Tracking thread: gives back the slots of written sessions; returns how many.
    func returnSlots(to pool: inout SessionPool) -> Int {
        let returned = returnableCount.pointee
        guard returned > 0 else { return 0 }
        for index in 0 ..< returned { pool.releaseBlank(returnable[index]) }   // reset by the output thread
        returnableCount.pointee = 0
        return returned
    }

    /// Tracking thread, at the end of the input: waits until the output thread has given
    /// every queued session to the hub; then `returnSlots` gives back every slot.
    func finish() {
        guard threaded else { return }
        condition.lock()
        closed = true
        condition.broadcast()
        while !drained { condition.wait() }
        for index in empty.indices { reclaimSlots(of: &empty[index]) }
        condition.unlock()
    }

    private func consume() {
        condition.lock()
        while true {
            while ready.isEmpty && !closed {
                if !condition.wait(until: Date(timeIntervalSinceNow: Self.maximumDelay)), let part = filling, part.count > 0 {
                    ready.append(part)
                    filling = nil
                }
            }
            if ready.isEmpty && closed, let part = filling, part.count > 0 {
                ready.append(part)
                filling = nil
            }
            guard !ready.isEmpty else { break }
            let batch = ready.removeFirst()
            condition.unlock()
            for index in 0 ..< min(Self.prefetchDistance, batch.count) { SessionRecord.prefetch(batch.records[index]) }
            for index in 0 ..< batch.count {
                if index + Self.prefetchDistance < batch.count { SessionRecord.prefetch(batch.records[index + Self.prefetchDistance]) }
                let session = batch.records[index]
                hub.accept(session, hashing: writerMemo, next: index + 1 < batch.count ? UnsafePointer(batch.records[index + 1]) : nil)
                SessionPool.reset(session)
            }
            condition.lock()
            empty.append(batch)
            condition.broadcast()
        }
        drained = true
        condition.broadcast()
        condition.unlock()
    }
}
