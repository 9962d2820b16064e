#!/usr/bin/env bash
# Instructions two builds of helloscope execute on the same capture, counted by callgrind:
# unlike times on this machine, counts do not drift with the hour, so a change that does less
# work shows it in one run. They say nothing of waiting on memory: judge wall time with
# scripts/ab.sh. The default capture is a handshake workload of 20 000 sessions (19 000 open at
# once), generated once into bench-data/; the fingerprints are hashed on the output thread, as
# the writer would for every session, so both builds do the same work whatever the timing.
#   scripts/instructions.sh OLD_BINARY NEW_BINARY [FILE] [FUNCTION ...]
# Prints the totals and, for each FUNCTION (a piece of a symbol, e.g. SessionJSON), the
# instructions of the functions whose names contain it, their callees included.
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -ge 2 ] || { echo "usage: scripts/instructions.sh OLD_BINARY NEW_BINARY [FILE] [FUNCTION ...]" >&2; exit 64; }
command -v valgrind >/dev/null || { echo "needs valgrind (apt-get install -y valgrind)" >&2; exit 69; }
old=$1 new=$2; shift 2
file=bench-data/handshakes-20k.pcap
if [ $# -gt 0 ] && [ -f "$1" ]; then file=$1; shift; fi
functions=("$@"); [ ${#functions[@]} -gt 0 ] || functions=(OutputHub SessionJSON Inventory FlowTracker)
if [ "$file" = bench-data/handshakes-20k.pcap ] && { [ ! -f "$file" ] || [ scripts/bench/synth.py -nt "$file" ]; }; then
    mkdir -p bench-data
    python3 scripts/bench/synth.py "$file" --sessions 20000 --bulk-packets 3 --concurrency 19000 --disorder \
        --handshake-acks --seed 2 --truth bench-data/handshakes-20k.truth.jsonl >&2
fi
[ -f "$file" ] || { echo "instructions.sh: no $file" >&2; exit 66; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for build in A B; do
    binary=$old; [ $build = B ] && binary=$new
    [ -x "$binary" ] || { echo "instructions.sh: $binary is not an executable" >&2; exit 66; }
    # This valgrind cannot read the Swift toolchain's debug information; the symbols suffice.
    objcopy --strip-debug "$binary" "$work/$build"
    HELLOSCOPE_FINGERPRINT_HASHING=writer valgrind --tool=callgrind --callgrind-out-file="$work/$build.out" \
        "$work/$build" analyze --quiet --json "$work/$build.jsonl" "$file" 2>"$work/$build.log" \
        || { echo "instructions.sh: $binary failed under valgrind:" >&2; tail -5 "$work/$build.log" >&2; exit 1; }
done
cmp -s "$work/A.jsonl" "$work/B.jsonl" && same="byte-identical" || same="DIFFERENT"
echo "$file; A = $old, B = $new; JSON lines $same"
echo "| instructions | A | B | B − A |"
echo "|---|---|---|---|"
total() { callgrind_annotate "$1" 2>/dev/null | awk '/PROGRAM TOTALS/ {gsub(",", "", $1); print $1; exit}'; }
# Inclusive counts of the functions whose symbol contains the piece, each counted once even
# when one calls another (the outermost is taken: the largest inclusive count).
inclusive() {
    callgrind_annotate --inclusive=yes "$1" 2>/dev/null | grep -F -- "$2" \
        | awk '{gsub(",", "", $1); if ($1 + 0 > best) best = $1 + 0} END {printf "%.0f\n", best}'   # past 2^31 print writes 2.18e+09
}
row() { python3 -c "import sys; a, b = int(sys.argv[2]), int(sys.argv[3]); print(f'| {sys.argv[1]} | {a:,} | {b:,} | {(b - a) / a * 100 if a else 0:+.1f} % |')" "$@"; }
row "whole run" "$(total "$work/A.out")" "$(total "$work/B.out")"
for function in "${functions[@]}"; do
    row "$function (largest, with callees)" "$(inclusive "$work/A.out" "$function")" "$(inclusive "$work/B.out" "$function")"
done
