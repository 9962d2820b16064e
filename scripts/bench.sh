#!/usr/bin/env bash
# Throughput and memory of `helloscope analyze` next to a bare libpcap read loop on the same
# file, in the same run, alternating, median of RUNS. Generates the IMIX workload (about 1 GB,
# deterministic) into bench-data/ if missing, and checks every session against its truth.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-5}
mkdir -p bench-data
swift build -c release --product helloscope >&2
gcc -O2 -o bench-data/pcap-count scripts/bench/pcap-count.c -lpcap
workload=bench-data/imix.pcap
[ -f "$workload" ] || python3 scripts/bench/synth.py "$workload" --sessions 27000 --truth bench-data/imix.truth.jsonl >&2
cat "$workload" > /dev/null   # page cache, for both alike

measure() {   # prints "seconds peak_kib"
    /usr/bin/time -f "%e %M" "$@" 2>&1 >/dev/null | tail -1
}
loop=(); scope=(); loop_rss=0; scope_rss=0
for _ in $(seq "$RUNS"); do
    read -r seconds rss < <(measure bench-data/pcap-count "$workload"); loop+=("$seconds"); loop_rss=$rss
    read -r seconds rss < <(measure .build/release/helloscope analyze --quiet --json bench-data/imix.out.jsonl "$workload"); scope+=("$seconds"); scope_rss=$rss
done
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
loop_median=$(median "${loop[@]}"); scope_median=$(median "${scope[@]}")
read -r packets bytes < <(bench-data/pcap-count "$workload" | awk '{print $1, $3}')
python3 - "$packets" "$bytes" "$loop_median" "$scope_median" "$loop_rss" "$scope_rss" <<'PY'
import sys
packets, size, loop, scope, loop_rss, scope_rss = int(sys.argv[1]), int(sys.argv[2]), *map(float, sys.argv[3:5]), *map(int, sys.argv[5:7])
print(f"| program | median s | Mpkt/s | Gbit/s | peak RSS MiB |")
print(f"|---|---|---|---|---|")
for name, seconds, rss in (("bare libpcap loop", loop, loop_rss), ("helloscope analyze", scope, scope_rss)):
    print(f"| {name} | {seconds:.2f} | {packets / seconds / 1e6:.2f} | {size * 8 / seconds / 1e9:.1f} | {rss / 1024:.0f} |")
print(f"throughput ratio helloscope/loop: {loop / scope:.2f} ({packets} packets, {size / 1e9:.2f} GB)")
PY
python3 - <<'PY'
import json
truth = {(t["client_port"], t["server_port"]): t["version_code"] for t in map(json.loads, open("bench-data/imix.truth.jsonl"))}
got = {(s["client_port"], s["server_port"]): s["version_code"] for s in map(json.loads, open("bench-data/imix.out.jsonl"))}
agree = sum(got.get(key) == value for key, value in truth.items())
print(f"sessions classified as generated: {agree} of {len(truth)}")
PY
