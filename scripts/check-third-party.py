#!/usr/bin/env python3
"""Compare HelloScope with tshark's ground truth on a folder of third-party captures.

Usage: scripts/check-third-party.py DIR [--helloscope PATH] [-v]

DIR holds <capture> files beside <capture>.truth.jsonl (the layout of
../shared/captures/third-party). For every truth record where tshark saw a ServerHello,
the session HelloScope reports for the same (client, client_port, server, server_port)
must carry the same negotiated version code. Prints each disagreement and a total
"N of M agree"; exits 1 if any disagree, other than a known tshark misread below where both
tools still say exactly what was checked by hand. The captures are only read, never copied.
"""
import argparse, json, pathlib, subprocess, sys, tempfile

# Sessions where tshark's ground truth is wrong, checked by hand in `tshark -V`: (capture,
# stream) -> (tshark's value, the right one, why). Counted apart, never as agreeing; if either
# tool's value changes, the session is a disagreement again.
KNOWN_TSHARK_MISREADS = {
    ("arkime/arkime_synthetic.pcap", 97): (
        "0x002c", "0x0303",
        "the ServerHello's supported_versions extension is empty (length 0); tshark reads the next "
        "extension's type (44, cookie) as the selected version and flags its own decode Malformed; "
        "the version is the legacy 0x0303"),
}

def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("folder")
    parser.add_argument("--helloscope", default=str(pathlib.Path(__file__).resolve().parent.parent / ".build/release/helloscope"))
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args()
    truths = sorted(pathlib.Path(args.folder).rglob("*.truth.jsonl"))
    if not truths:
        sys.exit(f"no *.truth.jsonl under {args.folder}")
    agree = total = 0
    disagreements = []
    misreads = []
    extra_checks = {"sni": 0, "sni_ok": 0}
    for truth_path in truths:
        capture = truth_path.with_name(truth_path.name[: -len(".truth.jsonl")])
        with tempfile.NamedTemporaryFile(suffix=".jsonl") as out:
            run = subprocess.run([args.helloscope, "analyze", "--quiet", "--json", out.name, str(capture)],
                                 capture_output=True, text=True)
            if run.returncode not in (0, 1):
                disagreements.append(f"{capture}: helloscope exited {run.returncode}: {run.stderr.strip()}")
            sessions = [json.loads(line) for line in open(out.name) if line.strip()]
        by_tuple = {(s["client"], s["client_port"], s["server"], s["server_port"]): s for s in sessions}
        for record in map(json.loads, open(truth_path)):
            if not record.get("server_hello_seen"):
                continue
            total += 1
            key = (record["client"], record["client_port"], record["server"], record["server_port"])
            expected = record["server_selected_version"] or record["server_legacy_version"]
            if record.get("client_hello_format") == "sslv2" and record.get("negotiated") == "SSLv2":
                expected = "0x0002"
            session = by_tuple.get(key)
            got = session and session.get("version_code")
            if got == expected:
                agree += 1
                if record.get("sni") is not None:
                    extra_checks["sni"] += 1
                    extra_checks["sni_ok"] += session.get("sni") == record["sni"]
            elif (known := KNOWN_TSHARK_MISREADS.get((str(capture.relative_to(args.folder)), record["stream"]))) \
                    and known[:2] == (expected, got):
                misreads.append(f"{capture.relative_to(args.folder)} stream {record['stream']} {key}: "
                                f"tshark {expected}, helloscope {got}: {known[2]}")
            else:
                disagreements.append(f"{capture.relative_to(args.folder)} stream {record['stream']} {key}: "
                                     f"tshark {expected} ({record.get('negotiated')}), helloscope "
                                     f"{got if session else 'no session'}"
                                     + (f" status={session['status']}" if session else ""))
    for line in misreads:
        print("TSHARK MISREAD " + line)
    for line in disagreements:
        print("DISAGREE " + line)
    print(f"negotiated version: {agree} of {total} agree ({len(truths)} captures), "
          f"{len(misreads)} known tshark misread, {len(disagreements)} disagree; "
          f"SNI on agreeing sessions: {extra_checks['sni_ok']} of {extra_checks['sni']}")
    sys.exit(1 if disagreements else 0)

if __name__ == "__main__":
    main()
