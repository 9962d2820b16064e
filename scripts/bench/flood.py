#!/usr/bin/env python3
"""Deterministic SYN flood with real TLS sessions mixed in, for scripts/flood.sh.

Usage: flood.py OUT.pcap --flows N --real R [--kind syn|hello] [--truth OUT.truth.jsonl]

N distinct flood flows, one packet each (sources 10.0.0.0/9 counting up, ports spread, all to
10.213.30.1:443), 2 µs apart: a SYN, or with --kind hello a real ClientHello that is never
answered (each such flow holds a pending session, the flood's costliest kind), so the idle timeout never ends one and only the flow cap
bounds the table. R real sessions, evenly spread, replay the OpenSSL hellos of
Captures/ds-agent-4118.pcap (TLS 1.0, 1.1, 1.2, 1.3 in turn) between 10.213.31.x and
10.213.30.1:4118, in four shapes (by index % 4) that probe the eviction order:
  tight        SYN, SYN-ACK, ClientHello, ServerHello back to back
  slow-server  SYN, ClientHello, then the ServerHello 50 000 flood flows later
  slow-client  SYN, SYN-ACK, then 50 000 flood flows later the ClientHello and ServerHello
               (the flow holds no hello meanwhile, so it is as evictable as a flood flow)
  stalled      SYN, ClientHello, then the ServerHello 500 000 flood flows later
The truth file holds one line per real session: ports, shape and the negotiated version.
"""
import argparse, json, struct, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
VERSIONS = ["TLSv1.0", "TLSv1.1", "TLSv1.2", "TLSv1.3"]   # sessions 0..3 of the capture
SHAPES = [("tight", 0), ("slow-server", 50_000), ("slow-client", 50_000), ("stalled", 500_000)]


def real_hellos():
    """(ClientHello payload, first ServerHello record) per session of ds-agent-4118.pcap."""
    data = (ROOT / "Captures/ds-agent-4118.pcap").read_bytes()
    at, clients, servers = 24, [], []
    while at + 16 <= len(data):
        length = struct.unpack_from("<I", data, at + 8)[0]
        frame = data[at + 16:at + 16 + length]
        at += 16 + length
        if len(frame) <= 54 or frame[12:14] != b"\x08\x00":
            continue
        ip = (frame[14] & 15) * 4
        payload = frame[14 + ip + (frame[14 + ip + 12] >> 4) * 4:]
        if len(payload) > 5 and payload[0] == 0x16:
            if payload[5] == 1:
                clients.append(payload)
            elif payload[5] == 2:
                servers.append(payload[:5 + struct.unpack_from("!H", payload, 3)[0]])
    return list(zip(clients, servers))[:4]


class Writer:
    """Classic pcap, µs, Ethernet; frames built from one template (checksums zero)."""

    def __init__(self, path, flood_payload=b""):
        self.file = open(path, "wb", buffering=8 << 20)
        self.file.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        self.micros = 1_764_000_000 * 1_000_000
        self.packets = 0
        # Record header + flood frame (a SYN, or a PSH with the payload), patched per packet.
        frame = self.frame(b"\0" * 4, b"\0" * 4, 0, 0, 0, 0x18 if flood_payload else 0x02, flood_payload)
        self.syn = bytearray(16) + frame

    @staticmethod
    def frame(src, dst, sport, dport, seq, flags, payload):
        tcp = struct.pack("!HHIIBBHHH", sport, dport, seq & 0xFFFFFFFF, 0, 5 << 4, flags, 65535, 0, 0) + payload
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 0, 0x4000, 64, 6, 0, src, dst)
        return b"\x02\x00\x00\x00\x00\x01\x02\x00\x00\x00\x00\x02\x08\x00" + ip + tcp

    def packet(self, frame):
        self.micros += 2
        self.file.write(struct.pack("<IIII", self.micros // 1_000_000, self.micros % 1_000_000, len(frame), len(frame)) + frame)
        self.packets += 1

    def flood_syn(self, index):
        self.micros += 2
        record = self.syn
        size = len(record) - 16
        struct.pack_into("<IIII", record, 0, self.micros // 1_000_000, self.micros % 1_000_000, size, size)
        # Source 10.0.0.0 + index (distinct for index < 2^23), source port spread, sequence = index.
        struct.pack_into("!I", record, 16 + 26, 0x0A000000 + index)
        struct.pack_into("!4sHHI", record, 16 + 30, b"\x0a\xd5\x1e\x01", 1024 + index * 7919 % 64000, 443, index)
        self.file.write(record)
        self.packets += 1


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("out")
    parser.add_argument("--flows", type=int, default=5_000_000)
    parser.add_argument("--real", type=int, default=400)
    parser.add_argument("--kind", choices=["syn", "hello"], default="syn")
    parser.add_argument("--truth")
    args = parser.parse_args()
    assert args.flows < 1 << 23, "flood sources must stay in 10.0.0.0/9"
    hellos = real_hellos()
    writer = Writer(args.out, hellos[2][0] if args.kind == "hello" else b"")
    server = bytes([10, 213, 30, 1])
    spacing = max(args.flows // max(args.real, 1), 1)
    due = {}   # flood index -> frames to write then (the delayed halves of real sessions)
    truth = []
    for index in range(args.flows):
        writer.flood_syn(index)
        for frame in due.pop(index, []):
            writer.packet(frame)
        if index % spacing or len(truth) >= args.real:
            continue
        number = len(truth)
        shape, gap = SHAPES[number % 4]
        client_hello, server_hello = hellos[number % 4]
        client = bytes([10, 213, 31, 2 + number % 250])
        port = 20000 + number
        syn = Writer.frame(client, server, port, 4118, 99, 0x02, b"")
        syn_ack = Writer.frame(server, client, 4118, port, 4999, 0x12, b"")
        hello = Writer.frame(client, server, port, 4118, 100, 0x18, client_hello)
        answer = Writer.frame(server, client, 4118, port, 5000, 0x18, server_hello)
        if shape == "slow-client":
            now, delayed = [syn, syn_ack], [hello, answer]
        else:
            now, delayed = [syn, hello], [answer]
        if gap == 0:
            now, delayed = now + delayed, []
        for frame in now:
            writer.packet(frame)
        due.setdefault(min(index + gap, args.flows - 1), []).extend(delayed)
        truth.append({"client_port": port, "server_port": 4118, "shape": shape, "version": VERSIONS[number % 4]})
    for frames in due.values():
        for frame in frames:
            writer.packet(frame)
    writer.file.close()
    if args.truth:
        with open(args.truth, "w") as out:
            out.writelines(json.dumps(line) + "\n" for line in truth)
    print(f"{args.out}: {writer.packets} packets, {args.flows} {args.kind} flood flows, {len(truth)} real sessions", file=sys.stderr)


if __name__ == "__main__":
    main()
