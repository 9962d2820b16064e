import CPcap
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// One packet kept as evidence: the captured bytes (possibly cut, like a snap length),
/// the length it had on the wire and its original timestamp.
public struct EvidencePacket: Sendable {
    public var timestampNanos: Int64
    public var wireLength: Int
    public var bytes: [UInt8]

    public init(timestampNanos: Int64, wireLength: Int, bytes: [UInt8]) {
        self.timestampNanos = timestampNanos
        self.wireLength = wireLength
        self.bytes = bytes
    }
}

public enum EvidenceError: Error, CustomStringConvertible {
    case directory(path: String, reason: String)
    case write(path: String, reason: String)

    public var description: String {
        switch self {
        case let .directory(path, reason): "--evidence \(path): \(reason)"
        case let .write(path, reason): "\(path): \(reason)"
        }
    }
}

/// What the writer did, for the stats and the summary.
public struct EvidenceWriterStatistics: Sendable, Equatable {
    public var sessionsWritten = 0
    public var packetsWritten = 0
    public var bytesWritten = 0
    public var filesStarted = 0
    public var filesRemoved = 0
    /// Sessions that could not be written (full disk, I/O error): each is counted once.
    public var writeErrors = 0
    public var lastError: String?

    public init() {}
}

/// Rotating classic pcap files (nanosecond timestamps, the capture's link type) in one
/// directory, named `evidence-<UTC start>-<sequence>.pcap` so that name order is age order,
/// also across restarts. Each session's packets go into one file whole; a file is closed
/// when the next session would take it past `fileBytes`, and when more than `files`
/// evidence files exist the oldest is removed. A failed write is cut back to the last whole
/// session, so every file stays readable. Thread-safe: one lock per session written.
///
/// Does not decide what is evidence, and keeps no packets: it writes what it is handed.
public final class EvidenceWriter: @unchecked Sendable {
    public static let filePrefix = "evidence-"
    public static let fileSuffix = ".pcap"
    public let directory: String
    public let fileBytes: Int
    public let files: Int
    private let snapLength: Int32
    private let lock = Mutex(())
    /// One open file per link type (a pcap file has one); usually just one.
    private var openFiles: [Int32: OpenFile] = [:]
    /// Every evidence file in the directory, oldest first (the open ones included).
    private var kept: [String]
    private var sequence = 0
    private var headers: [Int32: [UInt8]] = [:]
    private var _statistics = EvidenceWriterStatistics()

    private struct OpenFile {
        var path: String
        var descriptor: Int32
        var size: Int
    }

    /// Checks that `directory` exists (creating it if needed) and that files can be
    /// created in it, so that a wrong path fails at start, not at the first early session.
    public init(directory: String, fileBytes: Int, files: Int, snapLength: Int32 = 262_144) throws(EvidenceError) {
        self.directory = directory
        self.fileBytes = fileBytes
        self.files = max(files, 1)
        self.snapLength = snapLength
        var status = stat()
        if stat(directory, &status) != 0 {
            guard errno == ENOENT else { throw .directory(path: directory, reason: Self.reason()) }
            try Self.makeDirectories(directory)
        } else if status.st_mode & S_IFMT != S_IFDIR {
            throw .directory(path: directory, reason: "not a directory")
        }
        // access(2) says yes to root on a read-only mount's neighbour and to files it could
        // not actually create: create one for real.
        let probe = directory + "/.helloscope-probe-\(getpid())"
        let descriptor = Glibc.open(probe, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw .directory(path: directory, reason: "cannot create files here: " + Self.reason()) }
        Glibc.close(descriptor)
        unlink(probe)
        kept = Self.existingFiles(in: directory)
    }

    deinit { close() }

    public var statistics: EvidenceWriterStatistics { lock.withLock { _ in _statistics } }

    /// Appends one session's packets to the file for `linkType`, starting a new file first
    /// if they would not fit. Throws (and counts) when they could not be written; the next
    /// session tries a fresh file.
    public func write(_ packets: [EvidencePacket], linkType: Int32) throws(EvidenceError) {
        guard !packets.isEmpty else { return }
        var record: [UInt8] = []
        record.reserveCapacity(packets.reduce(0) { $0 + 16 + $1.bytes.count })
        for packet in packets {
            // pcap record header, host byte order like the file header libpcap wrote.
            let seconds = UInt32(truncatingIfNeeded: packet.timestampNanos / 1_000_000_000)
            let nanos = UInt32(truncatingIfNeeded: packet.timestampNanos % 1_000_000_000)
            for word in [seconds, nanos, UInt32(packet.bytes.count), UInt32(truncatingIfNeeded: packet.wireLength)] {
                withUnsafeBytes(of: word) { record.append(contentsOf: $0) }
            }
            record.append(contentsOf: packet.bytes)
        }
        try lock.withLock { (_: inout ()) throws(EvidenceError) in
            do throws(EvidenceError) {
                try writeLocked(record, linkType: linkType)
                _statistics.sessionsWritten += 1
                _statistics.packetsWritten += packets.count
                _statistics.bytesWritten += record.count
            } catch {
                _statistics.writeErrors += 1
                _statistics.lastError = error.description
                throw error
            }
        }
    }

    /// Closes every open file.
    public func close() {
        lock.withLock { _ in
            for file in openFiles.values { Glibc.close(file.descriptor) }
            openFiles.removeAll()
        }
    }

