// helloscope-bench: the packet path's cost per stage on a capture file, and its heap
// allocations per packet. Used by scripts/bench.sh; run it with scripts/bench/malloc-count.c
// preloaded to count allocations (without it, only throughput is reported).
//
//     helloscope-bench FILE
import Dispatch
import HelloCapture
import HelloFingerprint
import HelloFlows
import HelloWire
#if canImport(Glibc)
import Glibc
#endif

/// A sink that only counts: what the packet path costs without any output. With `hashing`
/// it also makes the fingerprint hashes the tracker left to the writer, as `analyze`'s output
/// thread does, and counts that step's allocations apart from the packet path's.
struct CountingSink: SessionSink {
    var sessions = 0
    let hashing: Bool
    var writerAllocations: UInt = 0
    let memo = FingerprintMemo()

    mutating func accept(_ session: borrowing SessionRecord) {
        sessions += 1
        guard hashing else { return }
        let before = allocations()
        var record = copy session
        record.fingerprints.finishHashes(memo: memo)
        writerAllocations += allocations() - before
    }
}

typealias AllocationCount = @convention(c) () -> UInt
let allocationCount: AllocationCount? = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "hs_allocation_count")
    .map { unsafeBitCast($0, to: AllocationCount.self) }

func allocations() -> UInt { allocationCount?() ?? 0 }

func printError(_ text: String) {
    var line = text + "\n"
    line.withUTF8 { _ = write(2, $0.baseAddress, $0.count) }
}

func open(_ path: String) -> OfflineCapture {
    do {
        return try OfflineCapture(path: path)
    } catch {
        printError("helloscope-bench: \(error)")
        exit(66)
    }
}

func seconds(_ start: DispatchTime) -> Double {
    Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
}

/// Allocations seen by packets of one kind.
struct Tally {
    var packets = 0
    var allocations: UInt = 0
    var packetsThatAllocated = 0

    mutating func add(_ delta: UInt) {
        packets += 1
        allocations += delta
        if delta > 0 { packetsThatAllocated += 1 }
    }

    var line: String {
        let perPacket = packets == 0 ? 0 : Double(allocations) / Double(packets)
        return "\(packets) packets, \(allocations) allocations (\(String(format: "%.4f", perPacket)) per packet, \(packetsThatAllocated) packets allocated)"
    }
}

guard CommandLine.arguments.count == 2 else {
    printError("usage: helloscope-bench FILE")
    exit(64)
}
let path = CommandLine.arguments[1]
print("file: \(path)")
print("sizes: session slot \(MemoryLayout<SessionRecord>.stride) B, flow slot \(MemoryLayout<FlowEntry>.stride) B, inventory entry \(MemoryLayout<Inventory.Key>.stride + MemoryLayout<Inventory.Entry>.stride) B + its collections")
print("allocation counter: \(allocationCount == nil ? "not loaded (LD_PRELOAD scripts/bench/malloc-count.so)" : "on")")

// Stage 1: reading and frame decoding only.
do {
    let capture = open(path)
    let decoder = FrameDecoder(linkType: LinkType(rawValue: capture.linkType))
    var segments = 0
    var packets = 0
    let before = allocations()
    let start = DispatchTime.now()
    _ = capture.forEachPacket { packet in
        packets += 1
        if case .segment = decoder.decode(packet.bytes.bytes) { segments += 1 }
    }
    let elapsed = seconds(start)
    print(String(format: "read+decode: %.3f s, %.2f Mpkt/s, %d TCP segments, allocations: %lu",
                 elapsed, Double(packets) / elapsed / 1e6, segments, allocations() - before))
}

// Stage 2: the whole packet path (decode, flow table, hello reassembly and parsing,
// fingerprints when on) into a sink that only counts; last as `analyze` runs it, with the
// fingerprint hashes left to the writer.
for (fingerprints, deferred) in [(false, false), (true, false), (true, true)] {
    let capture = open(path)
    let decoder = FrameDecoder(linkType: LinkType(rawValue: capture.linkType))
    var configuration = TrackerConfiguration()
    configuration.fingerprints = fingerprints
    configuration.deferFingerprintHashes = deferred
    var tracker = FlowTracker(configuration: configuration, sink: CountingSink(hashing: deferred))
    var helloPackets = Tally()
    var otherPackets = Tally()
    var last: Int64 = 0
    let start = DispatchTime.now()
    _ = capture.forEachPacket { packet in
        let hellosBefore = tracker.counters.clientHellosParsed + tracker.counters.serverHellosParsed
        let before = allocations(), writerBefore = tracker.sink.writerAllocations
        tracker.process(frame: packet.bytes.bytes, decoder: decoder, timestampNanos: packet.timestampNanos,
                        wireLength: packet.wireLength)
        let delta = allocations() - before - (tracker.sink.writerAllocations - writerBefore)
        if tracker.counters.clientHellosParsed + tracker.counters.serverHellosParsed != hellosBefore {
            helloPackets.add(delta)
        } else {
            otherPackets.add(delta)
        }
        last = packet.timestampNanos
    }
    tracker.finish(now: last)
    let elapsed = seconds(start)
    let packets = helloPackets.packets + otherPackets.packets
    let mode = !fingerprints ? "off" : deferred ? "on, hashed by the writer as analyze does" : "on"
    print(String(format: "tracker (fingerprints %@): %.3f s, %.2f Mpkt/s, %d sessions",
                 mode, elapsed, Double(packets) / elapsed / 1e6, tracker.sink.sessions))
    print("  flow slots \(tracker.flowSlots) (\((tracker.flowSlots * MemoryLayout<FlowEntry>.stride) >> 20) MiB), "
          + "sessions pending at most \(tracker.pendingSessionsPeak) (\((tracker.pendingSessionsPeak * MemoryLayout<SessionRecord>.stride) >> 20) MiB)")
    print("  packets completing a hello: \(helloPackets.line)")
    print("  all other packets:          \(otherPackets.line)")
    if deferred {
        let sessions = max(tracker.sink.sessions, 1)
        print("  the writer's hashing:       \(tracker.sink.writerAllocations) allocations "
              + "(\(String(format: "%.2f", Double(tracker.sink.writerAllocations) / Double(sessions))) per session)")
    }
}
