#!/usr/bin/env bash
# Throughput and memory of `helloscope analyze` next to a bare libpcap read loop on the same
# file, in the same run, alternating, median of RUNS; on two workloads generated (once per
# version of the generator, deterministically) into bench-data/:
#   imix        ~1 GB, ~25.7 k TLS sessions one after another, IMIX bulk data after each
#               handshake, 5 % non-TLS noise, VLAN, IPv6, split (post-quantum) hellos, some
#               out of order, some retransmitted;
#   handshakes  ~360 MB, 200 k sessions (190 k TLS), ~190 k open at once, a few packets each.
# Timed twice: with only the JSON lines (--quiet --json, the ratio issue #5 sets), and with
# every output (--json, --inventory and the summary), which also keeps the endpoint inventory.
# Every session is checked against the generator's truth. Then the packet path's heap
# allocations per packet, counted by scripts/bench/malloc-count.c (helloscope-bench).
# Around each pair of runs it takes how far apart the host has put the first two CPUs
# (scripts/bench/cross-core.c) and gives the ratio for the pairs in each placement too: on
# this virtual machine they differ by up to four times. After each workload's runs it times
# random accesses to a table the size of the flow table (scripts/bench/table-access.c): how
# fast memory answered that hour, which moves the handshake ratio and not the loop.
#   RUNS=5 scripts/bench.sh [imix|handshakes ...]
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-5}
workloads=("$@"); [ ${#workloads[@]} -gt 0 ] || workloads=(imix handshakes)
mkdir -p bench-data
scripts/build-release.sh --product helloscope >&2
scripts/build-release.sh --product helloscope-bench >&2
gcc -O2 -o bench-data/pcap-count scripts/bench/pcap-count.c -lpcap
gcc -O2 -shared -fPIC -o bench-data/malloc-count.so scripts/bench/malloc-count.c
gcc -O2 -pthread -o bench-data/cross-core scripts/bench/cross-core.c
gcc -O2 -o bench-data/table-access scripts/bench/table-access.c

generate() {
    case "$1" in
        imix) python3 scripts/bench/synth.py bench-data/imix.pcap --sessions 27000 --disorder \
                  --truth bench-data/imix.truth.jsonl >&2 ;;
        handshakes) python3 scripts/bench/synth.py bench-data/handshakes.pcap --sessions 200000 --bulk-packets 3 \
                  --concurrency 190000 --disorder --handshake-acks --seed 2 --truth bench-data/handshakes.truth.jsonl >&2 ;;
        *) echo "unknown workload $1 (imix, handshakes)" >&2; exit 64 ;;
    esac
}

# shellcheck source=lib/measure.sh
source scripts/lib/measure.sh

echo "## $(date -u +%Y-%m-%d), $(nproc) cores, $(uname -r), RUNS=$RUNS"
for workload in "${workloads[@]}"; do
    file=bench-data/$workload.pcap
    # Made again when the generator changed since (its truth with it).
    [ -f "$file" ] && [ "$file" -nt scripts/bench/synth.py ] || generate "$workload"
    cat "$file" > /dev/null   # page cache, for both alike
    loop=(); scope=(); loop_rss=(); scope_rss=(); loop_cpu=(); scope_cpu=(); full=(); full_rss=(); full_cpu=()
    placements=()
    for _ in $(seq "$RUNS"); do
        # Each run starts from the same state, outside the timing: no dirty pages of the last
        # run's output still being written back on these two cores, and no old output to
        # truncate (on handshakes, 232 MB: together 0.3 s of a 1.1 s run).
        sync
        before=$(bench-data/cross-core)
        read -r seconds rss cpu < <(measure bench-data/pcap-count "$file")
        loop+=("$seconds"); loop_rss+=("$rss"); loop_cpu+=("$cpu")
        rm -f "bench-data/$workload.out.jsonl"; sync
        read -r seconds rss cpu < <(measure .build/release/helloscope analyze --quiet --json "bench-data/$workload.out.jsonl" "$file")
        scope+=("$seconds"); scope_rss+=("$rss"); scope_cpu+=("$cpu")
        placements+=("$before/$(bench-data/cross-core)")
        rm -f "bench-data/$workload.full.jsonl" "bench-data/$workload.inventory.json"; sync
        read -r seconds rss cpu < <(measure .build/release/helloscope analyze --json "bench-data/$workload.full.jsonl" \
            --inventory "bench-data/$workload.inventory.json" "$file")
        full+=("$seconds"); full_rss+=("$rss"); full_cpu+=("$cpu")
    done
    cmp -s "bench-data/$workload.out.jsonl" "bench-data/$workload.full.jsonl" \
        || { echo "bench.sh: the JSON lines differ with --inventory and the summary" >&2; exit 1; }
    read -r packets bytes < <(bench-data/pcap-count "$file" | awk '{print $1, $3}')
    echo
    echo "### $workload ($file)"
    python3 - "$packets" "$bytes" "$(median "${loop[@]}")" "$(median "${scope[@]}")" \
        "$(median "${loop_rss[@]}")" "$(printf '%s\n' "${scope_rss[@]}" | sort -n | tail -1)" \
        "$(median "${loop_cpu[@]}")" "$(median "${scope_cpu[@]}")" "${loop[*]}" "${scope[*]}" \
        "$(median "${full[@]}")" "$(printf '%s\n' "${full_rss[@]}" | sort -n | tail -1)" "$(median "${full_cpu[@]}")" \
        "${placements[*]}" <<'PY'
