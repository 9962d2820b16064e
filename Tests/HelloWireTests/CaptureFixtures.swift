import HelloWire
import Testing
import FrameTestSupport

// What tshark 4.x says about every frame of five captures in Captures/ (made by
// scripts/make-captures.sh with OpenSSL s_server/s_client), produced once with
//   tshark -r <file> -T fields -E occurrence=f -e frame.number -e vlan.id -e ip.src -e ip.dst \
//     -e ipv6.src -e ipv6.dst -e tcp.srcport -e tcp.dstport -e tcp.seq_raw -e tcp.flags -e tcp.len
// and pasted here. The decoder's view of each frame must match it.
struct CaptureFrameFact: Sendable, CustomTestStringConvertible {
    var file: String
    var number: Int
    var vlan: UInt16
    var source: String
    var destination: String
    var sourcePort: UInt16
    var destinationPort: UInt16
    var sequence: UInt32
    var flags: UInt8
    var payloadLength: Int

    init(_ file: String, _ number: Int, vlan: UInt16, _ source: String, _ destination: String,
         _ sourcePort: UInt16, _ destinationPort: UInt16, seq: UInt32, flags: UInt8, payload: Int) {
        self.file = file
        self.number = number
        self.vlan = vlan
        self.source = source
        self.destination = destination
        self.sourcePort = sourcePort
        self.destinationPort = destinationPort
        sequence = seq
        self.flags = flags
        payloadLength = payload
    }

    var testDescription: String { "\(file)#\(number)" }
}

