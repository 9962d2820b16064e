import CThreadName
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A POSIX thread running one closure: the reader of a pipelined file, `analyze`'s output
/// thread. Unlike Foundation's `Thread`, it says when no thread could be made, so the caller
/// can do the work where it is instead of waiting on a thread that never ran.
public final class WorkerThread: @unchecked Sendable {
    private let name: String
    private let work: @Sendable () -> Void
    private var thread = pthread_t()

    /// `name` is what `top -H`, `ps -L` and `perf` show for the thread: at most 15 bytes,
    /// all the kernel keeps.
    public init(name: String, _ work: @escaping @Sendable () -> Void) {
        precondition(name.utf8.count <= 15, "the kernel keeps 15 bytes of a thread's name")
        self.name = name
        self.work = work
    }

    /// False when no thread could be made; `work` has not run then.
    public func start() -> Bool {
        let context = Unmanaged.passRetained(self).toOpaque()
        let status = pthread_create(&thread, nil, { context in
            let worker = Unmanaged<WorkerThread>.fromOpaque(context!).takeRetainedValue()
            _ = hs_name_this_thread(worker.name)
            worker.work()
            return nil
        }, context)
        guard status == 0 else {
            Unmanaged<WorkerThread>.fromOpaque(context).release()
            return false
        }
        return true
    }

    /// Waits for `work` to return.
    public func join() {
        pthread_join(thread, nil)
    }

    /// Lets the thread go: nobody will join it (its end is awaited some other way).
    public func detach() {
        pthread_detach(thread)
    }
}
