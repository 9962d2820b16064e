import Foundation

/// Writes classic pcap files (µs, Ethernet) for tests that need traffic no TLS stack
/// sends on purpose: floods, dribbled hellos, lies in length fields.
struct PcapWriter {
    private(set) var data = Data()
    private var time: Double = 1_764_000_000

    init(linkType: UInt32 = 1, magic: UInt32 = 0xa1b2_c3d4, snapLength: UInt32 = 65535) {
        append32(magic); append16(2); append16(4); append32(0); append32(0); append32(snapLength); append32(linkType)
    }

    mutating func append(_ frame: [UInt8], capturedLength: UInt32? = nil, at timestamp: Double? = nil) {
        time = timestamp ?? time + 0.0001
        let seconds = UInt32(time)
        append32(seconds)
        append32(UInt32((time - Double(seconds)) * 1_000_000))
        append32(capturedLength ?? UInt32(frame.count))
        append32(UInt32(frame.count))
        data.append(contentsOf: frame)
    }

    mutating func append32(_ value: UInt32) { withUnsafeBytes(of: value.littleEndian) { data.append(contentsOf: $0) } }
    mutating func append16(_ value: UInt16) { withUnsafeBytes(of: value.littleEndian) { data.append(contentsOf: $0) } }

    func write(_ name: String) throws -> URL {
        let url = Helloscope.temporaryFile(name)
        try data.write(to: url)
        return url
    }
}

/// Ethernet/IPv4/TCP frames (checksums left zero: HelloScope, like tshark, does not check them).
enum TCPFrame {
    static let syn: UInt8 = 0x02, ack: UInt8 = 0x10, push: UInt8 = 0x18, fin: UInt8 = 0x11, rst: UInt8 = 0x14

    static func build(from source: [UInt8], _ sourcePort: UInt16, to destination: [UInt8], _ destinationPort: UInt16,
                      sequence: UInt32, flags: UInt8 = push, payload: [UInt8] = []) -> [UInt8] {
        var frame: [UInt8] = [2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2, 0x08, 0x00]
        let total = 40 + payload.count
        frame += [0x45, 0, UInt8(total >> 8), UInt8(total & 0xff), 0, 0, 0x40, 0, 64, 6, 0, 0] + source + destination
        frame += [UInt8(sourcePort >> 8), UInt8(sourcePort & 0xff), UInt8(destinationPort >> 8), UInt8(destinationPort & 0xff)]
        frame += [24, 16, 8, 0].map { UInt8(truncatingIfNeeded: sequence >> UInt32($0)) }
        frame += [0, 0, 0, 1, 0x50, flags, 0xff, 0xff, 0, 0, 0, 0]
        return frame + payload
    }
}

/// The ClientHello and ServerHello payloads OpenSSL sent in one of our captures, to
/// rebuild sessions around them.
struct RealHellos {
    var clientHello: [UInt8]
    var serverHello: [UInt8]

    /// From `Captures/<name>`, session `index` (classic pcap, Ethernet, IPv4).
    static func from(_ name: String, session index: Int = 0) throws -> RealHellos {
        let bytes = [UInt8](try Data(contentsOf: Helloscope.captures.appendingPathComponent(name)))
        var at = 24
        var clients: [[UInt8]] = [], servers: [[UInt8]] = []
        while at + 16 <= bytes.count {
            let length = Int(bytes[at + 8]) | Int(bytes[at + 9]) << 8 | Int(bytes[at + 10]) << 16 | Int(bytes[at + 11]) << 24
            let frame = Array(bytes[at + 16 ..< at + 16 + length])
            at += 16 + length
            guard frame.count > 54, frame[12] == 0x08, frame[13] == 0x00 else { continue }
            let ipLength = Int(frame[14] & 0x0f) * 4
            let tcpLength = Int(frame[14 + ipLength + 12] >> 4) * 4
            let payload = Array(frame[(14 + ipLength + tcpLength)...])
            guard payload.count > 5, payload[0] == 0x16 else { continue }
            if payload[5] == 1 { clients.append(payload) } else if payload[5] == 2 { servers.append(payload) }
        }
        return RealHellos(clientHello: clients[index], serverHello: servers[index])
    }

    /// Just the ServerHello's first record (what follows in the segment is not needed).
    var serverHelloRecord: [UInt8] {
        let length = Int(serverHello[3]) << 8 | Int(serverHello[4])
        return Array(serverHello[0 ..< 5 + length])
    }
}