    private func writeLocked(_ record: [UInt8], linkType: Int32) throws(EvidenceError) {
        if let file = openFiles[linkType], file.size + record.count > fileBytes, file.size > 24 {
            Glibc.close(file.descriptor)
            openFiles[linkType] = nil
        }
        if openFiles[linkType] == nil { try startFile(linkType: linkType) }
        guard var file = openFiles[linkType] else { return }
        if let failure = Self.writeAll(file.descriptor, record) {
            // Cut back to the last whole session so the file stays a valid capture.
            _ = ftruncate(file.descriptor, off_t(file.size))
            Glibc.close(file.descriptor)
            openFiles[linkType] = nil
            throw .write(path: file.path, reason: failure)
        }
        file.size += record.count
        openFiles[linkType] = file
    }

    private func startFile(linkType: Int32) throws(EvidenceError) {
        let header = try fileHeader(linkType: linkType)
        var now = time(nil)
        var parts = tm()
        gmtime_r(&now, &parts)
        let stamp = Self.digits(parts.tm_year + 1900, 4) + Self.digits(parts.tm_mon + 1, 2) + Self.digits(parts.tm_mday, 2) + "T"
            + Self.digits(parts.tm_hour, 2) + Self.digits(parts.tm_min, 2) + Self.digits(parts.tm_sec, 2) + "Z"
        var path = ""
        var descriptor: Int32 = -1
        for _ in 0 ..< 1000 {
            sequence += 1
            path = directory + "/" + Self.filePrefix + stamp + "-" + Self.digits(Int32(truncatingIfNeeded: sequence), 6) + Self.fileSuffix
            descriptor = Glibc.open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o640)
            if descriptor >= 0 || errno != EEXIST { break }
        }
        guard descriptor >= 0 else { throw .write(path: path, reason: "cannot create: " + Self.reason()) }
        if let failure = Self.writeAll(descriptor, header) {
            Glibc.close(descriptor)
            unlink(path)
            throw .write(path: path, reason: failure)
        }
        openFiles[linkType] = OpenFile(path: path, descriptor: descriptor, size: header.count)
        kept.append(path)
        _statistics.filesStarted += 1
        // Oldest first; an open file (another link type) is closed before it goes.
        while kept.count > files {
            let oldest = kept.removeFirst()
            if let (type, file) = openFiles.first(where: { $0.value.path == oldest }) {
                Glibc.close(file.descriptor)
                openFiles[type] = nil
            }
            if unlink(oldest) == 0 || errno == ENOENT { _statistics.filesRemoved += 1 }
        }
    }

    /// libpcap's own savefile header for `linkType` (it maps DLT to LINKTYPE values),
    /// written once into memory.
    private func fileHeader(linkType: Int32) throws(EvidenceError) -> [UInt8] {
        if let header = headers[linkType] { return header }
        var buffer: UnsafeMutablePointer<CChar>?
        var size = 0
        guard let stream = open_memstream(&buffer, &size),
              let dead = pcap_open_dead_with_tstamp_precision(linkType, snapLength, UInt32(PCAP_TSTAMP_PRECISION_NANO))
        else { throw .write(path: directory, reason: "cannot make a pcap header for link type \(linkType)") }
        defer { pcap_close(dead) }
        guard let dumper = pcap_dump_fopen(dead, stream) else {
            fclose(stream)
            free(buffer)
            throw .write(path: directory, reason: "cannot make a pcap header for link type \(linkType)")
        }
        pcap_dump_close(dumper)   // closes the stream: buffer and size are final
        defer { free(buffer) }
        guard let buffer, size == 24 else { throw .write(path: directory, reason: "unexpected pcap header size \(size)") }
        let header = UnsafeRawBufferPointer(start: buffer, count: size).map { $0 }
        headers[linkType] = header
        return header
    }

    private static func writeAll(_ descriptor: Int32, _ bytes: [UInt8]) -> String? {
        bytes.withUnsafeBytes { raw in
            var done = 0
            while done < raw.count {
                let written = Glibc.write(descriptor, raw.baseAddress! + done, raw.count - done)
                if written < 0 {
                    if errno == EINTR { continue }
                    return reason()
                }
                if written == 0 { return "wrote nothing" }
                done += written
            }
            return nil
        }
    }

    private static func existingFiles(in directory: String) -> [String] {
        guard let folder = opendir(directory) else { return [] }
        defer { closedir(folder) }
        var names: [String] = []
        while let entry = readdir(folder) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name.hasPrefix(filePrefix) && name.hasSuffix(fileSuffix) { names.append(name) }
        }
        return names.sorted().map { directory + "/" + $0 }
    }

    private static func makeDirectories(_ path: String) throws(EvidenceError) {
        var prefix = path.hasPrefix("/") ? "" : "."
        for component in path.split(separator: "/") {
            prefix += "/" + component
            if mkdir(prefix, 0o750) != 0 && errno != EEXIST {
                throw .directory(path: path, reason: "cannot create \(prefix): " + reason())
            }
        }
    }

    private static func reason() -> String { String(cString: strerror(errno)) }

    private static func digits(_ value: Int32, _ width: Int) -> String {
        let text = String(value)
        return String(repeating: "0", count: max(0, width - text.count)) + text
    }
}
