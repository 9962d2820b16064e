import CPcap
#if canImport(Glibc)
import Glibc
#endif

/// How to open a live interface. Defaults suit a span/mirror port watched for weeks.
public struct LiveCaptureConfiguration: Sendable {
    public var interface: String
    public var snapshotLength: Int32 = 262_144
    public var promiscuous = true
    /// Kernel ring size; a larger one rides out bursts without drops.
    public var bufferBytes: Int32 = 32 << 20
    /// Without immediate mode, libpcap hands packets over when a ring block fills or this
    /// many milliseconds pass. Short, so alerts do not wait (timeout 0 may never deliver).
    public var timeoutMilliseconds: Int32 = 100
    public var immediate = false
    public var filter: String?
    /// AF_PACKET fanout group joined after activation (flow hash, defragmented), or nil.
    public var fanoutGroup: UInt16?

    public init(interface: String) {
        self.interface = interface
    }
}

public enum LiveCaptureError: Error, CustomStringConvertible {
    case cannotOpen(interface: String, reason: String)
    case badFilter(filter: String, reason: String)
    case fanout(interface: String, reason: String)

    public var description: String {
        switch self {
        case let .cannotOpen(interface, reason): "\(interface): cannot capture: \(reason)"
        case let .badFilter(filter, reason): "--filter '\(filter)': \(reason)"
        case let .fanout(interface, reason): "\(interface): cannot join the fanout group: \(reason)"
        }
    }
}

/// Kernel and interface counters for one handle (`pcap_stats`).
public struct CaptureStatistics: Sendable, Equatable {
    public var received: UInt64 = 0
    public var droppedByKernel: UInt64 = 0
    public var droppedByInterface: UInt64 = 0

    public init() {}

    public static func + (lhs: CaptureStatistics, rhs: CaptureStatistics) -> CaptureStatistics {
        var sum = lhs
        sum.received += rhs.received
        sum.droppedByKernel += rhs.droppedByKernel
        sum.droppedByInterface += rhs.droppedByInterface
        return sum
    }
}

public enum LiveRead {
    case packet(CapturedPacket)
    case timeout
    case failed(String)
}

/// One libpcap handle on a live interface. Not thread-safe: one worker thread owns it.
public final class LiveCapture {
    public let configuration: LiveCaptureConfiguration
    private let handle: OpaquePointer
    public let linkType: Int32
    private var descriptor: Int32 = -1

    // Linux <linux/if_packet.h>: not exported by libpcap's headers.
    private static let solPacket: Int32 = 263
    private static let packetFanout: Int32 = 18
    private static let fanoutHash: UInt32 = 0
    private static let fanoutFlagDefrag: UInt32 = 0x8000

    public init(_ configuration: LiveCaptureConfiguration) throws {
        self.configuration = configuration
        var errorBuffer = [CChar](repeating: 0, count: Int(PCAP_ERRBUF_SIZE))
        guard let handle = pcap_create(configuration.interface, &errorBuffer) else {
            throw LiveCaptureError.cannotOpen(interface: configuration.interface, reason: Self.text(errorBuffer))
        }
        pcap_set_snaplen(handle, configuration.snapshotLength)
        pcap_set_promisc(handle, configuration.promiscuous ? 1 : 0)
        pcap_set_buffer_size(handle, configuration.bufferBytes)
        pcap_set_timeout(handle, configuration.timeoutMilliseconds)
        if configuration.immediate { pcap_set_immediate_mode(handle, 1) }
        pcap_set_tstamp_precision(handle, Int32(PCAP_TSTAMP_PRECISION_NANO))
        let status = pcap_activate(handle)
        if status < 0 {
            let reason = String(cString: pcap_geterr(handle))
            pcap_close(handle)
            throw LiveCaptureError.cannotOpen(interface: configuration.interface,
                                              reason: reason.isEmpty ? String(cString: pcap_statustostr(status)) : reason)
        }
        self.handle = handle
        linkType = pcap_datalink(handle)
        if let group = configuration.fanoutGroup {
            var value = UInt32(group) | (Self.fanoutHash | Self.fanoutFlagDefrag) << 16
            let socket = pcap_get_selectable_fd(handle)
            if setsockopt(socket, Self.solPacket, Self.packetFanout, &value, socklen_t(MemoryLayout<UInt32>.size)) != 0 {
                let reason = String(cString: strerror(errno))
                pcap_close(handle)
                throw LiveCaptureError.fanout(interface: configuration.interface, reason: reason)
            }
        }
        // Blocking reads on TPACKET_V3 can wait forever on a quiet link (the block timer
        // starts with the first packet), so read non-blocking and wait in poll() ourselves.
        pcap_setnonblock(handle, 1, &errorBuffer)
        descriptor = pcap_get_selectable_fd(handle)
        if let filter = configuration.filter {
            var program = bpf_program()
            guard pcap_compile(handle, &program, filter, 1, PCAP_NETMASK_UNKNOWN) == 0 else {
                let reason = String(cString: pcap_geterr(handle))
                pcap_close(handle)
                throw LiveCaptureError.badFilter(filter: filter, reason: reason)
            }
            defer { pcap_freecode(&program) }
            guard pcap_setfilter(handle, &program) == 0 else {
                let reason = String(cString: pcap_geterr(handle))
                pcap_close(handle)
                throw LiveCaptureError.badFilter(filter: filter, reason: reason)
            }
        }
    }

