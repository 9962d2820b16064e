#if canImport(Glibc)
import Glibc
#endif

/// Below this a region gets no huge pages: two of them would be most of it.
let hugePagesFromBytes = 4 << 20

/// The flow table and the session slots are reached at random: with 4 KiB pages nearly every
/// access to a big one also misses the TLB (a two-level page walk in a virtual machine). Asks
/// for transparent huge pages over `memory`, where the system grants them on request; random
/// use touches every page of such a region soon anyway, so resident memory barely changes.
func adviseHugePages(_ memory: UnsafeMutableRawPointer, bytes: Int) {
    guard bytes >= hugePagesFromBytes else { return }
    let page = Int(sysconf(Int32(_SC_PAGESIZE)))
    let start = (Int(bitPattern: memory) + page - 1) & ~(page - 1)
    let end = (Int(bitPattern: memory) + bytes) & ~(page - 1)
    _ = madvise(UnsafeMutableRawPointer(bitPattern: start), end - start, MADV_HUGEPAGE)
}
