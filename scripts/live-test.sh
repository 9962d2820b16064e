#!/usr/bin/env bash
# Drives `helloscope capture` on a real veth pair between two network namespaces it creates
# (and always removes): used by the live tests and by hand.
#
#   scripts/live-test.sh stacks OUTDIR [capture options...]   OpenSSL s_server/s_client sessions
#   scripts/live-test.sh replay OUTDIR FILE [capture options...]  tcpreplay FILE onto the pair
#   scripts/live-test.sh vanish OUTDIR [capture options...]   sessions, then the veth is deleted
#                                                              under the running capture
#
# Writes OUTDIR/sessions.jsonl, OUTDIR/stats.jsonl, OUTDIR/stdout.txt, OUTDIR/stderr.txt,
# OUTDIR/status (`hang` if the capture outlived its interface by 15 s) and, for `stacks` and
# `vanish`, OUTDIR/ran.txt (one "port version" line per session that ran). Needs root.
#
# SESSIONS="port version,..." overrides the sessions run (default: 7 on the Deep Security ports).
# LIVE_NET picks a network of its own, so that suites running at once cannot collide:
#   live (default): hs-live-a/b, 10.213.8.1 (server) and 10.213.8.2 (client)
#   ev:             hs-ev-a/b,   10.213.9.x     if: hs-if-a/b, 10.213.10.x
set -euo pipefail
mode=$1; out=$2; shift 2
root=$(cd "$(dirname "$0")/.." && pwd)
binary=${HELLOSCOPE:-$root/.build/debug/helloscope}
[ "$(id -u)" -eq 0 ] || { echo "needs root (network namespaces)" >&2; exit 77; }
for tool in ip openssl ss timeout; do
    command -v "$tool" >/dev/null || { echo "missing tool: $tool" >&2; exit 78; }
done
mkdir -p "$out"
net=${LIVE_NET:-live}
case $net in
live) subnet=10.213.8 ;;
ev) subnet=10.213.9 ;;
if) subnet=10.213.10 ;;
*) echo "unknown LIVE_NET $net" >&2; exit 2 ;;
esac
# shellcheck source=lib/netns.sh
source "$root/scripts/lib/netns.sh"
NS_A=hs-$net-a NS_B=hs-$net-b VA=hs-$net-va VB=hs-$net-vb
SERVER=$subnet.1 CLIENT=$subnet.2
work=$(mktemp -d)
capture_pid=""
cleanup() {
    [ -n "$capture_pid" ] && kill -INT "$capture_pid" 2>/dev/null || true
    veth_pair_down "$NS_A" "$NS_B"
    rm -rf "$work"
}
trap cleanup EXIT

veth_pair_up "$NS_A" "$NS_B" "$VA" "$VB"
ip -n "$NS_A" addr add "$SERVER/24" dev "$VA"
ip -n "$NS_B" addr add "$CLIENT/24" dev "$VB"
ip -n "$NS_A" link set "$VA" up
ip -n "$NS_B" link set "$VB" up

start_capture() {
    ip netns exec "$NS_B" "$binary" capture -i "$VB" --json "$out/sessions.jsonl" \
        --stats-json "$out/stats.jsonl" --stats-interval 1 --quiet "$@" >"$out/stdout.txt" 2>"$out/stderr.txt" &
    capture_pid=$!
    # The handles are open once the first stats record is written.
    for _ in $(seq 100); do [ -s "$out/stats.jsonl" ] && break; sleep 0.1; done
}

stop_capture() {
    sleep 1.5   # let the last packets through the ring before stopping
    kill -INT "$capture_pid"
    set +e; wait "$capture_pid"; echo $? > "$out/status"; set -e
    capture_pid=""
}

run_sessions() {
    openssl req -x509 -newkey rsa:2048 -nodes -days 2 -keyout "$work/key.pem" -out "$work/cert.pem" \
        -subj /CN=helloscope-live >/dev/null 2>&1
    : > "$out/ran.txt"
    local session port version
    IFS=, read -ra sessions <<<"${SESSIONS:-4118 -tls1,4118 -tls1_1,4118 -tls1_2,4118 -tls1_3,4120 -tls1,4122 -tls1_2,4119 -tls1_3}"
    for session in "${sessions[@]}"; do
        read -r port version <<<"$session"
        ip netns exec "$NS_A" openssl s_server -accept "$SERVER:$port" -cert "$work/cert.pem" -key "$work/key.pem" \
            -naccept 1 -quiet -cipher 'DEFAULT:@SECLEVEL=0' >/dev/null 2>&1 &
        server=$!
        for _ in $(seq 50); do ip netns exec "$NS_A" ss -ltn | grep -q ":$port " && break; sleep 0.05; done
        echo Q | timeout 10 ip netns exec "$NS_B" openssl s_client -connect "$SERVER:$port" "$version" \
            -cipher 'DEFAULT:@SECLEVEL=0' -brief >/dev/null 2>&1 || true
        wait "$server" 2>/dev/null || true
        echo "$port $version" >> "$out/ran.txt"
    done
}

case $mode in
stacks)
    start_capture "$@"
    run_sessions
    stop_capture
    ;;
vanish)
    start_capture "$@"
    run_sessions
    # Wait until the sessions are in the JSON (workers flush about once a second), so the
    # test can tell "flushed at the stop" from "never seen".
    want=$(wc -l < "$out/ran.txt")
    for _ in $(seq 100); do [ "$(wc -l < "$out/sessions.jsonl" 2>/dev/null || echo 0)" -ge "$want" ] && break; sleep 0.1; done
    cp "$out/sessions.jsonl" "$out/sessions-before.jsonl" 2>/dev/null || : > "$out/sessions-before.jsonl"
    ip -n "$NS_A" link del "$VA"   # takes its peer, the captured interface, with it
    for _ in $(seq 150); do kill -0 "$capture_pid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$capture_pid" 2>/dev/null; then
        echo hang > "$out/status"
        kill -KILL "$capture_pid" 2>/dev/null || true
        wait "$capture_pid" 2>/dev/null || true
    else
        set +e; wait "$capture_pid"; echo $? > "$out/status"; set -e
    fi
    capture_pid=""
    ;;
replay)
    file=$1; shift
    start_capture "$@"
    command -v tcpreplay >/dev/null || { echo "missing tool: tcpreplay" >&2; exit 78; }
    ip netns exec "$NS_A" tcpreplay -q -i "$VA" --pps="${REPLAY_PPS:-2000}" "$file" >/dev/null 2>&1
    stop_capture
    ;;
*)
    echo "unknown mode $mode" >&2; exit 2 ;;
esac
