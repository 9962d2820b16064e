#!/usr/bin/env bash
# make-captures.sh [OUTDIR] — record HelloScope's test captures with real TLS stacks.
#
# Every capture in OUTDIR (default: Captures/ at the repo root) is made here:
# OpenSSL s_server/s_client, curl and Python's ssl module talk across a veth pair
# between two throwaway network namespaces (hs-cap-a = server, hs-cap-b = client),
# and tcpdump (or dumpcap for pcapng) records it. Beside each capture goes
# <name>.expected.jsonl: one JSON object per TLS session, in ClientHello order.
#
# What goes into an expected file comes from what the scenario configured
# (expect_session below); only the client's ephemeral port and the name of the
# negotiated cipher suite are read off the capture. Every other configured
# value is then checked against tshark's dissection; any disagreement stops
# the script. Re-running gives the same sessions (ports, keys and times differ).
#
# Needs root. Traffic stays inside the namespaces: 10.213.x.x and fd00:213::/64 only.
# For work on one scenario: HS_SCENARIOS="vlan refused" runs only those (the README
# then lists only those), HS_KEEP_WORK=1 keeps the temp dir (logs, raw captures).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$HERE")
OUTDIR=${1:-$ROOT/Captures}
# shellcheck source=lib/netns.sh
source "$HERE/lib/netns.sh"

DS_SNI=agents.deepsecurity.trendmicro.com
WEAK='DEFAULT:@SECLEVEL=0'   # OpenSSL 3.0 allows TLS 1.0/1.1 only at security level 0

WORK=""          # temp dir: cert, logs, raw captures
PIDS=()          # background processes we started (servers, capture tools)

# ---------------------------------------------------------------- setup

die() { echo "make-captures: $*" >&2; exit 1; }
log() { echo "== $*" >&2; }

cleanup() {
    local pid
    for pid in "${PIDS[@]}"; do
        kill "$pid" 2>/dev/null || true
    done
    netns_down || true
    if [[ -n $WORK && -z ${HS_KEEP_WORK:-} ]]; then rm -rf "$WORK"; fi
}