let tsharkFrameFacts: [CaptureFrameFact] = [
    // vlan-4122.pcap
    .init("vlan-4122.pcap", 1, vlan: 213, "10.213.9.2", "10.213.9.1", 58748, 4122, seq: 6702228, flags: 0x0002, payload: 0),
    .init("vlan-4122.pcap", 2, vlan: 213, "10.213.9.1", "10.213.9.2", 4122, 58748, seq: 4207472081, flags: 0x0012, payload: 0),
    .init("vlan-4122.pcap", 3, vlan: 213, "10.213.9.2", "10.213.9.1", 58748, 4122, seq: 6702229, flags: 0x0010, payload: 0),
    .init("vlan-4122.pcap", 4, vlan: 213, "10.213.9.2", "10.213.9.1", 58748, 4122, seq: 6702229, flags: 0x0018, payload: 188),
    .init("vlan-4122.pcap", 5, vlan: 213, "10.213.9.1", "10.213.9.2", 4122, 58748, seq: 4207472082, flags: 0x0010, payload: 0),
    .init("vlan-4122.pcap", 6, vlan: 213, "10.213.9.1", "10.213.9.2", 4122, 58748, seq: 4207472082, flags: 0x0018, payload: 1192),
    .init("vlan-4122.pcap", 7, vlan: 213, "10.213.9.2", "10.213.9.1", 58748, 4122, seq: 6702417, flags: 0x0010, payload: 0),
    .init("vlan-4122.pcap", 8, vlan: 213, "10.213.9.2", "10.213.9.1", 58748, 4122, seq: 6702417, flags: 0x0018, payload: 93),
    .init("vlan-4122.pcap", 9, vlan: 213, "10.213.9.1", "10.213.9.2", 4122, 58748, seq: 4207473274, flags: 0x0018, payload: 242),
    .init("vlan-4122.pcap", 10, vlan: 213, "10.213.9.1", "10.213.9.2", 4122, 58748, seq: 4207473516, flags: 0x0018, payload: 31),
    .init("vlan-4122.pcap", 11, vlan: 213, "10.213.9.1", "10.213.9.2", 4122, 58748, seq: 4207473547, flags: 0x0011, payload: 0),
    .init("vlan-4122.pcap", 12, vlan: 213, "10.213.9.2", "10.213.9.1", 58748, 4122, seq: 6702510, flags: 0x0018, payload: 31),
    .init("vlan-4122.pcap", 13, vlan: 213, "10.213.9.2", "10.213.9.1", 58748, 4122, seq: 6702541, flags: 0x0011, payload: 0),
    .init("vlan-4122.pcap", 14, vlan: 213, "10.213.9.1", "10.213.9.2", 4122, 58748, seq: 4207473548, flags: 0x0010, payload: 0),
    // ipv6-4118.pcap
    .init("ipv6-4118.pcap", 1, vlan: 0, "fd00:213::2", "fd00:213::1", 44618, 4118, seq: 3144578569, flags: 0x0002, payload: 0),
    .init("ipv6-4118.pcap", 2, vlan: 0, "fd00:213::1", "fd00:213::2", 4118, 44618, seq: 2640785571, flags: 0x0012, payload: 0),
    .init("ipv6-4118.pcap", 3, vlan: 0, "fd00:213::2", "fd00:213::1", 44618, 4118, seq: 3144578570, flags: 0x0010, payload: 0),
    .init("ipv6-4118.pcap", 4, vlan: 0, "fd00:213::2", "fd00:213::1", 44618, 4118, seq: 3144578570, flags: 0x0018, payload: 188),
    .init("ipv6-4118.pcap", 5, vlan: 0, "fd00:213::1", "fd00:213::2", 4118, 44618, seq: 2640785572, flags: 0x0010, payload: 0),
    .init("ipv6-4118.pcap", 6, vlan: 0, "fd00:213::1", "fd00:213::2", 4118, 44618, seq: 2640785572, flags: 0x0018, payload: 1192),
    .init("ipv6-4118.pcap", 7, vlan: 0, "fd00:213::2", "fd00:213::1", 44618, 4118, seq: 3144578758, flags: 0x0010, payload: 0),
    .init("ipv6-4118.pcap", 8, vlan: 0, "fd00:213::2", "fd00:213::1", 44618, 4118, seq: 3144578758, flags: 0x0018, payload: 93),
    .init("ipv6-4118.pcap", 9, vlan: 0, "fd00:213::1", "fd00:213::2", 4118, 44618, seq: 2640786764, flags: 0x0018, payload: 242),
    .init("ipv6-4118.pcap", 10, vlan: 0, "fd00:213::1", "fd00:213::2", 4118, 44618, seq: 2640787006, flags: 0x0018, payload: 31),
    .init("ipv6-4118.pcap", 11, vlan: 0, "fd00:213::1", "fd00:213::2", 4118, 44618, seq: 2640787037, flags: 0x0011, payload: 0),
    .init("ipv6-4118.pcap", 12, vlan: 0, "fd00:213::2", "fd00:213::1", 44618, 4118, seq: 3144578851, flags: 0x0018, payload: 31),
    .init("ipv6-4118.pcap", 13, vlan: 0, "fd00:213::2", "fd00:213::1", 44618, 4118, seq: 3144578882, flags: 0x0011, payload: 0),
    .init("ipv6-4118.pcap", 14, vlan: 0, "fd00:213::1", "fd00:213::2", 4118, 44618, seq: 2640787038, flags: 0x0010, payload: 0),
    .init("ipv6-4118.pcap", 15, vlan: 0, "fd00:213::2", "fd00:213::1", 44620, 4118, seq: 1230878155, flags: 0x0002, payload: 0),
    .init("ipv6-4118.pcap", 16, vlan: 0, "fd00:213::1", "fd00:213::2", 4118, 44620, seq: 2936999113, flags: 0x0012, payload: 0),
    .init("ipv6-4118.pcap", 17, vlan: 0, "fd00:213::2", "fd00:213::1", 44620, 4118, seq: 1230878156, flags: 0x0010, payload: 0),
    .init("ipv6-4118.pcap", 18, vlan: 0, "fd00:213::2", "fd00:213::1", 44620, 4118, seq: 1230878156, flags: 0x0018, payload: 104),
    .init("ipv6-4118.pcap", 19, vlan: 0, "fd00:213::1", "fd00:213::2", 4118, 44620, seq: 2936999114, flags: 0x0010, payload: 0),
    .init("ipv6-4118.pcap", 20, vlan: 0, "fd00:213::1", "fd00:213::2", 4118, 44620, seq: 2936999114, flags: 0x0018, payload: 1194),
    .init("ipv6-4118.pcap", 21, vlan: 0, "fd00:213::2", "fd00:213::1", 44620, 4118, seq: 1230878260, flags: 0x0010, payload: 0),
    .init("ipv6-4118.pcap", 22, vlan: 0, "fd00:213::2", "fd00:213::1", 44620, 4118, seq: 1230878260, flags: 0x0018, payload: 105),
    .init("ipv6-4118.pcap", 23, vlan: 0, "fd00:213::1", "fd00:213::2", 4118, 44620, seq: 2937000308, flags: 0x0018, payload: 254),
    .init("ipv6-4118.pcap", 24, vlan: 0, "fd00:213::1", "fd00:213::2", 4118, 44620, seq: 2937000562, flags: 0x0018, payload: 41),
    .init("ipv6-4118.pcap", 25, vlan: 0, "fd00:213::1", "fd00:213::2", 4118, 44620, seq: 2937000603, flags: 0x0011, payload: 0),
    .init("ipv6-4118.pcap", 26, vlan: 0, "fd00:213::2", "fd00:213::1", 44620, 4118, seq: 1230878365, flags: 0x0018, payload: 41),
    .init("ipv6-4118.pcap", 27, vlan: 0, "fd00:213::2", "fd00:213::1", 44620, 4118, seq: 1230878406, flags: 0x0011, payload: 0),
    .init("ipv6-4118.pcap", 28, vlan: 0, "fd00:213::1", "fd00:213::2", 4118, 44620, seq: 2937000604, flags: 0x0010, payload: 0),
    // sll2-any-4119.pcap
    .init("sll2-any-4119.pcap", 1, vlan: 0, "10.213.7.2", "10.213.7.1", 58378, 4119, seq: 3305466382, flags: 0x0002, payload: 0),
    .init("sll2-any-4119.pcap", 2, vlan: 0, "10.213.7.1", "10.213.7.2", 4119, 58378, seq: 451121616, flags: 0x0012, payload: 0),
    .init("sll2-any-4119.pcap", 3, vlan: 0, "10.213.7.2", "10.213.7.1", 58378, 4119, seq: 3305466383, flags: 0x0010, payload: 0),
    .init("sll2-any-4119.pcap", 4, vlan: 0, "10.213.7.2", "10.213.7.1", 58378, 4119, seq: 3305466383, flags: 0x0018, payload: 188),
    .init("sll2-any-4119.pcap", 5, vlan: 0, "10.213.7.1", "10.213.7.2", 4119, 58378, seq: 451121617, flags: 0x0010, payload: 0),
    .init("sll2-any-4119.pcap", 6, vlan: 0, "10.213.7.1", "10.213.7.2", 4119, 58378, seq: 451121617, flags: 0x0018, payload: 1192),
    .init("sll2-any-4119.pcap", 7, vlan: 0, "10.213.7.2", "10.213.7.1", 58378, 4119, seq: 3305466571, flags: 0x0010, payload: 0),
    .init("sll2-any-4119.pcap", 8, vlan: 0, "10.213.7.2", "10.213.7.1", 58378, 4119, seq: 3305466571, flags: 0x0018, payload: 93),
    .init("sll2-any-4119.pcap", 9, vlan: 0, "10.213.7.1", "10.213.7.2", 4119, 58378, seq: 451122809, flags: 0x0018, payload: 242),
    .init("sll2-any-4119.pcap", 10, vlan: 0, "10.213.7.1", "10.213.7.2", 4119, 58378, seq: 451123051, flags: 0x0018, payload: 31),
    .init("sll2-any-4119.pcap", 11, vlan: 0, "10.213.7.1", "10.213.7.2", 4119, 58378, seq: 451123082, flags: 0x0011, payload: 0),
    .init("sll2-any-4119.pcap", 12, vlan: 0, "10.213.7.2", "10.213.7.1", 58378, 4119, seq: 3305466664, flags: 0x0018, payload: 31),
    .init("sll2-any-4119.pcap", 13, vlan: 0, "10.213.7.2", "10.213.7.1", 58378, 4119, seq: 3305466695, flags: 0x0011, payload: 0),
    .init("sll2-any-4119.pcap", 14, vlan: 0, "10.213.7.1", "10.213.7.2", 4119, 58378, seq: 451123083, flags: 0x0010, payload: 0),
    // ds-heartbeat-4120.pcap
    .init("ds-heartbeat-4120.pcap", 1, vlan: 0, "10.213.7.2", "10.213.7.1", 58610, 4120, seq: 392445461, flags: 0x0002, payload: 0),
    .init("ds-heartbeat-4120.pcap", 2, vlan: 0, "10.213.7.1", "10.213.7.2", 4120, 58610, seq: 2402967756, flags: 0x0012, payload: 0),
    .init("ds-heartbeat-4120.pcap", 3, vlan: 0, "10.213.7.2", "10.213.7.1", 58610, 4120, seq: 392445462, flags: 0x0010, payload: 0),
    .init("ds-heartbeat-4120.pcap", 4, vlan: 0, "10.213.7.2", "10.213.7.1", 58610, 4120, seq: 392445462, flags: 0x0018, payload: 147),
    .init("ds-heartbeat-4120.pcap", 5, vlan: 0, "10.213.7.1", "10.213.7.2", 4120, 58610, seq: 2402967757, flags: 0x0010, payload: 0),
    .init("ds-heartbeat-4120.pcap", 6, vlan: 0, "10.213.7.1", "10.213.7.2", 4120, 58610, seq: 2402967757, flags: 0x0018, payload: 1194),
    .init("ds-heartbeat-4120.pcap", 7, vlan: 0, "10.213.7.2", "10.213.7.1", 58610, 4120, seq: 392445609, flags: 0x0010, payload: 0),
    .init("ds-heartbeat-4120.pcap", 8, vlan: 0, "10.213.7.2", "10.213.7.1", 58610, 4120, seq: 392445609, flags: 0x0018, payload: 105),
    .init("ds-heartbeat-4120.pcap", 9, vlan: 0, "10.213.7.1", "10.213.7.2", 4120, 58610, seq: 2402968951, flags: 0x0018, payload: 254),
    .init("ds-heartbeat-4120.pcap", 10, vlan: 0, "10.213.7.1", "10.213.7.2", 4120, 58610, seq: 2402969205, flags: 0x0018, payload: 41),
    .init("ds-heartbeat-4120.pcap", 11, vlan: 0, "10.213.7.1", "10.213.7.2", 4120, 58610, seq: 2402969246, flags: 0x0011, payload: 0),
    .init("ds-heartbeat-4120.pcap", 12, vlan: 0, "10.213.7.2", "10.213.7.1", 58610, 4120, seq: 392445714, flags: 0x0018, payload: 41),
    .init("ds-heartbeat-4120.pcap", 13, vlan: 0, "10.213.7.2", "10.213.7.1", 58610, 4120, seq: 392445755, flags: 0x0011, payload: 0),
    .init("ds-heartbeat-4120.pcap", 14, vlan: 0, "10.213.7.1", "10.213.7.2", 4120, 58610, seq: 2402969247, flags: 0x0010, payload: 0),
    .init("ds-heartbeat-4120.pcap", 15, vlan: 0, "10.213.7.2", "10.213.7.1", 58614, 4120, seq: 2478700917, flags: 0x0002, payload: 0),
    .init("ds-heartbeat-4120.pcap", 16, vlan: 0, "10.213.7.1", "10.213.7.2", 4120, 58614, seq: 3664813193, flags: 0x0012, payload: 0),
    .init("ds-heartbeat-4120.pcap", 17, vlan: 0, "10.213.7.2", "10.213.7.1", 58614, 4120, seq: 2478700918, flags: 0x0010, payload: 0),
    .init("ds-heartbeat-4120.pcap", 18, vlan: 0, "10.213.7.2", "10.213.7.1", 58614, 4120, seq: 2478700918, flags: 0x0018, payload: 231),
    .init("ds-heartbeat-4120.pcap", 19, vlan: 0, "10.213.7.1", "10.213.7.2", 4120, 58614, seq: 3664813194, flags: 0x0010, payload: 0),
    .init("ds-heartbeat-4120.pcap", 20, vlan: 0, "10.213.7.1", "10.213.7.2", 4120, 58614, seq: 3664813194, flags: 0x0018, payload: 1192),
    .init("ds-heartbeat-4120.pcap", 21, vlan: 0, "10.213.7.2", "10.213.7.1", 58614, 4120, seq: 2478701149, flags: 0x0010, payload: 0),
    .init("ds-heartbeat-4120.pcap", 22, vlan: 0, "10.213.7.2", "10.213.7.1", 58614, 4120, seq: 2478701149, flags: 0x0018, payload: 93),
    .init("ds-heartbeat-4120.pcap", 23, vlan: 0, "10.213.7.1", "10.213.7.2", 4120, 58614, seq: 3664814386, flags: 0x0018, payload: 242),
    .init("ds-heartbeat-4120.pcap", 24, vlan: 0, "10.213.7.2", "10.213.7.1", 58614, 4120, seq: 2478701242, flags: 0x0018, payload: 31),
    .init("ds-heartbeat-4120.pcap", 25, vlan: 0, "10.213.7.2", "10.213.7.1", 58614, 4120, seq: 2478701273, flags: 0x0011, payload: 0),
    .init("ds-heartbeat-4120.pcap", 26, vlan: 0, "10.213.7.1", "10.213.7.2", 4120, 58614, seq: 3664814628, flags: 0x0018, payload: 31),
    .init("ds-heartbeat-4120.pcap", 27, vlan: 0, "10.213.7.1", "10.213.7.2", 4120, 58614, seq: 3664814659, flags: 0x0011, payload: 0),
    .init("ds-heartbeat-4120.pcap", 28, vlan: 0, "10.213.7.2", "10.213.7.1", 58614, 4120, seq: 2478701274, flags: 0x0010, payload: 0),
    // ds-relay-4122.pcap
    .init("ds-relay-4122.pcap", 1, vlan: 0, "10.213.7.2", "10.213.7.1", 57202, 4122, seq: 2049162562, flags: 0x0002, payload: 0),
    .init("ds-relay-4122.pcap", 2, vlan: 0, "10.213.7.1", "10.213.7.2", 4122, 57202, seq: 4182670033, flags: 0x0012, payload: 0),
    .init("ds-relay-4122.pcap", 3, vlan: 0, "10.213.7.2", "10.213.7.1", 57202, 4122, seq: 2049162563, flags: 0x0010, payload: 0),
    .init("ds-relay-4122.pcap", 4, vlan: 0, "10.213.7.2", "10.213.7.1", 57202, 4122, seq: 2049162563, flags: 0x0018, payload: 104),
    .init("ds-relay-4122.pcap", 5, vlan: 0, "10.213.7.1", "10.213.7.2", 4122, 57202, seq: 4182670034, flags: 0x0010, payload: 0),
    .init("ds-relay-4122.pcap", 6, vlan: 0, "10.213.7.1", "10.213.7.2", 4122, 57202, seq: 4182670034, flags: 0x0018, payload: 1194),
    .init("ds-relay-4122.pcap", 7, vlan: 0, "10.213.7.2", "10.213.7.1", 57202, 4122, seq: 2049162667, flags: 0x0010, payload: 0),
    .init("ds-relay-4122.pcap", 8, vlan: 0, "10.213.7.2", "10.213.7.1", 57202, 4122, seq: 2049162667, flags: 0x0018, payload: 121),
    .init("ds-relay-4122.pcap", 9, vlan: 0, "10.213.7.1", "10.213.7.2", 4122, 57202, seq: 4182671228, flags: 0x0018, payload: 270),
    .init("ds-relay-4122.pcap", 10, vlan: 0, "10.213.7.2", "10.213.7.1", 57202, 4122, seq: 2049162788, flags: 0x0018, payload: 57),
    .init("ds-relay-4122.pcap", 11, vlan: 0, "10.213.7.2", "10.213.7.1", 57202, 4122, seq: 2049162845, flags: 0x0011, payload: 0),
    .init("ds-relay-4122.pcap", 12, vlan: 0, "10.213.7.1", "10.213.7.2", 4122, 57202, seq: 4182671498, flags: 0x0018, payload: 57),
    .init("ds-relay-4122.pcap", 13, vlan: 0, "10.213.7.1", "10.213.7.2", 4122, 57202, seq: 4182671555, flags: 0x0011, payload: 0),
    .init("ds-relay-4122.pcap", 14, vlan: 0, "10.213.7.2", "10.213.7.1", 57202, 4122, seq: 2049162846, flags: 0x0010, payload: 0),
    .init("ds-relay-4122.pcap", 15, vlan: 0, "10.213.7.2", "10.213.7.1", 57206, 4122, seq: 3287252398, flags: 0x0002, payload: 0),
    .init("ds-relay-4122.pcap", 16, vlan: 0, "10.213.7.1", "10.213.7.2", 4122, 57206, seq: 933631306, flags: 0x0012, payload: 0),
    .init("ds-relay-4122.pcap", 17, vlan: 0, "10.213.7.2", "10.213.7.1", 57206, 4122, seq: 3287252399, flags: 0x0010, payload: 0),
    .init("ds-relay-4122.pcap", 18, vlan: 0, "10.213.7.2", "10.213.7.1", 57206, 4122, seq: 3287252399, flags: 0x0018, payload: 225),
    .init("ds-relay-4122.pcap", 19, vlan: 0, "10.213.7.1", "10.213.7.2", 4122, 57206, seq: 933631307, flags: 0x0010, payload: 0),
    .init("ds-relay-4122.pcap", 20, vlan: 0, "10.213.7.1", "10.213.7.2", 4122, 57206, seq: 933631307, flags: 0x0018, payload: 1349),
    .init("ds-relay-4122.pcap", 21, vlan: 0, "10.213.7.2", "10.213.7.1", 57206, 4122, seq: 3287252624, flags: 0x0010, payload: 0),
    .init("ds-relay-4122.pcap", 22, vlan: 0, "10.213.7.2", "10.213.7.1", 57206, 4122, seq: 3287252624, flags: 0x0018, payload: 80),
    .init("ds-relay-4122.pcap", 23, vlan: 0, "10.213.7.2", "10.213.7.1", 57206, 4122, seq: 3287252704, flags: 0x0018, payload: 24),
    .init("ds-relay-4122.pcap", 24, vlan: 0, "10.213.7.2", "10.213.7.1", 57206, 4122, seq: 3287252728, flags: 0x0011, payload: 0),
    .init("ds-relay-4122.pcap", 25, vlan: 0, "10.213.7.1", "10.213.7.2", 4122, 57206, seq: 933632656, flags: 0x0018, payload: 255),
    .init("ds-relay-4122.pcap", 26, vlan: 0, "10.213.7.1", "10.213.7.2", 4122, 57206, seq: 933632911, flags: 0x0018, payload: 255),
    .init("ds-relay-4122.pcap", 27, vlan: 0, "10.213.7.2", "10.213.7.1", 57206, 4122, seq: 3287252729, flags: 0x0010, payload: 0),
    .init("ds-relay-4122.pcap", 28, vlan: 0, "10.213.7.1", "10.213.7.2", 4122, 57206, seq: 933633166, flags: 0x0018, payload: 24),
    .init("ds-relay-4122.pcap", 29, vlan: 0, "10.213.7.1", "10.213.7.2", 4122, 57206, seq: 933633190, flags: 0x0011, payload: 0),
    .init("ds-relay-4122.pcap", 30, vlan: 0, "10.213.7.2", "10.213.7.1", 57206, 4122, seq: 3287252729, flags: 0x0010, payload: 0),
]
