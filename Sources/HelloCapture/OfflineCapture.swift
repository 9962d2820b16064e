import CPcap
#if canImport(Glibc)
import Glibc
#endif

/// A capture source failed before it could deliver packets.
public enum CaptureError: Error, CustomStringConvertible, Equatable {
    case cannotOpen(path: String, reason: String)
    case unsupportedLinkType(path: String, linkType: Int32, name: String)

    public var description: String {
        switch self {
        case let .cannotOpen(path, reason): "\(path): \(reason)"
        case let .unsupportedLinkType(path, linkType, name):
            "\(path): link type \(name) (\(linkType)) is not supported; supported: EN10MB, LINUX_SLL, LINUX_SLL2, NULL, LOOP, RAW, IPV4, IPV6"
        }
    }
}

/// One packet as libpcap handed it over: valid only until the next `next()` call.
public struct CapturedPacket {
    public var bytes: UnsafeRawBufferPointer
    public var wireLength: Int
    public var timestampNanos: Int64
}

/// A pipelined reader hands packets from its thread to the consumer's; the bytes stay
/// in their buffer until the consumer is done with them (`ChunkedSavefile`).
extension CapturedPacket: @unchecked Sendable {}

/// Why reading stopped.
public enum CaptureEnd: Equatable, Sendable {
    case endOfFile
    /// The file is damaged or truncated here; everything before was delivered.
    case damaged(reason: String, packetIndex: Int, byteOffset: Int)
}

/// Reads a pcap or pcapng file (or standard input, `-`) through libpcap, with
/// nanosecond timestamps whatever the file's precision. Reads through a large stdio
/// buffer: libpcap's own small reads cost more system calls than the decoding costs.
public final class OfflineCapture {
    public let path: String
    public let linkType: Int32
    private let handle: OpaquePointer
    private let file: UnsafeMutablePointer<FILE>
    private let readBuffer: UnsafeMutablePointer<CChar>
    public private(set) var packetsRead = 0
    public static let readBufferSize = 1 << 20

