#!/usr/bin/env bash
# Live capture throughput: tcpreplay a synthetic capture onto a veth pair (in two network
# namespaces this script creates and always removes) at --topspeed and at fixed --pps rates,
# captured on the far end by `helloscope capture --workers 1`, `--workers 2`, and by
# `tcpdump -w /dev/null` on the same replay. Prints a markdown table: packets/s offered,
# packets seen, kernel drops, TLS sessions found against the generator's truth, and the
# highest rate each reached with no loss. Needs root, tcpreplay, tcpdump, python3.
#
#   scripts/bench-live.sh                     # bench-data/small.pcap (made if missing)
#   RATES="50000 100000 topspeed" WORKLOAD=bench-data/imix.pcap scripts/bench-live.sh
#
# HELLOSCOPE=path skips the release build. SECONDS_PER_RUN (default 3): the file is looped so
# that each run offers at least that long (the 32 MiB ring alone would hide short bursts).
# Namespaces hs-bench-a/b, interfaces hs-bench-va/vb; no addresses (raw frames only).
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" -eq 0 ] || { echo "bench-live.sh needs root (network namespaces, raw sockets)" >&2; exit 77; }
for tool in ip tcpreplay tcpdump python3; do
    command -v "$tool" >/dev/null || { echo "missing tool: $tool" >&2; exit 78; }
done
RATES=${RATES:-"25000 50000 100000 200000 300000 topspeed"}
SECONDS_PER_RUN=${SECONDS_PER_RUN:-3}
WORKLOAD=${WORKLOAD:-bench-data/small.pcap}
TRUTH=${TRUTH:-${WORKLOAD%.pcap}.truth.jsonl}
if [ -z "${HELLOSCOPE:-}" ]; then
    scripts/build-release.sh --product helloscope >&2
    HELLOSCOPE=$PWD/.build/release/helloscope
fi
mkdir -p bench-data
# The default workload is made again when the generator changed since.
if [ ! -f "$WORKLOAD" ] || { [ "$WORKLOAD" = bench-data/small.pcap ] && [ scripts/bench/synth.py -nt "$WORKLOAD" ]; }; then
    python3 scripts/bench/synth.py "$WORKLOAD" --sessions 2000 --truth "$TRUTH" >&2
fi
[ -f "$TRUTH" ] || { echo "no truth file $TRUTH beside $WORKLOAD" >&2; exit 2; }

# shellcheck source=lib/netns.sh
source scripts/lib/netns.sh
NS_A=hs-bench-a NS_B=hs-bench-b VA=hs-bench-va VB=hs-bench-vb
work=$(mktemp -d)
capture_pid=""
cleanup() {
    if [ -n "$capture_pid" ]; then kill -INT "$capture_pid" 2>/dev/null || true; wait "$capture_pid" 2>/dev/null || true; fi
    veth_pair_down "$NS_A" "$NS_B"
    rm -rf "$work"
}
trap cleanup EXIT
veth_pair_up "$NS_A" "$NS_B" "$VA" "$VB"
# Room for the workload's 1500-byte IP packets behind a VLAN tag (tcpreplay says "Message too long" otherwise).
ip -n "$NS_A" link set "$VA" mtu 9000 up
ip -n "$NS_B" link set "$VB" mtu 9000 up

file_packets=$(python3 - "$WORKLOAD" <<'PY'
import struct, sys
with open(sys.argv[1], "rb") as f:
    f.read(24); n = 0
    while (h := f.read(16)) and len(h) == 16:
        f.seek(struct.unpack("<IIII", h)[2], 1); n += 1
print(n)
PY
)

