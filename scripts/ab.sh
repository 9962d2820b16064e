#!/usr/bin/env bash
# Two builds of helloscope on one workload, alternating, judged pair by pair: this machine's
# pace drifts by a quarter or more within minutes, so the medians of two series run one after
# the other compare the hours as much as the builds. Each pair runs A then B back to back from
# the same state (no old output, nothing dirty left to write back); the summary gives each
# build's medians and, per measure, the median of the differences B − A and how many pairs B
# won. Each run starts PAUSE seconds (3 unless told) after the last: this virtual machine hands
# memory freed for a few seconds back to its host, and backing it again is part of what a run
# that starts fresh pays (bench.sh's runs do); back to back, a build that touches more fresh
# memory (huge pages, say) looks cheaper than it is. PAUSE=0 compares the code alone.
# The host moves this machine's two CPUs between a near placement and a far one, where every
# packet handed between threads costs far more (scripts/bench/cross-core.c): the round trip
# is taken before and after each pair, and the wall times are compared within each placement
# too; a pair during which they moved is left out of those lines.
#   ROUNDS=15 [PAUSE=3] scripts/ab.sh OLD_BINARY NEW_BINARY [imix|handshakes|FILE]
# Keep a build aside first, e.g. `cp .build/release/helloscope /tmp/helloscope-before`.
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -ge 2 ] || { echo "usage: ROUNDS=15 scripts/ab.sh OLD_BINARY NEW_BINARY [imix|handshakes|FILE]" >&2; exit 64; }
old=$1 new=$2 workload=${3:-handshakes}
ROUNDS=${ROUNDS:-15}
PAUSE=${PAUSE:-3}
for binary in "$old" "$new"; do
    [ -x "$binary" ] || { echo "ab.sh: $binary is not an executable" >&2; exit 66; }
done
file=$workload
[ -f "$file" ] || file=bench-data/$workload.pcap
[ -f "$file" ] || { echo "ab.sh: no $file (scripts/bench.sh $workload makes it)" >&2; exit 66; }
cat "$file" > /dev/null   # page cache, for both alike
gcc -O2 -pthread -o bench-data/cross-core scripts/bench/cross-core.c
output=$(mktemp -d)
trap 'rm -rf "$output"' EXIT
results=$output/results   # one line per run: build wall user system peak_kib
for _ in $(seq "$ROUNDS"); do
    echo "placement $(bench-data/cross-core)" >>"$results"
    for build in A B; do
        binary=$old; [ $build = B ] && binary=$new
        rm -f "$output/out.jsonl"; sync; sleep "$PAUSE"
        /usr/bin/time -f "$build %e %U %S %M" "$binary" analyze --quiet --json "$output/out.jsonl" "$file" \
            2>>"$results" >/dev/null || { echo "ab.sh: $binary failed:" >&2; tail -5 "$results" >&2; exit 1; }
    done
    echo "placement $(bench-data/cross-core)" >>"$results"
done
python3 - "$results" "$old" "$new" "$file" "$PAUSE" <<'PY'
import statistics, sys
runs = {"A": [], "B": []}
trips = []
for line in open(sys.argv[1]):
    fields = line.split()
    if len(fields) == 5 and fields[0] in runs:
        runs[fields[0]].append([float(value) for value in fields[1:]])
    elif len(fields) == 2 and fields[0] == "placement":
        trips.append(int(fields[1]))
a, b = runs["A"], runs["B"]
if not a or len(a) != len(b):
    sys.exit(f"ab.sh: runs failed ({len(a)} of A, {len(b)} of B); see {sys.argv[1]}")
print(f"{sys.argv[4]}, {len(a)} pairs, {sys.argv[5]} s apart; A = {sys.argv[2]}, B = {sys.argv[3]}")
print("| measure | A median | B median | median of B − A | B lower in |")
print("|---|---|---|---|---|")
measures = [("wall s", lambda run: run[0]), ("user s", lambda run: run[1]), ("system s", lambda run: run[2]),
            ("CPU s", lambda run: run[1] + run[2]), ("peak RSS MiB", lambda run: run[3] / 1024)]
for name, value in measures:
    differences = [value(new) - value(old) for old, new in zip(a, b)]
    wins = sum(1 for difference in differences if difference < 0)
    print(f"| {name} | {statistics.median(map(value, a)):.2f} | {statistics.median(map(value, b)):.2f} "
          f"| {statistics.median(differences):+.2f} | {wins} of {len(a)} |")
# Round trips before and after each pair: under 150 ns both, near; over, far (0: one CPU).
for name, keep in (("near", lambda before, after: 0 < before < 150 and 0 < after < 150),
                   ("far", lambda before, after: before >= 150 and after >= 150)):
    chosen = [(old, new) for index, (old, new) in enumerate(zip(a, b))
              if 2 * index + 1 < len(trips) and keep(trips[2 * index], trips[2 * index + 1])]
    if not chosen:
        print(f"{name} placement: no pairs")
        continue
    differences = [new[0] - old[0] for old, new in chosen]
    print(f"{name} placement: {len(chosen)} pairs, wall A {statistics.median(old[0] for old, _ in chosen):.2f} s, "
          f"B {statistics.median(new[0] for _, new in chosen):.2f} s, median of B − A {statistics.median(differences):+.3f} s, "
          f"B lower in {sum(1 for difference in differences if difference < 0)}")
PY
