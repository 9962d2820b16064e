/// Backs pages with memory before the tracker first writes them, on a thread other than the
/// tracker's. A page's first write costs a fault, zeroing, and on this kind of virtual machine
/// the host's backing too: about 2 µs a page. On the handshake workload the session slots and
/// the flow table take 105 MiB of fresh pages, almost all in the first 250 ms, while the
/// reader's core is half idle (no session has ended yet, so there is nothing to write): there
/// those faults were a third of the tracking thread's time (perf: 278 of its samples).
public protocol PagesAhead: Sendable {
    /// Asks for the pages of `bytes` bytes from `address` to be backed soon; returns at once.
    /// Backing pages already backed, or never backing them, changes nothing but the time a
    /// first write takes.
    func back(address: UInt, bytes: Int)
}

extension PagesAhead {
    /// `back` for the part of the `count` elements from `first` that lies within `capacity`.
    @inline(__always)
    func back<Element>(_ elements: UnsafeMutablePointer<Element>, from first: Int, count: Int, capacity: Int) {
        let end = min(first + count, capacity)
        guard end > first else { return }
        back(address: UInt(bitPattern: elements + first), bytes: (end - first) * MemoryLayout<Element>.stride)
    }
}
