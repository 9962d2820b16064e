import CFileSpace
import Foundation

/// A file or standard output written through stdio; remembers the first write error
/// (a full disk, a closed pipe) instead of losing it.
///
/// A file it opens gets its disk blocks set aside ahead of the writes, `reservationStep` at a
/// time, without changing its length (`fallocate`, keeping the size). Writing into blocks set
/// aside spares ext4 its delayed-allocation bookkeeping for every page: writing 232 MB in
/// 256 KiB pieces took 0.036 s of system time instead of 0.050 to 0.058 s here. What is set
/// aside past the end is given back when the file is closed. A file system that cannot set
/// blocks aside, or a disk too full to, is written as before, and a full disk is still
/// reported by the write that fails.
final class OutputFile {
    private let handle: UnsafeMutablePointer<FILE>
    private let ownsHandle: Bool
    private(set) var failure: String?
    /// Set aside per step: at most this much lies set aside past the end of the file, and
    /// stays so if the process is killed before it closes the file (until it is truncated or
    /// removed).
    static let reservationStep = 16 << 20
    /// Where the next write lands in the file, and how far blocks are set aside; nil once
    /// nothing is to be set aside (standard output, or the file system said no).
    private var reservation: (written: Int, reservedTo: Int)?

    init(path: String, append: Bool = false) throws {
        if path == "-" {
            handle = fdopen(dup(STDOUT_FILENO), "wb")!
            ownsHandle = true
        } else {
            guard let opened = fopen(path, append ? "ab" : "wb") else {
                throw OutputError(message: "\(path): cannot open for writing: \(String(cString: strerror(errno)))")
            }
            handle = opened
            ownsHandle = true
            var status = stat()
            if fstat(fileno(opened), &status) == 0, status.st_mode & S_IFMT == S_IFREG {
                // Appending starts at the end (blocks a killed run left set aside there are
                // written into, and given back at this run's close).
                reservation = (Int(status.st_size), Int(status.st_size))
            }
        }
    }

    func write(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { write($0) }
    }

    func write(_ bytes: UnsafeRawBufferPointer) {
        guard failure == nil, !bytes.isEmpty else { return }
        reserve(bytes.count)
        let written = fwrite(bytes.baseAddress, 1, bytes.count, handle)
        if written != bytes.count { failure = String(cString: strerror(errno)) }
    }

    /// Sets blocks aside for the next `count` bytes, a step at a time.
    private func reserve(_ count: Int) {
        guard var reservation else { return }
        reservation.written += count
        if reservation.written > reservation.reservedTo {
            let length = max(Self.reservationStep, reservation.written - reservation.reservedTo)
            guard hs_reserve_blocks(fileno(handle), Int64(reservation.reservedTo), Int64(length)) == 0 else {
                self.reservation = nil
                return
            }
            reservation.reservedTo += length
        }
        self.reservation = reservation
    }

    func flush() {
        if fflush(handle) != 0, failure == nil { failure = String(cString: strerror(errno)) }
    }

    func close() {
        if fflush(handle) != 0, failure == nil { failure = String(cString: strerror(errno)) }
        if let reservation, reservation.reservedTo > reservation.written {
            // Truncating to the length it has gives back the blocks set aside past it.
            var status = stat()
            if fstat(fileno(handle), &status) == 0 { _ = ftruncate(fileno(handle), status.st_size) }
            self.reservation = nil
        }
        if ownsHandle { fclose(handle) }
    }
}

struct OutputError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}