    deinit { pcap_close(handle) }

    /// Checks a BPF expression without opening an interface, for a clear usage error.
    public static func validate(filter: String, linkType: Int32 = 1) -> String? {
        guard let dead = pcap_open_dead(linkType, 65535) else { return "cannot check the filter" }
        defer { pcap_close(dead) }
        var program = bpf_program()
        guard pcap_compile(dead, &program, filter, 1, PCAP_NETMASK_UNKNOWN) == 0 else {
            return String(cString: pcap_geterr(dead))
        }
        pcap_freecode(&program)
        return nil
    }

    public var linkTypeName: String {
        guard let name = pcap_datalink_val_to_name(linkType) else { return "DLT \(linkType)" }
        return String(cString: name)
    }

    /// The next packet, a timeout (so the caller can look at its stop flag), or a failure
    /// such as the interface going away.
    @inline(__always)
    public func next() -> LiveRead {
        let first = read()
        guard case .timeout = first else { return first }
        var waiting = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        let ready = poll(&waiting, 1, configuration.timeoutMilliseconds)
        if ready < 0 && errno != EINTR { return .failed(String(cString: strerror(errno))) }
        if waiting.revents & Int16(POLLERR | POLLHUP | POLLNVAL) != 0 {
            // The interface went away or down: pcap_next_ex says which.
            let after = read()
            if case .timeout = after { return .failed("the interface went down or disappeared") }
            return after
        }
        return ready > 0 ? read() : .timeout
    }

    @inline(__always)
    private func read() -> LiveRead {
        var header: UnsafeMutablePointer<pcap_pkthdr>?
        var data: UnsafePointer<UInt8>?
        switch pcap_next_ex(handle, &header, &data) {
        case 1:
            guard let header, let data else { return .timeout }
            let stamp = header.pointee.ts
            return .packet(CapturedPacket(
                bytes: UnsafeRawBufferPointer(start: data, count: Int(header.pointee.caplen)),
                wireLength: Int(header.pointee.len),
                timestampNanos: Int64(stamp.tv_sec) * 1_000_000_000 + Int64(stamp.tv_usec)))
        case 0:
            return .timeout
        default:
            return .failed(String(cString: pcap_geterr(handle)))
        }
    }

    public func statistics() -> CaptureStatistics {
        var raw = pcap_stat()
        var result = CaptureStatistics()
        guard pcap_stats(handle, &raw) == 0 else { return result }
        result.received = UInt64(raw.ps_recv)
        result.droppedByKernel = UInt64(raw.ps_drop)
        result.droppedByInterface = UInt64(raw.ps_ifdrop)
        return result
    }

    private static func text(_ buffer: [CChar]) -> String {
        String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
