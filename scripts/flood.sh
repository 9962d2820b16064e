#!/usr/bin/env bash
# SYN flood under the flow cap (issue #6): generates a deterministic pcap of FLOWS distinct
# SYN-only flows with REAL OpenSSL sessions mixed in (scripts/bench/flood.py, into bench-data/),
# runs the release `helloscope analyze --max-flows N` for each cap in CAPS ("default" = no flag),
# and prints per cap: wall time, peak RSS against the memory budget of that cap, the evictions
# the summary reports, and the real sessions classified as generated (per shape, see flood.py).
#
#   scripts/flood.sh                       FLOWS=5000000 REAL=400 CAPS="10000 100000 default"
#   FLOWS=1000000 CAPS="10000 5000000" scripts/flood.sh
#   KIND=hello FLOWS=1000000 scripts/flood.sh    each flood flow sends an unanswered ClientHello
# Per cap, bench-data/flood-KIND-FLOWS-REAL-CAP.summary.txt is kept (KEEP=1: also the JSON).
#
# Budget: baseline (the same binary on one session) + the file's read buffers (ChunkedSavefile:
# 2.25 MiB each, the current one and up to 3 the consumer still reads, touched whole only by
# files over 2 MiB) + the flow table at the cap (slots: cap + cap/3 + 1, FlowEntry stride 104 B
# on x86_64; all touched once the cap is reached; it grows in place, so no second table ever
# sits beside it) and 2 MiB of slack (the table's last growth backs its pages whole);
# for KIND=hello also a pending-session slot (SessionRecord stride 1152 B) per flow, at most
# 65536 (TrackerConfiguration.maximumPendingSessions), and an inventory endpoint (at most
# 1 KiB, measured; --max-endpoints 262144 plus the eighth reserved for early TLS) per flood
# client, whatever the flow cap. Whole in-order hellos need no reassembly buffer, so the 64 MiB reassembly pool
# stays untouched.
set -euo pipefail
cd "$(dirname "$0")/.."
FLOWS=${FLOWS:-5000000}
REAL=${REAL:-400}
KIND=${KIND:-syn}
CAPS=${CAPS:-10000 100000 default}
SCRATCH=${SCRATCH:-.build-flood}
mkdir -p bench-data
scripts/build-release.sh --product helloscope --scratch-path "$SCRATCH" >&2
binary=$SCRATCH/release/helloscope
name=flood-$KIND-$FLOWS-$REAL
workload=bench-data/$name.pcap
truth=bench-data/$name.truth.jsonl
[ -f "$workload" ] && [ -f "$truth" ] || python3 scripts/bench/flood.py "$workload" --flows "$FLOWS" --real "$REAL" \
    --kind "$KIND" --truth "$truth"
cat "$workload" > /dev/null   # page cache, so every cap reads it alike

# The baseline: the same binary on the first real session alone (no flood).
python3 scripts/bench/flood.py bench-data/flood-baseline.pcap --flows 1 --real 1 2>/dev/null
baseline=$(/usr/bin/time -f %M "$binary" analyze --quiet bench-data/flood-baseline.pcap 2>&1 >/dev/null | tail -1)

echo "| --max-flows | wall s | peak RSS MiB | budget MiB | RSS - budget MiB | flows | evicted (summary) | real classified | tight | slow-server | slow-client | stalled |"
echo "|---|---|---|---|---|---|---|---|---|---|---|---|"
for cap in $CAPS; do
    flag=(); [ "$cap" = default ] || flag=(--max-flows "$cap")
    out=bench-data/$name-$cap
    read -r seconds rss < <(/usr/bin/time -f "%e %M" "$binary" analyze "${flag[@]}" --json "$out.sessions.jsonl" \
        --inventory "$out.inventory.json" "$workload" 2>&1 >"$out.summary.txt" | tail -1)
    python3 - "$cap" "$seconds" "$rss" "$baseline" "$out" "$truth" "$KIND" "$FLOWS" <<'PY'
import json, re, sys
cap, seconds, rss, baseline, out, truth, kind = sys.argv[1], float(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5], sys.argv[6], sys.argv[7]
flood_flows = int(sys.argv[8])
flows = 262_144 if cap == "default" else int(cap)
budget = baseline * 1024 + 4 * ((2 << 20) + 16 + 262_144) + (flows + flows // 3 + 1) * 104 + (2 << 20)
if kind == "hello":
    budget += min(flows, 65_536) * 1152 + min(flood_flows, 262_144 * 9 // 8) * 1024
summary = open(out + ".summary.txt").read()
evicted = re.search(r"flows_evicted\D+(\d+)", summary)
counters = json.load(open(out + ".inventory.json"))["counters"]
assert evicted and int(evicted.group(1)) == counters.get("flows_evicted"), "summary and inventory disagree"
sessions = {s["client_port"]: s for s in map(json.loads, open(out + ".sessions.jsonl")) if s.get("server_port") == 4118}
shapes = {}
for line in map(json.loads, open(truth)):
    got = sessions.get(line["client_port"], {})
    ok = got.get("status") == "negotiated" and got.get("version") == line["version"]
    done, total = shapes.get(line["shape"], (0, 0))
    shapes[line["shape"]] = (done + ok, total + 1)
classified = sum(done for done, _ in shapes.values())
total = sum(total for _, total in shapes.values())
cells = " | ".join(f"{shapes.get(s, (0, 0))[0]}/{shapes.get(s, (0, 0))[1]}" for s in ("tight", "slow-server", "slow-client", "stalled"))
print(f"| {cap} | {seconds:.1f} | {rss / 1024:.1f} | {budget / 2**20:.1f} | {(rss * 1024 - budget) / 2**20:+.2f} | "
      f"{counters.get('flows', 0)} | {evicted.group(1)} | {classified}/{total} | {cells} |")
PY
    # A hello flood's session lines run to gigabytes: keep them only when asked.
    [ -n "${KEEP:-}" ] || rm -f "$out.sessions.jsonl" "$out.inventory.json"
done
echo "baseline (one session, no flood): $((baseline / 1024)) MiB peak RSS; $FLOWS $KIND flood flows + $REAL real sessions in $workload"