check_tools() {
    [[ $(id -u) -eq 0 ]] || die "must run as root (namespaces, tcpdump)"
    local -A pkg_of=([tcpdump]=tcpdump [tshark]=tshark [capinfos]=tshark [dumpcap]=tshark
                     [openssl]=openssl [curl]=curl [ip]=iproute2 [ss]=iproute2 [python3]=python3)
    local tool missing=()
    for tool in "${!pkg_of[@]}"; do
        command -v "$tool" >/dev/null || missing+=("${pkg_of[$tool]}")
    done
    if ((${#missing[@]})); then
        log "installing: ${missing[*]}"
        apt-get update -q
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q $(printf '%s\n' "${missing[@]}" | sort -u)
    fi
}

make_cert() {
    openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj /CN=helloscope-test \
        -keyout "$WORK/key.pem" -out "$WORK/cert.pem" 2>/dev/null
    CERT=$WORK/cert.pem KEY=$WORK/key.pem
}

# shell_words ARGS... : the arguments as one copy-pasteable line (quotes only where needed).
shell_words() {
    local a out=()
    for a in "$@"; do
        # (none of our arguments contains a single quote)
        if [[ $a =~ ^[A-Za-z0-9_./:=,+-]+$ ]]; then out+=("$a"); else out+=("'$a'"); fi
    done
    echo "${out[*]}"
}

# ---------------------------------------------------------------- capture

# capture_start NAME FORMAT NS IFACE FILTER
#   FORMAT: pcap (microseconds), pcap-nano, pcapng (dumpcap).
capture_start() {
    CAP_NAME=$1 CAP_FORMAT=$2
    local ns=$3 iface=$4 filter=$5 ext=pcap
    [[ $CAP_FORMAT == pcapng ]] && ext=pcapng
    CAP_FILE=$WORK/$CAP_NAME.$ext
    SPEC=$WORK/$CAP_NAME.spec
    : >"$SPEC"
    CAP_CHECKS=()
    CAP_CMD=()
    case $CAP_FORMAT in
        pcap)      CAP_CMD=(tcpdump -i "$iface" --immediate-mode -U -Z root -s 0 -w "$CAP_FILE" "$filter") ;;
        pcap-nano) CAP_CMD=(tcpdump -i "$iface" --immediate-mode -U -Z root -s 0 --time-stamp-precision=nano -w "$CAP_FILE" "$filter") ;;
        pcapng)    CAP_CMD=(dumpcap -q -i "$iface" -s 0 -f "$filter" -w "$CAP_FILE") ;;
    esac
    README_CAPTURE="ip netns exec $ns $(shell_words "${CAP_CMD[@]}")"
    README_CAPTURE=${README_CAPTURE//$WORK\//}
    ip netns exec "$ns" "${CAP_CMD[@]}" 2>"$WORK/$CAP_NAME.capture.log" &
    CAP_PID=$!
    PIDS+=("$CAP_PID")
    local i
    for i in $(seq 50); do
        grep -qE 'listening on|Capturing on' "$WORK/$CAP_NAME.capture.log" && return 0
        sleep 0.1
    done
    cat "$WORK/$CAP_NAME.capture.log" >&2
    die "$CAP_NAME: capture did not start"
}

capture_stop() {
    sleep 1.2                          # last FIN/ACKs; dumpcap delivers in batches (tcpdump: immediate mode, -U)
    kill -INT "$CAP_PID"
    wait "$CAP_PID" || true
    forget_pid "$CAP_PID"
    [[ -s $CAP_FILE ]] || die "$CAP_NAME: empty capture"
}

# ---------------------------------------------------------------- servers and clients

README_SERVERS=() README_CLIENTS=()

# server NS CMD... : start a server in the background and wait until it listens.
# The port is taken from SERVER_PORT.
server() {
    local ns=$1; shift
    local words; words=$(shell_words "$@")
    README_SERVERS+=("ip netns exec $ns ${words//$ROOT\//}")
    ip netns exec "$ns" "$@" >"$WORK/$CAP_NAME.server.log" 2>&1 &
    SRV_PID=$!
    PIDS+=("$SRV_PID")
    wait_listening "$ns" "$SERVER_PORT"
}

server_stop() {
    kill "$SRV_PID" 2>/dev/null || true
    wait "$SRV_PID" 2>/dev/null || true
    forget_pid "$SRV_PID"
}

# forget_pid PID : a process that has been waited for; cleanup must not signal its (reusable) PID.
forget_pid() {
    local p keep=()
    for p in "${PIDS[@]}"; do [[ $p == "$1" ]] || keep+=("$p"); done
    PIDS=("${keep[@]}")
}

s_server() {
    server "$NS_A" openssl s_server -cert "$CERT" -key "$KEY" "$@"
}

# client EXPECT_RC CMD... : run one client in hs-cap-b; EXPECT_RC is ok or fail.
# Its stdin is "Q" (s_client quits on it; curl ignores it) and it gets 10 s at most.
client() {
    local want=$1; shift
    README_CLIENTS+=("echo Q | timeout 10 ip netns exec $NS_B $(shell_words "$@")")
    local rc=0
    echo Q | timeout 10 ip netns exec "$NS_B" "$@" >>"$WORK/$CAP_NAME.client.log" 2>&1 || rc=$?
    if [[ $want == ok && $rc -ne 0 ]]; then
        cat "$WORK/$CAP_NAME.client.log" >&2
        die "$CAP_NAME: client failed (rc $rc): $*"
    elif [[ $want == fail && $rc -eq 0 ]]; then
        die "$CAP_NAME: client succeeded but should have failed: $*"
    fi
    sleep 0.2                          # keeps sessions apart in time
}

# s_client EXPECT_RC ARGS... : one openssl s_client session.
s_client() {
    local want=$1; shift
    client "$want" openssl s_client -brief "$@"
}

# ---------------------------------------------------------------- expectations

# Per capture: who is client and server, and through what (set by each scenario).
CLIENT_IP=10.213.7.2 SERVER_IP=10.213.7.1 IPV=4 VLAN=-

# expect_session key=value... : what one TLS session must look like, in order.
#   port=  sni=(or -)  offered=TLSv1.3,TLSv1.2 (the ClientHello's supported_versions,
#   or its legacy_version when it has none)  version=(negotiated, or -)
#   status=negotiated|refused|no_server_hello  alert=(name or -)  preamble=smtp|http_connect|-
#   segments_min=N (the ClientHello must span at least N TCP segments; checked, not written)
expect_session() {
    echo "client=$CLIENT_IP server=$SERVER_IP ip=$IPV vlan=$VLAN sni=- alert=- preamble=- version=- status=negotiated $*" >>"$SPEC"
}

# capture_must_show PATTERN : a line of `capinfos` for this capture must match (grep -E).
capture_must_show() { CAP_CHECKS+=("$1"); }

# finish_capture DESCRIPTION : stop, check against tshark, write capture + expected + README row.
finish_capture() {
    local description=$1
    capture_stop
    local out=$OUTDIR/$(basename "$CAP_FILE")
    local expected=$OUTDIR/$CAP_NAME.expected.jsonl
    local pattern
    capinfos "$CAP_FILE" >"$WORK/$CAP_NAME.capinfos"
    for pattern in "${CAP_CHECKS[@]}"; do
        grep -E "$pattern" "$WORK/$CAP_NAME.capinfos" >/dev/null ||
            die "$CAP_NAME: capinfos shows no line matching '$pattern'"
    done
    write_expected "$CAP_FILE" "$SPEC" "$WORK/$CAP_NAME.expected.jsonl"
    install -m 0644 "$CAP_FILE" "$out"
    install -m 0644 "$WORK/$CAP_NAME.expected.jsonl" "$expected"
    readme_row "$description" "$out" "$expected"
    README_SERVERS=() README_CLIENTS=()
    log "$CAP_NAME: $(wc -l <"$expected") session(s) ok"
}

# write_expected CAPTURE SPEC OUT
write_expected() {
    openssl ciphers -V -stdname 'ALL:COMPLEMENTOFALL:@SECLEVEL=0' >"$WORK/ciphers.txt"
    python3 - "$@" "$WORK/ciphers.txt" <<'PY'
import json, subprocess, sys

cap, spec_path, out_path, ciphers_path = sys.argv[1:5]

NAMES = {0x0300: "SSLv3", 0x0301: "TLSv1.0", 0x0302: "TLSv1.1", 0x0303: "TLSv1.2", 0x0304: "TLSv1.3"}
CODES = {v: k for k, v in NAMES.items()}
ALERTS = {0: "close_notify", 10: "unexpected_message", 20: "bad_record_mac", 22: "record_overflow",
          40: "handshake_failure", 42: "bad_certificate", 43: "unsupported_certificate",
          44: "certificate_revoked", 45: "certificate_expired", 46: "certificate_unknown",
          47: "illegal_parameter", 48: "unknown_ca", 49: "access_denied", 50: "decode_error",
          51: "decrypt_error", 70: "protocol_version", 71: "insufficient_security",
          80: "internal_error", 86: "inappropriate_fallback", 90: "user_canceled",
          109: "missing_extension", 110: "unsupported_extension", 112: "unrecognized_name",
          113: "bad_certificate_status_response", 115: "unknown_psk_identity",
          116: "certificate_required", 120: "no_application_protocol"}

# IANA names of cipher suites: OpenSSL's table plus the TLS 1.3 suites.
SUITES = {0x1301: "TLS_AES_128_GCM_SHA256", 0x1302: "TLS_AES_256_GCM_SHA384",
          0x1303: "TLS_CHACHA20_POLY1305_SHA256"}
for line in open(ciphers_path):
    parts = line.split()
    if len(parts) > 2 and parts[0].startswith("0x") and parts[1] == "-":
        hi, lo = parts[0].split(",")
        SUITES[int(hi, 16) << 8 | int(lo, 16)] = parts[2]

def fail(msg):
    sys.exit(f"make-captures: {cap}: tshark disagrees with the configuration: {msg}")

def is_grease(v):
    return (v & 0x0f0f) == 0x0a0a and (v >> 8) == (v & 0xff)

def role(port, sni):
    fixed = {4118: "agent", 4119: "manager_console", 4120: "manager_heartbeat", 4122: "relay"}
    if port in fixed:
        return fixed[port]
    if port == 443 and sni:
        labels = sni.lower().split(".")
        if sni.lower().endswith(".deepsecurity.trendmicro.com"):
            return "dsaas"
        if len(labels) == 6 and labels[1] == "workload" and labels[3:] == ["cloudone", "trendmicro", "com"]:
            return "dsaas"
    return "other"

# --- the configuration
specs = []
for line in open(spec_path):
    kv = {}
    for item in line.split():
        k, v = item.split("=", 1)
        kv[k] = None if v == "-" else v
    specs.append(kv)

# --- what tshark sees
fields = ["frame.time_epoch", "tcp.stream", "ip.src", "ipv6.src", "tcp.srcport", "ip.dst", "ipv6.dst",
          "tcp.dstport", "vlan.id", "tls.handshake.type", "tls.handshake.version",
          "tls.handshake.extensions.supported_version", "tls.handshake.ciphersuite",
          "tls.handshake.extensions_server_name", "tls.alert_message.desc", "tcp.segment.count"]
cmd = ["tshark", "-r", cap, "-n", "-Y", "tls.handshake.type == 1 or tls.handshake.type == 2 or tls.alert_message",
       "-T", "fields", "-E", "separator=/t", "-E", "occurrence=a", "-E", "aggregator=,"]
for p in sorted({int(s["port"]) for s in specs} - {25, 443, 8080}):
    cmd += ["-d", f"tcp.port=={p},tls"]
for f in fields:
    cmd += ["-e", f]
rows = subprocess.run(cmd, check=True, stdout=subprocess.PIPE, text=True).stdout.splitlines()

def ints(s):
    return [int(x, 0) for x in s.split(",")] if s else []

sessions = {}   # tcp.stream -> observed
for row in rows:
    r = dict(zip(fields, row.split("\t")))
    types = ints(r["tls.handshake.type"])
    stream = r["tcp.stream"]
    src = r["ip.src"] or r["ipv6.src"]
    if 1 in types:
        if stream in sessions:
            fail(f"two ClientHellos in TCP stream {stream}")
        sv = [v for v in ints(r["tls.handshake.extensions.supported_version"]) if not is_grease(v)]
        legacy = ints(r["tls.handshake.version"])[0]
        sessions[stream] = {
            "time": float(r["frame.time_epoch"]), "client": src, "client_port": int(r["tcp.srcport"]),
            "server": r["ip.dst"] or r["ipv6.dst"], "server_port": int(r["tcp.dstport"]),
            "ip": 6 if r["ipv6.src"] else 4, "vlan": ints(r["vlan.id"]) or None,
            "sni": r["tls.handshake.extensions_server_name"] or None,
            "offered": sv or [legacy], "segments": int(r["tcp.segment.count"] or 1),
            "version": None, "cipher": None, "alert": None}
        continue
    s = sessions.get(stream)
    if s is None or src != s["server"]:
        continue
    if 2 in types and s["version"] is None:
        sv = ints(r["tls.handshake.extensions.supported_version"])
        s["version"] = sv[0] if sv else ints(r["tls.handshake.version"])[0]
        s["cipher"] = ints(r["tls.handshake.ciphersuite"])[0]
    elif r["tls.alert_message.desc"] and s["version"] is None and s["alert"] is None:
        s["alert"] = int(r["tls.alert_message.desc"].split(",")[0])

observed = sorted(sessions.values(), key=lambda s: s["time"])
for vlan in {s["vlan"] for s in specs if s["vlan"]}:
    untagged = subprocess.run(["tshark", "-r", cap, "-n", "-Y", f"!(vlan.id == {vlan})"], check=True,
                              stdout=subprocess.PIPE, text=True).stdout
    if untagged:
        fail(f"frames without VLAN {vlan}:\n{untagged}")
if len(observed) != len(specs):
    fail(f"{len(observed)} ClientHello(s) seen, {len(specs)} configured")

out = []
for i, (want, seen) in enumerate(zip(specs, observed), 1):
    def check(what, configured, actual):
        if configured != actual:
            fail(f"session {i}: {what}: configured {configured!r}, capture has {actual!r}")
    offered = [CODES[v] for v in want["offered"].split(",")]
    version = CODES[want["version"]] if want["version"] else None
    vlan = [int(v) for v in want["vlan"].split(",")] if want["vlan"] else None
    check("client", want["client"], seen["client"])
    check("server", want["server"], seen["server"])
    check("server port", int(want["port"]), seen["server_port"])
    check("ip", int(want["ip"]), seen["ip"])
    check("vlan", vlan, seen["vlan"])
    check("sni", want["sni"], seen["sni"])
    check("offered versions", [NAMES[v] for v in offered], [NAMES.get(v, hex(v)) for v in seen["offered"]])
    check("negotiated version", version, seen["version"])
    status = "negotiated" if seen["version"] else ("refused" if seen["alert"] is not None else "no_server_hello")
    check("status", want["status"], status)
    check("alert", want["alert"], ALERTS.get(seen["alert"]) if seen["alert"] is not None else None)
    if want.get("segments_min") and seen["segments"] < int(want["segments_min"]):
        fail(f"session {i}: ClientHello in {seen['segments']} segment(s), wanted >= {want['segments_min']}")

    client_max = max(offered)
    offers_early = min(offered) < 0x0303 if len(offered) > 1 or offered[0] != 0x0303 else False
    early = version is not None and version < 0x0303
    if client_max < 0x0303:
        side = "client"
    elif early:
        side = "server"
    else:
        side = None
    if version is not None and version < 0x0303:
        verdict = "early_tls_negotiated"
    elif version is not None:
        verdict = "early_tls_offered_upgraded" if offers_early else "ok"
    elif client_max < 0x0303:
        verdict = "early_only_refused"
    else:
        verdict = "unknown"
    out.append({
        "client": want["client"], "client_port": seen["client_port"],
        "server": want["server"], "server_port": int(want["port"]),
        "ip": int(want["ip"]), "vlan": vlan, "sni": want["sni"], "role": role(int(want["port"]), want["sni"]),
        "offered_versions": [NAMES[v] for v in offered], "client_max_version": NAMES[client_max],
        "version": NAMES[version] if version else None,
        "version_code": f"0x{version:04x}" if version else None,
        "cipher": SUITES[seen["cipher"]] if seen["cipher"] is not None else None,
        "early_tls": early, "early_tls_side": side, "status": want["status"], "alert": want["alert"],
        "preamble": want["preamble"], "verdict": verdict})

with open(out_path, "w") as f:
    for o in out:
        f.write(json.dumps(o, separators=(",", ":")) + "\n")
PY
}

# ---------------------------------------------------------------- README

README_ROWS=""
readme_row() {
    local description=$1 file=$2 expected=$3
    local ftype encap prec sessions cmds="" c
    ftype=$(capinfos -t "$file" | sed -n 's/^File type: *//p')
    encap=$(capinfos -E "$file" | sed -n 's/^File encapsulation: *//p')
    prec=$(capinfos "$file" | sed -n 's/^File timestamp precision: *//p')
    sessions=$(python3 -c '
import json, sys
for line in open(sys.argv[1]):
    s = json.loads(line)
    print("- IPv%d %s → %s:%s%s%s: offered %s → %s%s, verdict `%s`" % (
        s["ip"], s["client"], s["server"], s["server_port"],
        " VLAN %s" % s["vlan"] if s["vlan"] else "",
        " SNI `%s`" % s["sni"] if s["sni"] else "",
        "/".join(s["offered_versions"]),
        ("%s %s" % (s["version"], s["cipher"])) if s["version"] else s["status"],
        " (alert %s)" % s["alert"] if s["alert"] else "", s["verdict"]))
' "$expected")
    cmds+="Capture: \`$README_CAPTURE\`"$'\n\n'
    for c in "${README_SERVERS[@]}"; do cmds+="Server: \`${c//$WORK\//}\`"$'\n\n'; done
    for c in "${README_CLIENTS[@]}"; do cmds+="Client: \`${c//$WORK\//}\`"$'\n\n'; done
    README_ROWS+="| \`$(basename "$file")\` | $ftype | $encap | $prec | $(wc -l <"$expected") |"$'\n'
    README_DETAIL+=$'\n'"### $(basename "$file")"$'\n\n'"$description"$'\n\n'"$cmds""Sessions (ClientHello order):"$'\n\n'"$sessions"$'\n'
}
README_DETAIL=""

write_readme() {
    cat >"$OUTDIR/README.md" <<EOF
# Captures

Made by \`scripts/make-captures.sh\` (do not edit by hand; re-run the script). Each capture has a
\`<name>.expected.jsonl\` beside it: one JSON object per TLS session, in ClientHello order.
Real TLS stacks only: OpenSSL $(openssl version | awk '{print $2}') \`s_server\`/\`s_client\`, $(curl --version | head -n 1 | awk '{print $1, $2}'), Python $(python3 -c 'import platform; print(platform.python_version())') \`ssl\`,
between two network namespaces joined by a veth pair (server \`hs-cap-a\` 10.213.7.1 / fd00:213::1,
client \`hs-cap-b\` 10.213.7.2 / fd00:213::2). Captured with $(tcpdump --version 2>&1 | head -n 1) and dumpcap (pcapng).
In the command lines, \`cert.pem\`/\`key.pem\` are a throwaway self-signed RSA 2048 certificate made per run
(\`openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj /CN=helloscope-test\`).

Only the client's ephemeral port and the cipher suite's name are read off each capture; everything else in
the expected files is what the script configured, and the script stops if tshark disagrees.
Re-running gives the same sessions; ports, keys and timestamps differ.

| file | format | link type | timestamps | sessions |
|---|---|---|---|---|
$README_ROWS
$README_DETAIL
EOF
}

# ---------------------------------------------------------------- scenarios

# 1. Manager → agent on 4118: one session pinned to each of TLS 1.0, 1.1, 1.2, 1.3.
scenario_ds_agent() {
    SERVER_PORT=4118
    netns_up v4
    capture_start ds-agent-4118 pcap "$NS_B" "$VETH_B" "tcp port 4118"
    s_server -accept 10.213.7.1:4118 -naccept 4 -quiet -cipher "$WEAK"
    s_client ok -connect 10.213.7.1:4118 -tls1 -cipher "$WEAK"
    expect_session port=4118 offered=TLSv1.0 version=TLSv1.0
    s_client ok -connect 10.213.7.1:4118 -tls1_1 -cipher "$WEAK"
    expect_session port=4118 offered=TLSv1.1 version=TLSv1.1
    s_client ok -connect 10.213.7.1:4118 -tls1_2
    expect_session port=4118 offered=TLSv1.2 version=TLSv1.2
    s_client ok -connect 10.213.7.1:4118 -tls1_3
    expect_session port=4118 offered=TLSv1.3 version=TLSv1.3
    server_stop
    finish_capture "Manager → agent (4118), no SNI: TLS 1.0, 1.1, 1.2, 1.3, each client pinned to one version; server accepts 1.0–1.3."
}

# 2. Browser/API → manager console on 4119 (pcapng): curl against s_server -www, TLS 1.0, 1.2, 1.3.
scenario_ds_manager() {
    SERVER_PORT=4119
    netns_up v4
    capture_start ds-manager-4119 pcapng "$NS_B" "$VETH_B" "tcp port 4119"
    capture_must_show '^File type: .*pcapng'
    s_server -accept 10.213.7.1:4119 -naccept 3 -www -cipher "$WEAK"
    client ok curl -sS -k --tlsv1.0 --tls-max 1.0 --ciphers "$WEAK" https://10.213.7.1:4119/ -o /dev/null
    expect_session port=4119 offered=TLSv1.0 version=TLSv1.0
    client ok curl -sS -k --tlsv1.2 --tls-max 1.2 https://10.213.7.1:4119/ -o /dev/null
    expect_session port=4119 offered=TLSv1.2 version=TLSv1.2
    client ok curl -sS -k --tlsv1.3 https://10.213.7.1:4119/ -o /dev/null
    expect_session port=4119 offered=TLSv1.3 version=TLSv1.3
    server_stop
    finish_capture "Browser/API client → manager console (4119), pcapng from dumpcap: curl pinned to TLS 1.0, then 1.2, then 1.3 (\`--tlsv1.3\` leaves the maximum open); \`s_server -www\` answers a status page."
}

# 3. Agent → manager heartbeat on 4120, nanosecond pcap, with SNI.
scenario_ds_heartbeat() {
    SERVER_PORT=4120
    netns_up v4
    capture_start ds-heartbeat-4120 pcap-nano "$NS_B" "$VETH_B" "tcp port 4120"
    capture_must_show '^File timestamp precision: *nanoseconds'
    s_server -accept 10.213.7.1:4120 -naccept 2 -quiet -cipher "$WEAK"
    s_client ok -connect 10.213.7.1:4120 -tls1 -cipher "$WEAK" -servername "$DS_SNI"
    expect_session port=4120 sni="$DS_SNI" offered=TLSv1.0 version=TLSv1.0
    s_client ok -connect 10.213.7.1:4120 -tls1_2 -servername "$DS_SNI"
    expect_session port=4120 sni="$DS_SNI" offered=TLSv1.2 version=TLSv1.2
    server_stop
    finish_capture "Agent → manager heartbeat (4120), pcap with nanosecond timestamps, SNI \`$DS_SNI\`: TLS 1.0, then TLS 1.2."
}

# 4. Relay on 4122: TLS 1.1 and 1.3.
scenario_ds_relay() {
    SERVER_PORT=4122
    netns_up v4
    capture_start ds-relay-4122 pcap "$NS_B" "$VETH_B" "tcp port 4122"
    s_server -accept 10.213.7.1:4122 -naccept 2 -quiet -cipher "$WEAK"
    s_client ok -connect 10.213.7.1:4122 -tls1_1 -cipher "$WEAK"
    expect_session port=4122 offered=TLSv1.1 version=TLSv1.1
    s_client ok -connect 10.213.7.1:4122 -tls1_3
    expect_session port=4122 offered=TLSv1.3 version=TLSv1.3
    server_stop
    finish_capture "Manager/agent → relay (4122), no SNI: TLS 1.1, then TLS 1.3."
}

# 5. Agents → Deep Security as a Service on 443 (pcapng): the role depends on the SNI.
scenario_dsaas() {
    SERVER_PORT=443
    netns_up v4
    capture_start dsaas-443 pcapng "$NS_B" "$VETH_B" "tcp port 443"
    capture_must_show '^File type: .*pcapng'
    s_server -accept 10.213.7.1:443 -naccept 4 -quiet -cipher "$WEAK"
    s_client ok -connect 10.213.7.1:443 -tls1_3 -servername "$DS_SNI"
    expect_session port=443 sni="$DS_SNI" offered=TLSv1.3 version=TLSv1.3
    s_client ok -connect 10.213.7.1:443 -tls1_2 -servername agents-123.workload.us-1.cloudone.trendmicro.com
    expect_session port=443 sni=agents-123.workload.us-1.cloudone.trendmicro.com offered=TLSv1.2 version=TLSv1.2
    # No version flag at security level 0: the client offers 1.3 down to 1.0 and gets 1.3.
    s_client ok -connect 10.213.7.1:443 -cipher "$WEAK" -servername www.example.com
    expect_session port=443 sni=www.example.com offered=TLSv1.3,TLSv1.2,TLSv1.1,TLSv1.0 version=TLSv1.3
    s_client ok -connect 10.213.7.1:443 -tls1 -cipher "$WEAK" -servername relay.deepsecurity.trendmicro.com
    expect_session port=443 sni=relay.deepsecurity.trendmicro.com offered=TLSv1.0 version=TLSv1.0
    server_stop
    finish_capture "Agent → Deep Security as a Service / Workload Security (443), pcapng from dumpcap. Role by SNI: two SaaS names (TLS 1.3, TLS 1.2), \`www.example.com\` (not Deep Security; the client offers 1.3 down to 1.0 and gets 1.3), and a SaaS relay name with TLS 1.0."
}

# 6. A ClientHello split over several TCP segments (MTU 256 on both veth ends).
scenario_split_clienthello() {
    SERVER_PORT=4120
    netns_up v4
    netns_set_mtu 256
    capture_start split-clienthello pcap "$NS_B" "$VETH_B" "tcp port 4120"
    s_server -accept 10.213.7.1:4120 -naccept 1 -quiet
    s_client ok -connect 10.213.7.1:4120 -tls1_3 -servername "$DS_SNI"
    expect_session port=4120 sni="$DS_SNI" offered=TLSv1.3 version=TLSv1.3 segments_min=2
    server_stop
    finish_capture "Agent → manager heartbeat (4120), TLS 1.3, with MTU 256 on both veth ends: the ClientHello spans several TCP segments (checked with tshark's \`tcp.segment.count\`)."
}

# 7. IPv6 (ULA) to the agent port.
scenario_ipv6() {
    SERVER_PORT=4118
    netns_up v6
    CLIENT_IP=fd00:213::2 SERVER_IP=fd00:213::1 IPV=6
    capture_start ipv6-4118 pcap "$NS_B" "$VETH_B" "tcp port 4118"
    s_server -accept '[fd00:213::1]:4118' -naccept 2 -quiet -cipher "$WEAK"
    s_client ok -connect '[fd00:213::1]:4118' -tls1_2
    expect_session port=4118 offered=TLSv1.2 version=TLSv1.2
    s_client ok -connect '[fd00:213::1]:4118' -tls1 -cipher "$WEAK"
    expect_session port=4118 offered=TLSv1.0 version=TLSv1.0
    server_stop
    finish_capture "Manager → agent (4118) over IPv6 (fd00:213::2 → fd00:213::1, added with \`nodad\`, no link-local addresses): TLS 1.2, then TLS 1.0."
    CLIENT_IP=10.213.7.2 SERVER_IP=10.213.7.1 IPV=4
}

# 8. 802.1Q VLAN 213 on the veth pair, captured on the veth so frames carry the tag.
# The brief asked for VLAN sub-interfaces (hs-cap-va.213); this kernel has no
# 8021q support, so the tag is pushed and popped by tc eBPF instead (see
# netns_vlan_trunk). On the wire the frames are the same: Ethernet, 802.1Q 213, IPv4.
scenario_vlan() {
    SERVER_PORT=4122
    netns_up v4
    netns_vlan_trunk 213
    ip -n "$NS_A" addr add 10.213.9.1/24 dev "$VETH_A"
    ip -n "$NS_B" addr add 10.213.9.2/24 dev "$VETH_B"
    CLIENT_IP=10.213.9.2 SERVER_IP=10.213.9.1 VLAN=213
    capture_start vlan-4122 pcap "$NS_B" "$VETH_B" "vlan 213 and tcp port 4122"
    capture_must_show '^File encapsulation: *Ethernet'
    s_server -accept 10.213.9.1:4122 -naccept 1 -quiet
    s_client ok -connect 10.213.9.1:4122 -tls1_2
    expect_session port=4122 offered=TLSv1.2 version=TLSv1.2
    server_stop
    finish_capture "Relay (4122) over VLAN 213: every frame on the veth pair carries an 802.1Q tag (pushed on egress and popped on ingress by a tc eBPF program, as this kernel has no 8021q module for \`type vlan\` interfaces); captured on the veth. TLS 1.2 to 10.213.9.1."
    CLIENT_IP=10.213.7.2 SERVER_IP=10.213.7.1 VLAN=-
}

# 9. The server is the old one: pinned to TLS 1.0 while the client offers up to 1.3.
scenario_server_pinned() {
    SERVER_PORT=4118
    netns_up v4
    capture_start server-pinned-tls10 pcap "$NS_B" "$VETH_B" "tcp port 4118"
    s_server -accept 10.213.7.1:4118 -naccept 1 -quiet -tls1 -cipher "$WEAK"
    s_client ok -connect 10.213.7.1:4118 -cipher "$WEAK"
    expect_session port=4118 offered=TLSv1.3,TLSv1.2,TLSv1.1,TLSv1.0 version=TLSv1.0
    server_stop
    finish_capture "Manager → agent (4118): the server (agent) is pinned to TLS 1.0, the client offers 1.3 down to 1.0; TLS 1.0 is negotiated and the server is to blame."
}

# 10. A TLS 1.2-only server refuses an early-only client with a protocol_version alert.
scenario_refused() {
    SERVER_PORT=4120
    netns_up v4
    capture_start refused-early-only pcap "$NS_B" "$VETH_B" "tcp port 4120"
    s_server -accept 10.213.7.1:4120 -naccept 1 -quiet -tls1_2
    s_client fail -connect 10.213.7.1:4120 -tls1 -cipher "$WEAK"
    expect_session port=4120 offered=TLSv1.0 status=refused alert=protocol_version
    server_stop
    finish_capture "Old agent → manager heartbeat (4120) that enforces TLS 1.2: the client offers only TLS 1.0, the server answers with a fatal protocol_version alert (70) and no ServerHello."
}

# 11. tcpdump -i any in the server namespace: Linux cooked capture v2 (LINUX_SLL2).
scenario_sll2() {
    SERVER_PORT=4119
    netns_up v4
    capture_start sll2-any-4119 pcap "$NS_A" any "tcp port 4119"
    capture_must_show '^File encapsulation: *Linux cooked-mode capture v2'
    s_server -accept 10.213.7.1:4119 -naccept 1 -quiet
    s_client ok -connect 10.213.7.1:4119 -tls1_2
    expect_session port=4119 offered=TLSv1.2 version=TLSv1.2
    server_stop
    finish_capture "Manager console (4119), captured with \`tcpdump -i any\` in the server namespace: link type LINUX_SLL2. TLS 1.2."
}

# 12. SMTP STARTTLS on 25: the handshake follows a plaintext SMTP exchange.
scenario_smtp_starttls() {
    SERVER_PORT=25
    netns_up v4
    capture_start smtp-starttls-25 pcap "$NS_B" "$VETH_B" "tcp port 25"
    server "$NS_A" python3 "$HERE/lib/starttls_server.py" --mode smtp --listen 10.213.7.1 --port 25 --cert "$CERT" --key "$KEY"
    s_client ok -starttls smtp -connect 10.213.7.1:25 -tls1_2
    expect_session port=25 offered=TLSv1.2 version=TLSv1.2 preamble=smtp
    server_stop
    finish_capture "SMTP STARTTLS (25): Python \`ssl\` server after \`220 ready\` / EHLO / \`250 STARTTLS\` / \`220 go ahead\`; \`s_client -starttls smtp\` client, TLS 1.2."
}

# 13. TLS inside an HTTP CONNECT tunnel on 8080 (the "proxy" terminates TLS itself).
scenario_http_connect() {
    SERVER_PORT=8080
    netns_up v4
    capture_start http-connect-8080 pcap "$NS_B" "$VETH_B" "tcp port 8080"
    server "$NS_A" python3 "$HERE/lib/starttls_server.py" --mode http-connect --listen 10.213.7.1 --port 8080 --cert "$CERT" --key "$KEY"
    client ok curl -sS -k --tlsv1.3 --proxy http://10.213.7.1:8080 https://dsm.example.test/ -o /dev/null
    expect_session port=8080 sni=dsm.example.test offered=TLSv1.3 version=TLSv1.3 preamble=http_connect
    server_stop
    finish_capture "HTTP CONNECT (8080): curl sends \`CONNECT dsm.example.test:443\` (no name resolution needed), the Python server answers \`200 Connection established\` and then does TLS itself; TLS 1.3 with SNI \`dsm.example.test\`."
}

# ---------------------------------------------------------------- main

ALL_SCENARIOS=(ds_agent ds_manager ds_heartbeat ds_relay dsaas split_clienthello ipv6 vlan
               server_pinned refused sll2 smtp_starttls http_connect)

main() {
    check_tools
    WORK=$(mktemp -d /tmp/make-captures.XXXXXX)
    trap cleanup EXIT
    trap 'exit 130' INT TERM
    mkdir -p "$OUTDIR"
    OUTDIR=$(cd "$OUTDIR" && pwd)
    make_cert
    local s
    # HS_SCENARIOS="ds_agent vlan" runs only those (for work on one scenario; README then lists only those).
    for s in ${HS_SCENARIOS:-${ALL_SCENARIOS[*]}}; do
        "scenario_$s"
    done
    write_readme
    log "wrote $OUTDIR"
}

main "$@"