import statistics, sys
packets, size = int(sys.argv[1]), int(sys.argv[2])
loop, scope = float(sys.argv[3]), float(sys.argv[4])
loop_rss, scope_rss = int(sys.argv[5]), int(sys.argv[6])
loop_cpu, scope_cpu = float(sys.argv[7]), float(sys.argv[8])
# Each run times the loop, then helloscope: the ratio of each such pair shows how far this
# machine's pace drifted during the run.
pairs = [float(a) / float(b) for a, b in zip(sys.argv[9].split(), sys.argv[10].split())]
full, full_rss, full_cpu = float(sys.argv[11]), int(sys.argv[12]), float(sys.argv[13])
print("| program | median s | Mpkt/s | Gbit/s | peak RSS MiB | median CPU s (user + system) |")
print("|---|---|---|---|---|---|")
for name, seconds, rss, cpu in (("bare libpcap loop", loop, loop_rss, loop_cpu), ("helloscope analyze --quiet --json", scope, scope_rss, scope_cpu),
                                ("helloscope analyze --json --inventory (and summary)", full, full_rss, full_cpu)):
    print(f"| {name} | {seconds:.2f} | {packets / seconds / 1e6:.2f} | {size * 8 / seconds / 1e9:.1f} | {rss / 1024:.0f} | {cpu:.2f} |")
print(f"\nthroughput ratio helloscope/loop: **{loop / scope:.2f}** ({packets} packets, {size / 1e9:.2f} GB; RSS: highest of the runs)")
print(f"ratio of each run's pair: {min(pairs):.2f} to {max(pairs):.2f} (median {statistics.median(pairs):.2f})")
print(f"with every output (--json, --inventory, summary): {loop / full:.2f}")
# The cores' round trip before the loop and after helloscope: both under 150 ns, the CPUs were
# near each other for the whole pair (this machine: 50 to 130 ns); both over, far (300 to 560).
trips = [tuple(int(value) for value in pair.split("/")) for pair in sys.argv[14].split()]
# cross-core.c says 0 when the process has fewer than two CPUs to run on.
groups = {"near": [], "far": [], "moved during the pair": [], "one CPU": []}
for ratio, (before, after) in zip(pairs, trips):
    near = before < 150 and after < 150
    far = before >= 150 and after >= 150
    group = "one CPU" if before == 0 or after == 0 else "near" if near else "far" if far else "moved during the pair"
    groups[group].append((ratio, before, after))
parts = []
for name, members in groups.items():
    if not members:
        if name != "one CPU":
            parts.append(f"{name} 0")
        continue
    trip_values = [value for _, before, after in members for value in (before, after)]
    parts.append(f"{name} {len(members)} (round trip {min(trip_values)} to {max(trip_values)} ns): "
                 f"ratio median {statistics.median(ratio for ratio, _, _ in members):.2f}, "
                 f"{min(ratio for ratio, _, _ in members):.2f} to {max(ratio for ratio, _, _ in members):.2f}")
print("pairs by where the host put the two CPUs (scripts/bench/cross-core.c): " + "; ".join(parts))
PY
    # How fast memory answers this hour, outside the timing: the bare loop reads in order and
    # hardly feels it; the tracker's random flow-table entries do (on 2026-12-07 a dependent
    # access took 186 to 210 ns in the minutes of a 0.44 handshake run, 137 ns half an hour on).
    echo "memory after the runs (scripts/bench/table-access.c, a 34 MiB table of 104-byte entries):" \
        "$(bench-data/table-access 349526 104 1000000 8 | sed 's/.*accesses: //')"
    python3 - "$workload" <<'PY'
import sys
sys.path.insert(0, "scripts/bench")
import truth
agree, unknown, total = truth.count(f"bench-data/{sys.argv[1]}.truth.jsonl", f"bench-data/{sys.argv[1]}.out.jsonl")
print(f"sessions classified as generated: {agree} of {total}, every field of the truth"
      + (f"; {unknown} sessions the truth does not have" if unknown else ""))
PY
    echo
    echo "allocations on the packet path (helloscope-bench, decode + flow tracking + hellos, no output):"
    LD_PRELOAD=$PWD/bench-data/malloc-count.so .build/release/helloscope-bench "$file" > "bench-data/$workload.allocations.txt"
    sed -n '2,$p' "bench-data/$workload.allocations.txt" | sed 's/^/    /'
    python3 scripts/bench/allocation-limits.py "bench-data/$workload.allocations.txt" || allocation_limits_broken=1
done
# Issue #5's allocation target is a limit, not only a number printed: over it, the run fails.
[ -z "${allocation_limits_broken:-}" ] || { echo "bench.sh: the packet path allocated past its limits (above)" >&2; exit 1; }