# run NAME WORKERS RATE: one capture of one replay; appends a line to $work/results.
run() {
    local name=$1 workers=$2 rate=$3 loops pps_args out=$work/run
    rm -rf "$out"; mkdir -p "$out"
    if [ "$rate" = topspeed ]; then
        loops=$(( (600000 * SECONDS_PER_RUN + file_packets - 1) / file_packets )); pps_args=(--topspeed)
    else
        loops=$(( (rate * SECONDS_PER_RUN + file_packets - 1) / file_packets )); pps_args=(--pps="$rate")
    fi
    [ "$loops" -ge 1 ] || loops=1
    if [ "$name" = tcpdump ]; then
        ip netns exec "$NS_B" tcpdump -i "$VB" -n -s 262144 -B 32768 -w /dev/null 2>"$out/stderr" &
        capture_pid=$!
        for _ in $(seq 100); do grep -q "listening on" "$out/stderr" 2>/dev/null && break; sleep 0.1; done
    else
        ip netns exec "$NS_B" "$HELLOSCOPE" capture -i "$VB" --workers "$workers" --json "$out/sessions.jsonl" \
            --stats-json "$out/stats.jsonl" --stats-interval 1 --quiet 2>"$out/stderr" &
        capture_pid=$!
        for _ in $(seq 100); do [ -s "$out/stats.jsonl" ] && break; sleep 0.1; done
    fi
    ip netns exec "$NS_A" tcpreplay -i "$VA" --preload-pcap --loop="$loops" "${pps_args[@]}" "$WORKLOAD" >"$out/replay" 2>&1
    sleep 2   # let the rings drain
    kill -INT "$capture_pid"
    for _ in $(seq 300); do kill -0 "$capture_pid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$capture_pid" 2>/dev/null; then
        echo "$name did not stop within 30 s of SIGINT" >&2; kill -KILL "$capture_pid"; exit 1
    fi
    wait "$capture_pid" || true
    capture_pid=""
    python3 - "$name" "$workers" "$rate" "$loops" "$out" "$TRUTH" >>"$work/results" <<'PY'
import json, re, sys
name, workers, rate, loops, out, truth_path = sys.argv[1:]
loops = int(loops)
replay = open(f"{out}/replay").read()
sent = int(re.search(r"Actual: (\d+) packets", replay).group(1))
pps = float(re.search(r"Rated: [\d.]+ Bps, [\d.]+ Mbps, ([\d.]+) pps", replay).group(1))
failed = int(m.group(1)) if (m := re.search(r"Failed packets:\s+(\d+)", replay)) else 0
if name == "tcpdump":
    err = open(f"{out}/stderr").read()
    seen = int(re.search(r"(\d+) packets? captured", err).group(1))
    dropped = int(re.search(r"(\d+) packets? dropped by kernel", err).group(1))
    found = "–"
else:
    records = [json.loads(line) for line in open(f"{out}/stats.jsonl")]
    final = [r for r in records if r["type"] == "final_stats"][-1]
    seen = sum(w["packets"] for w in final["workers"])
    dropped = sum(w["kernel_dropped"] + w["interface_dropped"] for w in final["workers"])
    # Every field of the truth (scripts/bench/truth.py), as bench.sh checks it; each looped
    # session counts each time.
    sys.path.insert(0, "scripts/bench")
    import truth
    agree, _, sessions = truth.count(truth_path, f"{out}/sessions.jsonl")
    found = f"{agree} / {sessions * loops}"
print(json.dumps({"name": name, "workers": int(workers), "rate": rate, "pps": pps, "sent": sent - failed,
                  "seen": seen, "dropped": dropped, "found": found}))
PY
}

: > "$work/results"
for rate in $RATES; do
    run helloscope 1 "$rate"
    run helloscope 2 "$rate"
    run tcpdump 0 "$rate"
done

echo "Live capture bench, $(date -u +%Y-%m-%d), $(nproc) cores, $WORKLOAD ($file_packets packets, looped to ≥ ${SECONDS_PER_RUN} s per run), 32 MiB kernel buffer each"
echo
python3 - "$work/results" <<'PY'
import json, sys
rows = [json.loads(line) for line in open(sys.argv[1])]
label = lambda r: "tcpdump -w /dev/null" if r["name"] == "tcpdump" else f"helloscope --workers {r['workers']}"
print("| capture | rate asked | pkt/s offered | packets offered | packets seen | kernel drops | TLS sessions found / truth |")
print("|---|---|---|---|---|---|---|")
for r in rows:
    print(f"| {label(r)} | {r['rate']} | {r['pps']:,.0f} | {r['sent']:,} | {r['seen']:,} | {r['dropped']:,} | {r['found']} |")
print()
for name in dict.fromkeys(label(r) for r in rows):
    clean = [r["pps"] for r in rows if label(r) == name and r["dropped"] == 0 and r["seen"] >= r["sent"]]
    print(f"- {name}: highest loss-free rate offered {max(clean):,.0f} pkt/s" if clean else f"- {name}: lost packets at every rate tried")
PY
