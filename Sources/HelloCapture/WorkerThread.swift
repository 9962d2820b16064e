#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A POSIX thread running one closure: the reader of a pipelined file, `analyze`'s output
/// thread. Unlike Foundation's `Thread`, it says when no thread could be made, so the caller
/// can do the work where it is instead of waiting on a thread that never ran.
public final class WorkerThread: @unchecked Sendable {
    private let work: @Sendable () -> Void
    private var thread = pthread_t()

    public init(_ work: @escaping @Sendable () -> Void) { self.work = work }

    /// False when no thread could be made; `work` has not run then.
    public func start() -> Bool {
        let context = Unmanaged.passRetained(self).toOpaque()
        let status = pthread_create(&thread, nil, { context in
            let worker = Unmanaged<WorkerThread>.fromOpaque(context!).takeRetainedValue()
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
