// The packet path in pieces, each with its throughput and its heap allocations per operation
// (ordo-one/benchmark's malloc interposer): decoding a frame, parsing a ClientHello and a
// ServerHello, finding a flow among 100 000, and the whole tracker over every packet in
// Captures/. scripts/bench.sh measures the whole program against a bare libpcap loop; this
// shows which piece a change moved. Inputs: the bundled captures (real TLS stacks); the flow
// keys come from a fixed seed.
import Benchmark
import Foundation
import HelloCapture
import HelloFlows
import HelloWire

struct Frame {
    var file: String
    var bytes: [UInt8]
    var decoder: FrameDecoder
    var timestampNanos: Int64
}

/// Every frame of every capture in Captures/, with the link type of its file.
struct Frames {
    var frames: [Frame] = []

    init() {
        let captures = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Captures")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: captures.path)) ?? []
        for name in names.sorted() where name.hasSuffix(".pcap") || name.hasSuffix(".pcapng") {
            // A capture that cannot be read would silently change every figure: stop instead.
            let capture: OfflineCapture
            do { capture = try OfflineCapture(path: captures.appendingPathComponent(name).path) } catch { fatalError("\(name): \(error)") }
            let decoder = FrameDecoder(linkType: LinkType(rawValue: capture.linkType))
            _ = capture.forEachPacket { packet in
                frames.append(Frame(file: name, bytes: Array(packet.bytes), decoder: decoder, timestampNanos: packet.timestampNanos))
            }
        }
        precondition(!frames.isEmpty, "no captures under \(captures.path)")
    }
}

/// The last ClientHello and ServerHello of a capture that each arrived whole in one segment, as
/// handshake messages (type, length, body).
func hellos(in file: String, of frames: [Frame]) -> (client: [UInt8], server: [UInt8]) {
    var client: [UInt8] = [], server: [UInt8] = []
    for frame in frames where frame.file == file {
        guard case .segment(let segment) = frame.decoder.decode(frame.bytes.span.bytes) else { continue }
        let payload = Array(frame.bytes[segment.payload])
        guard payload.count > 9, payload[0] == 22 else { continue }
        let length = Int(payload[6]) << 16 | Int(payload[7]) << 8 | Int(payload[8])
        guard payload.count >= 9 + length else { continue }
        let message = Array(payload[5 ..< 9 + length])
        if message[0] == 1 { client = message } else if message[0] == 2 { server = message }
    }
    precondition(!client.isEmpty && !server.isEmpty, "no whole hellos in \(file)")
    return (client, server)
}

/// Counts sessions and keeps nothing.
struct CountingSink: SessionSink {
    var sessions = 0
    mutating func accept(_ session: borrowing SessionRecord) { sessions += 1 }
}

/// Distinct flow keys from a fixed seed (SplitMix64).
func flowKeys(_ count: Int) -> [FlowKey] {
    var state: UInt64 = 0x5eed
    func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
    return (0 ..< count).map { index in
        var segment = TCPSegment()
        segment.source = IPAddress(high: 0, low: 0x0a00_0000 | UInt64(index))
        segment.destination = IPAddress(high: 0, low: 0xc0a8_0001)
        segment.sourcePort = UInt16(truncatingIfNeeded: next() % 64_512 + 1024)
        segment.destinationPort = 4118
        return FlowKey.of(segment).key
    }
}

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .throughput, .mallocCountTotal],
        scalingFactor: .kilo,
        maxDuration: .seconds(2),
        maxIterations: 1_000_000
    )
    let captured = Frames().frames

    Benchmark("FrameDecoder.decode: one frame of Captures/") { benchmark in
        var next = 0
        for _ in benchmark.scaledIterations {
            let frame = captured[next]
            blackHole(frame.decoder.decode(frame.bytes.span.bytes))
            next = next + 1 == captured.count ? 0 : next + 1
        }
    }

    // OpenSSL s_client and s_server, TLS 1.3 (Captures/README.md).
    let (clientHello, serverHello) = hellos(in: "ds-agent-4118.pcap", of: captured)
    Benchmark("ClientHello: OpenSSL's TLS 1.3 hello in ds-agent-4118.pcap (\(clientHello.count) bytes)") { benchmark in
        let message = clientHello
        for _ in benchmark.scaledIterations {
            blackHole(try? ClientHello(decoding: message.span.bytes, body: 4 ..< message.count))
        }
    }

    Benchmark("ServerHello: its answer (\(serverHello.count) bytes)") { benchmark in
        let message = serverHello
        for _ in benchmark.scaledIterations {
            blackHole(try? ServerHello(decoding: message.span.bytes, body: 4 ..< message.count))
        }
    }

    let keys = flowKeys(100_000)
    Benchmark("FlowTable.find: one of 100 000 open flows") { benchmark in
        var table = FlowTable(maximumFlows: 262_144)
        for key in keys { _ = table.insert(key, at: table.find(key).slot) }
        var next = 0
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            blackHole(table.find(keys[next]))
            next = next + 1 == keys.count ? 0 : next + 1
        }
        benchmark.stopMeasurement()
    }

    Benchmark("FlowTable: open and close a flow beside 100 000 open ones") { benchmark in
        var table = FlowTable(maximumFlows: 262_144)
        for key in keys.dropLast(1000) { _ = table.insert(key, at: table.find(key).slot) }
        let extra = Array(keys.suffix(1000))
        var next = 0
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            let key = extra[next]
            let slot = table.insert(key, at: table.find(key).slot)
            table.remove(slot)
            next = next + 1 == extra.count ? 0 : next + 1
        }
        benchmark.stopMeasurement()
    }

    Benchmark(
        "FlowTracker: every packet of Captures/ (\(captured.count) per iteration)",
        configuration: .init(scalingFactor: .one)
    ) { benchmark in
        for _ in benchmark.scaledIterations {
            var configuration = TrackerConfiguration()
            configuration.maximumFlows = 4096
            configuration.maximumPendingSessions = 1024
            configuration.maximumReassemblyMemory = 64 * configuration.reassemblyBound
            var tracker = FlowTracker(configuration: configuration, sink: CountingSink())
            var last: Int64 = 0
            benchmark.startMeasurement()
            for frame in captured {
                tracker.process(frame: frame.bytes.span.bytes, decoder: frame.decoder,
                                timestampNanos: frame.timestampNanos, wireLength: frame.bytes.count)
                last = max(last, frame.timestampNanos)
            }
            tracker.finish(now: last)
            benchmark.stopMeasurement()
            blackHole(tracker.sink.sessions)
        }
    }
}
