#!/usr/bin/env bash
# Builds the libFuzzer targets in Fuzz/ (with the address sanitizer) and runs each for
# SECONDS (default 60), seeded from Captures/. Crashes land in Fuzz/crashes/; copy each one
# into Tests/HelloWireTests/Corpus/<target>/ once fixed, so `swift test` replays it forever.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
command -v tshark >/dev/null || { echo "needs tshark and editcap (apt-get install -y tshark)" >&2; exit 1; }
# SwiftPM keeps this package's build description across builds, and does not notice a source
# file added to or removed from the main package (its manifest unchanged): the build then
# fails on a type it cannot find. Planning it again takes a second; the objects are kept.
rm -f Fuzz/.build/*/release/description.json
swift build -c release --package-path Fuzz --sanitize=fuzzer --sanitize=address >&2
corpus=fuzz-corpus
[ -d "$corpus/FuzzFlows" ] || python3 scripts/fuzz-seeds.py "$corpus" >&2
mkdir -p Fuzz/crashes
status=0
for target in FuzzFrame FuzzHello FuzzFlows; do
    log=$(mktemp)
    # Without SWIFT_BACKTRACE=enable=no Swift's backtracer takes the crash and no file is written.
    if ! SWIFT_BACKTRACE=enable=no "Fuzz/.build/release/$target" -max_total_time="$seconds" -print_final_stats=1 \
        -artifact_prefix="Fuzz/crashes/$target-" -max_len=4096 "$corpus/$target" >"$log" 2>&1; then
        status=1
        echo "$target: CRASH (see Fuzz/crashes/ and $log)"
    fi
    executions=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo "?")
    speed=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo "?")
    echo "$target: $executions executions in ${seconds}s ($speed/s), corpus $(ls "$corpus/$target" | wc -l) files"
done
exit $status
