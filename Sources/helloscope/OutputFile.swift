import Foundation

/// A file or standard output written through stdio; remembers the first write error
/// (a full disk, a closed pipe) instead of losing it.
final class OutputFile {
    private let handle: UnsafeMutablePointer<FILE>
    private let ownsHandle: Bool
    private(set) var failure: String?

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
        }
    }

    func write(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { write($0) }
    }

    func write(_ bytes: UnsafeRawBufferPointer) {
        guard failure == nil, !bytes.isEmpty else { return }
        let written = fwrite(bytes.baseAddress, 1, bytes.count, handle)
        if written != bytes.count { failure = String(cString: strerror(errno)) }
    }

    func flush() {
        if fflush(handle) != 0, failure == nil { failure = String(cString: strerror(errno)) }
    }

    func close() {
        if fflush(handle) != 0, failure == nil { failure = String(cString: strerror(errno)) }
        if ownsHandle { fclose(handle) }
    }
}

struct OutputError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}
