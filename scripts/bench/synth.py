#!/usr/bin/env python3
"""Deterministic synthetic TLS traffic for benchmarks: a classic pcap of many TLS sessions
(ClientHello/ServerHello built per RFC 8446/5246, mixed versions), IMIX bulk data after each
handshake, VLAN-tagged and IPv6 sessions, split ClientHellos and non-TLS noise.

Usage: synth.py OUT.pcap --sessions N [--bulk-packets K] [--seed S] [--truth OUT.truth.jsonl]
                [--concurrency C] [--disorder] [--handshake-acks]
The truth file holds one line per TLS session with what the generator made of it, written as
`helloscope analyze --json` must say it (same field names, same forms): endpoints, ports, IP
version, VLAN, SNI, the negotiated version and cipher, the Deep Security role, the early-TLS
verdict, how many TCP segments the ClientHello took, and the status. Non-TLS noise has no line
(and must make none). scripts/bench/truth.py compares a run with it.
"""
import argparse, ipaddress, json, random, struct

VERSIONS = [(0x0301, 0.10), (0x0302, 0.05), (0x0303, 0.45), (0x0304, 0.40)]
IMIX = [(60, 7), (576, 4), (1500, 1)]
SEGMENT = 1400   # TCP payload per segment, under a 1500-byte MTU
# What HelloScope's built-in Deep Security table calls each port's server (443 by the SNI below).
ROLES = {4118: "agent", 4119: "manager_console", 4120: "manager_heartbeat", 4122: "relay", 443: "dsaas"}

def cipher_for(version):
    """The suite the server picks at each version (all offered by `client_hello`)."""
    return 0x1301 if version == 0x0304 else 0xc02f if version == 0x0303 else 0xc014

def ext(kind, body):
    return struct.pack("!HH", kind, len(body)) + body

def client_hello(rng, version, sni, pq):
    exts = ext(0, struct.pack("!HBH", len(sni) + 3, 0, len(sni)) + sni)
    exts += ext(10, struct.pack("!H", 6) + struct.pack("!HHH", 29, 23, 24))
    exts += ext(13, struct.pack("!H", 4) + struct.pack("!HH", 0x0804, 0x0403))
    if version == 0x0304:
        exts += ext(43, bytes([4]) + struct.pack("!HH", 0x0304, 0x0303))
        share = struct.pack("!HH", 29, 32) + bytes(rng.getrandbits(8) for _ in range(32))
        if pq:  # post-quantum hybrid share (X25519MLKEM768), as Chrome and Firefox send it
            share = struct.pack("!HH", 0x11ec, 1216) + bytes(1216) + share
        exts += ext(51, struct.pack("!H", len(share)) + share)
        if pq:
            # Their other extensions (ALPN, ECH GREASE, status_request, SCT, compress_certificate
            # ...) bring such a hello to about 1.8 KB: padding (RFC 7685) stands in for them, so
            # that the hello takes two segments, as on the wire. Without it the hello was 1 373
            # bytes and never split.
            exts += ext(21, bytes(400))
    legacy = min(version, 0x0303)
    suites = struct.pack("!H", 8) + struct.pack("!HHHH", 0x1301, 0xc02f, 0xc014, 0x002f)
    body = struct.pack("!H", legacy) + bytes(rng.getrandbits(8) for _ in range(32)) + b"\x00" + suites + b"\x01\x00"
    body += struct.pack("!H", len(exts)) + exts
    message = b"\x01" + struct.pack("!I", len(body))[1:] + body
    return b"\x16\x03\x01" + struct.pack("!H", len(message)) + message

def server_hello(rng, version):
    exts = b""
    legacy = min(version, 0x0303)
    cipher = cipher_for(version)
    if version == 0x0304:
        exts = ext(43, struct.pack("!H", 0x0304)) + ext(51, struct.pack("!HH", 29, 32) + bytes(32))
    body = struct.pack("!H", legacy) + bytes(rng.getrandbits(8) for _ in range(32)) + b"\x00" + struct.pack("!HB", cipher, 0)
    body += struct.pack("!H", len(exts)) + exts
    message = b"\x02" + struct.pack("!I", len(body))[1:] + body
    return b"\x16" + struct.pack("!H", legacy if version != 0x0304 else 0x0303) + struct.pack("!H", len(message)) + message

class Writer:
    def __init__(self, path):
        self.file = open(path, "wb", buffering=1 << 20)
        self.file.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
        self.time = 1_700_000_000.0
        self.packets = 0

    def frame(self, src, dst, sport, dport, seq, ack, flags, payload, vlan=None, v6=False):
        tcp = struct.pack("!HHIIBBHHH", sport, dport, seq & 0xffffffff, ack & 0xffffffff, 5 << 4, flags, 65535, 0, 0) + payload
        if v6:
            ip = struct.pack("!IHBB", 6 << 28, len(tcp), 6, 64) + src + dst
            ethertype = 0x86dd
        else:
            ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 0, 0x4000, 64, 6, 0, src, dst)
            ethertype = 0x0800
        eth = b"\x02\x00\x00\x00\x00\x01\x02\x00\x00\x00\x00\x02"
        eth += struct.pack("!HH", 0x8100, vlan) if vlan else b""
        packet = eth + struct.pack("!H", ethertype) + ip + tcp
        self.time += 0.00001
        seconds = int(self.time)
        self.file.write(struct.pack("<IIII", seconds, int((self.time - seconds) * 1e6), len(packet), len(packet)) + packet)
        self.packets += 1

