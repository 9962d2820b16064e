#!/usr/bin/env bash
# Where the handshake workload's time goes: the same 200 000 sessions (the generator and seed of
# scripts/bench.sh's handshake workload) with fewer or more of them open at once. The packets and
# the output are alike; only how far apart a flow's packets lie changes, so the flow table, the
# pending sessions and what each packet touches grow with CONCURRENCY. For each: the packet path
# alone (helloscope-bench, no output), and `analyze --json` (median of RUNS). Then what this
# machine's memory charges for the flow table's access pattern, without HelloScope
# (scripts/bench/table-access.c).
#   RUNS=3 scripts/concurrency.sh [CONCURRENCY ...]      (default 1000 20000 60000 190000)
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-3}
levels=("$@"); [ ${#levels[@]} -gt 0 ] || levels=(1000 20000 60000 190000)
mkdir -p bench-data
scripts/build-release.sh --product helloscope >&2
scripts/build-release.sh --product helloscope-bench >&2
gcc -O2 -o bench-data/table-access scripts/bench/table-access.c
gcc -O2 -o bench-data/pcap-count scripts/bench/pcap-count.c -lpcap
# shellcheck source=lib/measure.sh
source scripts/lib/measure.sh

echo "## $(date -u '+%Y-%m-%d %H:%M') UTC, $(nproc) cores, RUNS=$RUNS"
echo "| open at once | flow slots | sessions pending at most | packet path alone | analyze --json | CPU | peak RSS |"
echo "|---|---|---|---|---|---|---|"
for level in "${levels[@]}"; do
    file=bench-data/handshakes-c$level.pcap
    [ "$level" = 190000 ] && [ bench-data/handshakes.pcap -nt scripts/bench/synth.py ] && file=bench-data/handshakes.pcap
    [ "$file" -nt scripts/bench/synth.py ] || python3 scripts/bench/synth.py "$file" --sessions 200000 --bulk-packets 3 --concurrency "$level" \
        --disorder --handshake-acks --seed 2 >&2
    cat "$file" > /dev/null
    path=$(.build/release/helloscope-bench "$file")
    alone=$(awk '/^tracker \(fingerprints off\)/ {print $4}' <<<"$path")
    slots=$(awk '/flow slots/ {print $3; exit}' <<<"$path")
    pending=$(awk '/flow slots/ {for (i = 1; i <= NF; i++) if ($i == "most") {print $(i + 1); exit}}' <<<"$path")
    walls=(); cpus=(); rss=0
    for _ in $(seq "$RUNS"); do
        rm -f bench-data/concurrency.out.jsonl; sync
        read -r wall kib cpu < <(measure .build/release/helloscope analyze --quiet --json bench-data/concurrency.out.jsonl "$file")
        walls+=("$wall"); cpus+=("$cpu"); [ "$kib" -gt "$rss" ] && rss=$kib
    done
    echo "| $level | $slots | $pending | $alone s | $(median "${walls[@]}") s | $(median "${cpus[@]}") s | $((rss / 1024)) MiB |"
done
rm -f bench-data/concurrency.out.jsonl
echo
# As many accesses as the last workload has packets (the generator's fix changed the count once).
packets=$(bench-data/pcap-count "$file" | awk '{print $1}')
echo "The flow table's access pattern on this machine (one access per packet, $packets packets):"
bench-data/table-access 4096 104 "$packets" 8
bench-data/table-access 349526 104 "$packets" 8
