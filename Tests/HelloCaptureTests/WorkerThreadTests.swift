import Foundation
import Synchronization
import Testing
@testable import HelloCapture

@Suite struct WorkerThreadTests {
    /// `top -H`, `ps -L` and `perf` tell `analyze`'s threads apart by these names: the
    /// kernel's own record of the thread must carry it.
    @Test func threadRunsUnderItsName() {
        let seen = Mutex<String?>(nil)
        let thread = WorkerThread(name: "page-backing") {
            let name = try? String(contentsOfFile: "/proc/thread-self/comm", encoding: .utf8)
            seen.withLock { $0 = name }
        }
        #expect(thread.start())
        thread.join()
        #expect(seen.withLock { $0 } == "page-backing\n")
    }
}
