#!/usr/bin/env bash
# The test suite under the sanitizers (issue #6), each in its own scratch path so the
# ordinary .build stays as it is:
#
#   scripts/sanitize.sh address   the whole suite with the address sanitizer (and LeakSanitizer),
#                                 .build-asan; the end-to-end tests run the ASan `helloscope`
#   scripts/sanitize.sh thread    the code that runs on several threads with the thread sanitizer,
#                                 .build-tsan: the live capture tests (--workers 1 and 2, fanout),
#                                 the syslog sender tests (its queue is shared with the NIO
#                                 thread) in-process and through the CLI (SyslogEndToEndTests),
#                                 analyze's output thread (FingerprintTests: 24 000 sessions
#                                 handed over in batches), and a live capture with two workers
#                                 feeding one OutputHub and a syslog sender at once
#   scripts/sanitize.sh [all]     both
#
# Needs root for the live tests, like scripts/test.sh under CI. Every sanitizer report, also
# from child processes (the `helloscope` the tests run), is written to a log directory and
# printed at the end; any report fails the run, even if the test that caused it passed.
# Extra arguments go to `swift test` (e.g. --filter). Cold builds take long (BoringSSL with
# each sanitizer): see the README's Hostile input section for measured times.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
mode=${1:-all}; [ $# -gt 0 ] && shift
case $mode in
address | thread | all) ;;
*) echo "usage: scripts/sanitize.sh [address|thread|all] [swift test options]" >&2; exit 64 ;;
esac
export CI=${CI:-true}
logs=$(mktemp -d /tmp/helloscope-sanitize.XXXXXX)
failed=0

# Prints the reports a sanitizer wrote under $logs/$1.* and counts them; returns 1 if any.
reports() {
    local found=0
    for file in "$logs/$1".*; do
        grep -q -E "ERROR: |WARNING: ThreadSanitizer" "$file" 2>/dev/null || continue
        found=$((found + 1))
        echo "---- $file" >&2
        cat "$file" >&2
    done
    [ "$found" -eq 0 ] || { echo "$1: $found process(es) reported" >&2; return 1; }
}

address() {
    local started=$SECONDS
    # Called as `address || failed=1`, where `set -e` does not act: a failed build must end
    # the run here, not leave the tests of an older build to pass.
    swift build --build-tests --sanitize=address --scratch-path .build-asan || { echo "address: build failed" >&2; return 1; }
    local built=$SECONDS
    # HELLOSCOPE_SANITIZER: HostileInputTests' SYN flood then skips its RSS bound (the shadow
    # memory and quarantine are in it) and floods 200 000 flows instead of 1 000 000.
    # Known leaks in toolchain libraries and dependencies: scripts/lsan.supp.
    set +e
    HELLOSCOPE_SANITIZER=address ASAN_OPTIONS=log_path=$logs/asan${ASAN_OPTIONS:+:$ASAN_OPTIONS} \
        LSAN_OPTIONS=suppressions=$root/scripts/lsan.supp:print_suppressions=0${LSAN_OPTIONS:+:$LSAN_OPTIONS} \
        swift test --skip-build --sanitize=address --scratch-path .build-asan "$@"
    local status=$?
    set -e
    echo "address: build $((built - started)) s, tests $((SECONDS - built)) s, swift test status $status" >&2
    reports asan || status=1
    return "$status"
}

thread() {
    local started=$SECONDS
    # Called as `thread || failed=1`, where `set -e` does not act: a failed build must end
    # the run here, not leave the tests of an older build to pass.
    swift build --build-tests --sanitize=thread --scratch-path .build-tsan || { echo "thread: build failed" >&2; return 1; }
    local built=$SECONDS
    local options="log_path=$logs/tsan:suppressions=$root/scripts/tsan.supp:print_suppressions=0:halt_on_error=0"
    local status=0
    set +e
    HELLOSCOPE_SANITIZER=thread TSAN_OPTIONS=$options${TSAN_OPTIONS:+:$TSAN_OPTIONS} \
        swift test --skip-build --sanitize=thread --scratch-path .build-tsan \
        --filter 'LiveCaptureTests|HelloSyslogTests|SyslogEndToEndTests|FingerprintTests' "$@" || status=1
    # Two workers' sessions meeting in one OutputHub while it feeds a syslog sender's queue
    # (UDP to a port nobody listens on: the sender also sees the destination come and go).
    local out=$logs/live-syslog
    HELLOSCOPE=$root/.build-tsan/debug/helloscope TSAN_OPTIONS=$options \
        scripts/live-test.sh stacks "$out" --workers 2 --syslog udp://127.0.0.1:15599 --syslog-format cef || status=1
    if [ "$(cat "$out/status" 2>/dev/null)" != 0 ] || [ "$(grep -c . "$out/sessions.jsonl" 2>/dev/null)" != 7 ]; then
        echo "thread: live capture with 2 workers and syslog: status $(cat "$out/status" 2>/dev/null), $(grep -c . "$out/sessions.jsonl" 2>/dev/null) of 7 sessions" >&2
        cat "$out/stderr.txt" >&2 || true
        status=1
    fi
    set -e
    echo "thread: build $((built - started)) s, tests $((SECONDS - built)) s" >&2
    reports tsan || status=1
    return "$status"
}

case $mode in
address) address "$@" || failed=1 ;;
thread) thread "$@" || failed=1 ;;
all) address "$@" || failed=1; thread "$@" || failed=1 ;;
esac
if [ "$failed" -eq 0 ]; then rm -rf "$logs"; else echo "sanitizer logs kept in $logs" >&2; fi
exit "$failed"
