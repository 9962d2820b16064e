#!/usr/bin/env bash
# Each thread of `helloscope analyze --quiet --json` on one workload, as bench.sh runs it (last
# output removed, `sync`, a pause first): its CPU time, when it ran, and how long it waited on
# the others (scripts/bench/thread-times.c, preloaded). The tracking thread is `helloscope`,
# then `reader`, `output`, `page-backing` and `cipher-registry`. Which stage holds the run up shows in who waits:
# the tracker in `usleep`/`sched_yield` waited for the reader (the ring ran empty); the reader
# there waited for the tracker (the ring was full); the tracker on a condition waited for the
# output thread (every batch full). `moved` counts the scheduler moving the thread to the other
# CPU, `preempted` the times another thread took its CPU. Each run says where the host had put
# the two CPUs just before and after it (scripts/bench/cross-core.c; near 50 to 130 ns, far 300
# to 560 ns): in the far placement every thread's CPU time can be several times the near one's.
#   RUNS=3 scripts/threads.sh [BINARY] [imix|handshakes|FILE]
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-3}
binary=${1:-.build/release/helloscope}
workload=${2:-handshakes}
file=$workload
[ -f "$file" ] || file=bench-data/$workload.pcap
[ -f "$file" ] || { echo "threads.sh: no $file (scripts/bench.sh $workload makes it)" >&2; exit 66; }
if [ "$binary" = .build/release/helloscope ]; then scripts/build-release.sh --product helloscope >&2; fi
[ -x "$binary" ] || { echo "threads.sh: $binary is not an executable" >&2; exit 66; }
mkdir -p bench-data
gcc -O2 -shared -fPIC -o bench-data/thread-times.so scripts/bench/thread-times.c -ldl
gcc -O2 -pthread -o bench-data/cross-core scripts/bench/cross-core.c
output=$(mktemp -d)
trap 'rm -rf "$output"' EXIT
cat "$file" > /dev/null   # in the page cache, as for the bare loop
for run in $(seq "$RUNS"); do
    rm -f "$output/lines.jsonl"; sync; sleep 3
    before=$(bench-data/cross-core)
    start=$(date +%s%N)
    LD_PRELOAD=$PWD/bench-data/thread-times.so "$binary" analyze --quiet --json "$output/lines.jsonl" "$file" 2>"$output/threads" \
        || { echo "threads.sh: $binary failed:" >&2; cat "$output/threads" >&2; exit 1; }
    end=$(date +%s%N)
    after=$(bench-data/cross-core)
    elapsed=$(( (end - start) / 1000000 ))   # milliseconds, in the shell: no bc needed
    printf 'run %d: %d.%03d s wall; the CPUs %d ns apart before, %d ns after\n' "$run" $((elapsed / 1000)) $((elapsed % 1000)) "$before" "$after"
    grep '^thread-times' "$output/threads" | sed 's/^thread-times /  /'
done
