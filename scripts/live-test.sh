#!/usr/bin/env bash
# Drives `helloscope capture` on a real veth pair between two network namespaces it creates
# (and always removes): used by the live tests and by hand.
#
#   scripts/live-test.sh stacks OUTDIR [capture options...]   OpenSSL s_server/s_client sessions
#   scripts/live-test.sh replay OUTDIR FILE [capture options...]  tcpreplay FILE onto the pair
#
# Writes OUTDIR/sessions.jsonl, OUTDIR/stats.jsonl, OUTDIR/stderr.txt, OUTDIR/status and, for
# `stacks`, OUTDIR/ran.txt (one "port version" line per session that ran). Needs root.
# Addresses: 10.213.8.1 (server, hs-live-a) and 10.213.8.2 (client, hs-live-b) only.
set -euo pipefail
mode=$1; out=$2; shift 2
root=$(cd "$(dirname "$0")/.." && pwd)
binary=${HELLOSCOPE:-$root/.build/debug/helloscope}
[ "$(id -u)" -eq 0 ] || { echo "needs root (network namespaces)" >&2; exit 77; }
mkdir -p "$out"
NS_A=hs-live-a NS_B=hs-live-b VA=hs-live-va VB=hs-live-vb
work=$(mktemp -d)
capture_pid=""
cleanup() {
    [ -n "$capture_pid" ] && kill -INT "$capture_pid" 2>/dev/null || true
    ip netns pids "$NS_A" 2>/dev/null | xargs -r kill 2>/dev/null || true
    ip netns pids "$NS_B" 2>/dev/null | xargs -r kill 2>/dev/null || true
    ip netns del "$NS_A" 2>/dev/null || true
    ip netns del "$NS_B" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

ip netns del "$NS_A" 2>/dev/null || true
ip netns del "$NS_B" 2>/dev/null || true
ip netns add "$NS_A"; ip netns add "$NS_B"
ip link add "$VA" netns "$NS_A" type veth peer name "$VB" netns "$NS_B"
for ns in "$NS_A" "$NS_B"; do
    ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
    ip -n "$ns" link set lo up
done
ip -n "$NS_A" addr add 10.213.8.1/24 dev "$VA"
ip -n "$NS_B" addr add 10.213.8.2/24 dev "$VB"
ip -n "$NS_A" link set "$VA" up
ip -n "$NS_B" link set "$VB" up

start_capture() {
    ip netns exec "$NS_B" "$binary" capture -i "$VB" --json "$out/sessions.jsonl" \
        --stats-json "$out/stats.jsonl" --stats-interval 1 --quiet "$@" 2>"$out/stderr.txt" &
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

case $mode in
stacks)
    openssl req -x509 -newkey rsa:2048 -nodes -days 2 -keyout "$work/key.pem" -out "$work/cert.pem" \
        -subj /CN=helloscope-live >/dev/null 2>&1
    start_capture "$@"
    : > "$out/ran.txt"
    for session in "4118 -tls1" "4118 -tls1_1" "4118 -tls1_2" "4118 -tls1_3" "4120 -tls1" "4122 -tls1_2" "4119 -tls1_3"; do
        read -r port version <<<"$session"
        ip netns exec "$NS_A" openssl s_server -accept "10.213.8.1:$port" -cert "$work/cert.pem" -key "$work/key.pem" \
            -naccept 1 -quiet -cipher 'DEFAULT:@SECLEVEL=0' >/dev/null 2>&1 &
        server=$!
        for _ in $(seq 50); do ip netns exec "$NS_A" ss -ltn | grep -q ":$port " && break; sleep 0.05; done
        echo Q | timeout 10 ip netns exec "$NS_B" openssl s_client -connect "10.213.8.1:$port" "$version" \
            -cipher 'DEFAULT:@SECLEVEL=0' -brief >/dev/null 2>&1 || true
        wait "$server" 2>/dev/null || true
        echo "$port $version" >> "$out/ran.txt"
    done
    stop_capture
    ;;
replay)
    file=$1; shift
    start_capture "$@"
    ip netns exec "$NS_A" tcpreplay -q -i "$VA" --pps=2000 "$file" >/dev/null 2>&1
    stop_capture
    ;;
*)
    echo "unknown mode $mode" >&2; exit 2 ;;
esac