def session_packets(index, rng, args, imix, truth):
    """One session's packets in wire order, each a (src, dst, sport, dport, seq, ack, flags, payload, vlan, v6) tuple."""
    ports = [4118, 4119, 4120, 4122, 443]
    v6 = index % 10 == 3
    vlan = 100 + index % 7 if index % 10 == 5 else None
    if v6:
        client = bytes([0xfd, 0, 2, 0x13] + [0] * 8) + struct.pack("!I", index + 1)
        server = bytes([0xfd, 0, 2, 0x13] + [0] * 11 + [1])
    else:
        client = struct.pack("!I", 0x0ad50000 + index % 60000 + 2) if args.concurrency == 1 else struct.pack("!I", 0x0b000000 + index)
        server = struct.pack("!I", 0x0ad5ff01)
    sport = 20000 + index % 40000
    dport = ports[index % len(ports)]
    noise = rng.random() < args.noise
    version = rng.choices([v for v, _ in VERSIONS], [w for _, w in VERSIONS])[0]
    cseq, sseq = rng.getrandbits(32), rng.getrandbits(32)
    out = []
    w = lambda *a: out.append(a + (vlan, v6))
    w(client, server, sport, dport, cseq, 0, 0x02, b"")
    w(server, client, dport, sport, sseq, cseq + 1, 0x12, b"")
    cseq += 1; sseq += 1
    if args.handshake_acks:
        w(client, server, sport, dport, cseq, sseq, 0x10, b"")
    if noise:
        request = b"GET / HTTP/1.1\r\nHost: bench\r\n\r\n"
        w(client, server, sport, dport, cseq, sseq, 0x18, request); cseq += len(request)
    else:
        sni = b"agents.deepsecurity.trendmicro.com" if dport == 443 else b"bench.example"
        hello = client_hello(rng, version, sni, pq=(index % 20 == 7))
        segments = []
        for start in range(0, len(hello), SEGMENT):
            chunk = hello[start:start + SEGMENT]
            segments.append((client, server, sport, dport, cseq, sseq, 0x18, chunk)); cseq += len(chunk)
        hello_segments = len(segments)
        if args.disorder and len(segments) > 1 and index % 40 == 7:
            segments.reverse()                       # a split hello whose parts arrive out of order
        if args.disorder and index % 50 == 13:
            segments.insert(1, segments[0])          # a retransmitted hello segment
        if args.disorder and len(segments) > 1 and index % 40 == 27:
            segments.append(segments[-1])            # a split hello's last part sent twice
        for segment in segments:
            w(*segment)
        if args.handshake_acks:
            w(server, client, dport, sport, sseq, cseq, 0x10, b"")
        answer = server_hello(rng, version)
        w(server, client, dport, sport, sseq, cseq, 0x18, answer); sseq += len(answer)
        if truth:
            truth.write(json.dumps({
                "client": str(ipaddress.ip_address(client)), "client_port": sport,
                "server": str(ipaddress.ip_address(server)), "server_port": dport,
                "ip": 6 if v6 else 4, "vlan": [vlan] if vlan else None, "sni": sni.decode(),
                "version_code": f"0x{version:04x}", "cipher_code": f"0x{cipher_for(version):04x}",
                "role": ROLES[dport], "early_tls": version < 0x0303,
                "client_hello_segments": hello_segments, "status": "negotiated"}) + "\n")
    for _ in range(args.bulk_packets):
        size = rng.choice(imix)
        payload = b"\x17\x03\x03" + bytes(max(0, size - 57))
        w(server, client, dport, sport, sseq, cseq, 0x10, payload); sseq += len(payload)
    w(client, server, sport, dport, cseq, sseq, 0x11, b"")
    w(server, client, dport, sport, sseq, cseq + 1, 0x11, b"")
    if args.handshake_acks:
        w(client, server, sport, dport, cseq + 1, sseq + 1, 0x10, b"")
    return out

def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("out")
    parser.add_argument("--sessions", type=int, default=25_000)
    parser.add_argument("--bulk-packets", type=int, default=100)
    parser.add_argument("--noise", type=float, default=0.05)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--truth")
    parser.add_argument("--concurrency", type=int, default=1,
                        help="sessions open at once: their packets interleave (1: one after another)")
    parser.add_argument("--disorder", action="store_true",
                        help="some split hellos out of order, some hello segments retransmitted")
    parser.add_argument("--handshake-acks", action="store_true", help="pure ACKs as a real stack sends them")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    writer = Writer(args.out)
    truth = open(args.truth, "w") if args.truth else None
    imix = [size for size, weight in IMIX for _ in range(weight)]
    if args.concurrency == 1:
        for index in range(args.sessions):
            for packet in session_packets(index, rng, args, imix, truth):
                writer.frame(*packet[:8], vlan=packet[8], v6=packet[9])
    else:
        # Open `concurrency` sessions, then take the next packet of a randomly chosen open
        # session until all have ended; a new session opens when one ends.
        pending = iter(range(args.sessions))
        open_sessions = []
        def start():
            index = next(pending, None)
            if index is not None:
                open_sessions.append([session_packets(index, rng, args, imix, truth), 0])
        for _ in range(args.concurrency):
            start()
        while open_sessions:
            slot = rng.randrange(len(open_sessions))
            packets, at = open_sessions[slot]
            packet = packets[at]
            writer.frame(*packet[:8], vlan=packet[8], v6=packet[9])
            if at + 1 == len(packets):
                open_sessions[slot] = open_sessions[-1]
                open_sessions.pop()
                start()
            else:
                open_sessions[slot][1] = at + 1
    writer.file.close()
    print(f"{args.out}: {writer.packets} packets")

if __name__ == "__main__":
    main()
