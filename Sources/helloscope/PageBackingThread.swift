import Foundation
import HelloCapture
import HelloFlows

/// `PagesAhead` on a thread of its own, started at the first request: the tracker asks for
/// pages it will write soon, and this thread has the kernel back them (`MADV_POPULATE_WRITE`,
/// Linux 5.14) while the tracker goes on. Should the thread not start, or the kernel refuse,
/// the pages fault in on first write as they would have.
final class PageBackingThread: PagesAhead, @unchecked Sendable {
    private let condition = NSCondition()
    // Guarded by `condition`.
    private var requests: [(address: UInt, bytes: Int)] = []
    private var state = State.idle
    /// Requests waiting at most: past it, new ones are dropped (those pages fault in as
    /// before), so a thread that falls behind costs no memory.
    private static let maximumWaiting = 64

    private enum State { case idle, running, unavailable }

    private static let pageSize = UInt(sysconf(Int32(_SC_PAGESIZE)))

    init() {
        requests.reserveCapacity(Self.maximumWaiting)
    }

    func back(address: UInt, bytes: Int) {
        condition.lock()
        defer { condition.unlock() }
        switch state {
        case .unavailable:
            return
        case .idle:
            let thread = WorkerThread(name: "page-backing") { [self] in serve() }
            guard thread.start() else { state = .unavailable; return }
            thread.detach()   // it waits for requests until the process ends
            state = .running
        case .running:
            guard requests.count < Self.maximumWaiting else { return }
        }
        requests.append((address, bytes))
        condition.signal()
    }

    private func serve() {
        var taken: [(address: UInt, bytes: Int)] = []
        taken.reserveCapacity(Self.maximumWaiting)
        while true {
            condition.lock()
            while requests.isEmpty { condition.wait() }
            swap(&taken, &requests)
            condition.unlock()
            for (address, bytes) in taken {
                // Whole pages inside the range only: the pages at its ends may hold what
                // the tracker is writing now, and fault in as they would have.
                let start = (address + Self.pageSize - 1) & ~(Self.pageSize - 1)
                let end = (address + UInt(bytes)) & ~(Self.pageSize - 1)
                guard end > start, let pointer = UnsafeMutableRawPointer(bitPattern: start) else { continue }
                _ = madvise(pointer, Int(end - start), MADV_POPULATE_WRITE)
            }
            taken.removeAll(keepingCapacity: true)
        }
    }
}
