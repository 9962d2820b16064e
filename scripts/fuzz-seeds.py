#!/usr/bin/env python3
"""Seeds the fuzz corpora from our own captures (Captures/): frames for FuzzFrame, hello
stream bytes for FuzzHello, segment sequences for FuzzFlows. Usage: fuzz-seeds.py OUTDIR"""
import os, pathlib, struct, subprocess, sys, tempfile

out = pathlib.Path(sys.argv[1])
root = pathlib.Path(__file__).resolve().parent.parent
LINKS = {1: 0, 113: 1, 276: 2, 0: 3, 108: 4, 12: 5, 101: 5}   # pcap link type -> FuzzFrame selector

def frames(path):
    with tempfile.NamedTemporaryFile(suffix=".pcap") as classic:
        subprocess.run(["editcap", "-F", "pcap", str(path), classic.name], check=True, capture_output=True)
        data = open(classic.name, "rb").read()
    magic = struct.unpack("<I", data[:4])[0]
    endian = "<" if magic in (0xa1b2c3d4, 0xa1b23c4d) else ">"
    link = struct.unpack(endian + "I", data[20:24])[0]
    at = 24
    while at + 16 <= len(data):
        caplen = struct.unpack(endian + "I", data[at + 8:at + 12])[0]
        yield link, data[at + 16:at + 16 + caplen]
        at += 16 + caplen

def tshark(path, fields, display):
    result = subprocess.run(["tshark", "-r", str(path), "-Y", display, "-T", "fields", "-o", "tcp.relative_sequence_numbers:TRUE"]
                            + sum((["-e", f] for f in fields), []), capture_output=True, text=True)
    return [line.split("\t") for line in result.stdout.splitlines()]

for target in ("FuzzFrame", "FuzzHello", "FuzzFlows"):
    (out / target).mkdir(parents=True, exist_ok=True)
captures = sorted(p for p in (root / "Captures").iterdir() if p.suffix in (".pcap", ".pcapng"))
for capture in captures:
    for index, (link, frame) in enumerate(frames(capture)):
        if index < 40:
            (out / "FuzzFrame" / f"{capture.stem}-{index}").write_bytes(bytes([LINKS.get(link, 0)]) + frame)
    for index, (payload,) in enumerate(tshark(capture, ["tcp.payload"], "tls.handshake.type == 1 or tls.handshake.type == 2")):
        (out / "FuzzHello" / f"{capture.stem}-{index}").write_bytes(b"\x00" + bytes.fromhex(payload.replace(":", "")))
    records = b""
    rows = tshark(capture, ["tcp.srcport", "tcp.dstport", "tcp.seq", "tcp.flags", "tcp.payload"], "tcp")
    client_port = rows[0][0] if rows else ""
    for source, _, sequence, flags, payload in rows[:60]:
        data = bytes.fromhex(payload.replace(":", ""))
        direction = 0 if source == client_port else 1
        flag_pick = 1 if int(flags, 16) & 0x02 else 2 if int(flags, 16) & 0x01 else 0
        for start in range(0, max(len(data), 1), 255):
            chunk = data[start:start + 255]
            offset = (int(sequence) + start) & 0xffff
            records += bytes([direction | flag_pick << 1]) + struct.pack("!HB", offset, len(chunk)) + chunk
    (out / "FuzzFlows" / capture.stem).write_bytes(records)
for target in ("FuzzFrame", "FuzzHello", "FuzzFlows"):
    print(f"{target}: {len(list((out / target).iterdir()))} seeds")