    public init(path: String) throws {
        self.path = path
        let opened: UnsafeMutablePointer<FILE>?
        if path == "-" {
            opened = fdopen(dup(STDIN_FILENO), "rb")
        } else {
            opened = fopen(path, "rb")
        }
        guard let opened else {
            throw CaptureError.cannotOpen(path: path, reason: String(cString: strerror(errno)))
        }
        readBuffer = .allocate(capacity: Self.readBufferSize)
        setvbuf(opened, readBuffer, _IOFBF, Self.readBufferSize)
        var errorBuffer = [CChar](repeating: 0, count: Int(PCAP_ERRBUF_SIZE))
        guard let handle = pcap_fopen_offline_with_tstamp_precision(opened, UInt32(PCAP_TSTAMP_PRECISION_NANO), &errorBuffer) else {
            fclose(opened)
            readBuffer.deallocate()
            let reason = String(decoding: errorBuffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            throw CaptureError.cannotOpen(path: path, reason: reason.isEmpty ? "not a pcap or pcapng file" : reason)
        }
        self.handle = handle
        self.file = opened
        linkType = pcap_datalink(handle)
        // libpcap has checked the header; a classic pcap file's records are then read
        // in large chunks, without libpcap.
        chunked = path == "-" ? nil : ChunkedSavefile(path: path)
    }

    private let chunked: ChunkedSavefile?

    deinit {
        pcap_close(handle)   // closes `file` too
        readBuffer.deallocate()
    }

    public var linkTypeName: String {
        guard let name = pcap_datalink_val_to_name(linkType) else { return "DLT \(linkType)" }
        return String(cString: name)
    }

    /// Hands every packet to `body` in order (its bytes are valid during the call only)
    /// and returns why reading stopped. The fast way through a file: a classic pcap file
    /// is read in 2 MiB chunks with no per-packet call into libpcap.
    public func forEachPacket(_ body: (CapturedPacket) -> Void) -> CaptureEnd {
        if let chunked {
            switch chunked.forEachPacket(body) {
            case .endOfFile:
                end = .endOfFile
            case let .damaged(reason, packetIndex, byteOffset):
                end = .damaged(reason: reason, packetIndex: packetsRead + packetIndex, byteOffset: byteOffset)
            }
            return end!
        }
        while let packet = next() { body(packet) }
        return end ?? .endOfFile
    }

    /// `forEachPacket` with the reading (and `prepare`, e.g. the frame decode) on a second
    /// thread for a classic pcap file; one thread otherwise. `body` sees the same packets
    /// in the same order either way.
    /// `prepare` stores what it makes of a packet, a `Prepared`, in the line it is given
    /// (`PreparedLine.store`): the ring's own line, so the value is written where the other
    /// thread reads it, not returned and copied there.
    /// `lookahead` may see a prepared value some packets before `body` does (see
    /// `PacketRing.drain`).
    /// `Prepared` is at most a cache line without references (`PreparedLine`). Inlined into
    /// the caller, where `Prepared` is known: the reading and draining below are not generic.
    /// The ring is drained here, inlined with `lookahead` and `body`.
    @inlinable
    public func forEachPacketPipelined<Prepared: Sendable & BitwiseCopyable>(
        prepare: @escaping @Sendable (CapturedPacket, UnsafeMutablePointer<PreparedLine>) -> Void,
        lookahead: (Prepared) -> Void = { _ in }, _ body: (CapturedPacket, Prepared) -> Void
    ) -> CaptureEnd {
        guard let read = startPipelinedRead(prepare: prepare) else {
            var line = PreparedLine(())
            return forEachPacket { packet in
                prepare(packet, &line)
                body(packet, line.load(as: Prepared.self))
            }
        }
        read.ring.drain(lookahead: { lookahead($0.load(as: Prepared.self)) }, { body($0, $1.load(as: Prepared.self)) })
        return finish(read)
    }

    /// A pipelined read of a classic pcap file under way; nil for any other input, or when no
    /// second thread could be made (then the caller reads on its own).
    @usableFromInline
    func startPipelinedRead(prepare: @escaping @Sendable (CapturedPacket, UnsafeMutablePointer<PreparedLine>) -> Void) -> PipelinedRead? {
        chunked?.startPipelined(prepare: prepare)
    }

    /// The end of a pipelined read, once drained.
    @usableFromInline
    func finish(_ read: PipelinedRead) -> CaptureEnd {
        switch read.finish() {
        case .endOfFile:
            end = .endOfFile
        case let .damaged(reason, packetIndex, byteOffset):
            end = .damaged(reason: reason, packetIndex: packetsRead + packetIndex, byteOffset: byteOffset)
        }
        return end!
    }

    /// The next packet, or nil at the end (then `end` says why). Reads through libpcap.
    public private(set) var end: CaptureEnd?

    @inline(__always)
    public func next() -> CapturedPacket? {
        var header: UnsafeMutablePointer<pcap_pkthdr>?
        var data: UnsafePointer<UInt8>?
        let status = pcap_next_ex(handle, &header, &data)
        guard status == 1, let header, let data else {
            if status == PCAP_ERROR_BREAK || status == -2 {
                end = .endOfFile
            } else {
                let reason = String(cString: pcap_geterr(handle))
                end = .damaged(reason: reason, packetIndex: packetsRead + 1, byteOffset: Int(ftell(file)))
            }
            return nil
        }
        packetsRead += 1
        let stamp = header.pointee.ts
        return CapturedPacket(
            bytes: UnsafeRawBufferPointer(start: data, count: Int(header.pointee.caplen)),
            wireLength: Int(header.pointee.len),
            timestampNanos: Int64(stamp.tv_sec) * 1_000_000_000 + Int64(stamp.tv_usec))
    }
}
