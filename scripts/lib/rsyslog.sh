#!/usr/bin/env bash
# A throwaway rsyslogd on loopback for tests (see shared RECIPES: "rsyslog as a real receiver").
#
#   scripts/lib/rsyslog.sh start DIR [--udp PORT] [--tcp PORT] [--unix SOCKET]
#                                    [--tls PORT --ca CA --cert CERT --key KEY [--tls-auth anon|x509/name]]
#       Writes DIR/rsyslog.conf (checked with rsyslogd -N1), starts `rsyslogd -n` in the
#       background, waits until its ports listen, prints its PID. Everything received lands
#       in DIR/out/messages.log in RSYSLOG_SyslogProtocol23Format, one message per line.
#       Starting again with the same DIR reuses its config (a restart on the same ports).
#   scripts/lib/rsyslog.sh stop DIR
#       Stops it by the PID in DIR/rsyslogd.pid (TERM, then KILL after 5 s).
set -euo pipefail

usage() { sed -n '2,12p' "$0" >&2; exit 2; }
[ $# -ge 2 ] || usage
command="$1"
dir="$(mkdir -p "$2" && cd "$2" && pwd)"
shift 2
pidfile="$dir/rsyslogd.pid"

listening() {   # proto port
    if command -v ss >/dev/null; then
        ss -Hln "-$1" "sport = :$2" 2>/dev/null | grep -q .
    else
        sleep 1
    fi
}

case "$command" in
start)
    udp="" tcp="" tls="" unix="" ca="" cert="" key="" auth="anon"
    while [ $# -gt 0 ]; do
        case "$1" in
            --udp) udp="$2" ;;
            --tcp) tcp="$2" ;;
            --tls) tls="$2" ;;
            --unix) unix="$2" ;;
            --ca) ca="$2" ;;
            --cert) cert="$2" ;;
            --key) key="$2" ;;
            --tls-auth) auth="$2" ;;
            *) usage ;;
        esac
        shift 2
    done
    command -v rsyslogd >/dev/null || { echo "rsyslogd is not installed (apt-get install rsyslog rsyslog-gnutls)" >&2; exit 3; }
    conf="$dir/rsyslog.conf"
    if [ ! -f "$conf" ]; then
        mkdir -p "$dir/work" "$dir/out"
        {
            # Tabs stay tabs (LEEF's delimiter); other control characters are still escaped.
            global=(workDirectory=\""$dir/work"\" parser.escapeControlCharacterTab=\"off\" maxMessageSize=\"64k\")
            if [ -n "$tls" ]; then
                global+=(defaultNetstreamDriverCAFile=\""$ca"\" defaultNetstreamDriverCertFile=\""$cert"\" defaultNetstreamDriverKeyFile=\""$key"\")
            fi
            echo "global(${global[*]})"
            [ -n "$udp" ] && echo 'module(load="imudp")'
            [ -n "$tcp$tls" ] && echo 'module(load="imtcp")'
            # Not the system socket: parse the hostname like a remote message.
            [ -n "$unix" ] && echo 'module(load="imuxsock" SysSock.Use="off")' && echo "input(type=\"imuxsock\" Socket=\"$unix\" useSpecialParser=\"off\" parseHostname=\"on\" ruleset=\"remote\")"
            [ -n "$udp" ] && echo "input(type=\"imudp\" address=\"127.0.0.1\" port=\"$udp\" ruleset=\"remote\")"
            [ -n "$tcp" ] && echo "input(type=\"imtcp\" address=\"127.0.0.1\" port=\"$tcp\" ruleset=\"remote\")"
            if [ -n "$tls" ]; then
                if [ "$auth" = anon ]; then
                    echo "input(type=\"imtcp\" address=\"127.0.0.1\" port=\"$tls\" ruleset=\"remote\" streamDriver.name=\"gtls\" streamDriver.mode=\"1\" streamDriver.authMode=\"anon\" gnutlsPriorityString=\"NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2\")"
                else
                    echo "input(type=\"imtcp\" address=\"127.0.0.1\" port=\"$tls\" ruleset=\"remote\" streamDriver.name=\"gtls\" streamDriver.mode=\"1\" streamDriver.authMode=\"$auth\" permittedPeer=[\"localhost\"])"
                fi
            fi
            echo "ruleset(name=\"remote\") { action(type=\"omfile\" file=\"$dir/out/messages.log\" template=\"RSYSLOG_SyslogProtocol23Format\") }"
        } >"$conf"
        rsyslogd -N1 -f "$conf" >"$dir/check.log" 2>&1 || { cat "$dir/check.log" >&2; exit 4; }
        # Remember the ports for a restart.
        echo "udp=$udp tcp=$tcp tls=$tls unix=$unix" >"$dir/ports"
    fi
    read -r udp_kv tcp_kv tls_kv unix_kv <"$dir/ports"
    udp="${udp_kv#udp=}" tcp="${tcp_kv#tcp=}" tls="${tls_kv#tls=}" unix="${unix_kv#unix=}"
    rm -f "$pidfile"
    nohup rsyslogd -n -f "$conf" -i "$pidfile" >>"$dir/rsyslogd.log" 2>&1 </dev/null &
    for _ in $(seq 1 100); do
        ready=1
        [ -s "$pidfile" ] || ready=0
        [ -z "$udp" ] || listening u "$udp" || ready=0
        [ -z "$tcp" ] || listening t "$tcp" || ready=0
        [ -z "$tls" ] || listening t "$tls" || ready=0
        [ -z "$unix" ] || [ -S "$unix" ] || ready=0
        if [ "$ready" = 1 ]; then cat "$pidfile"; exit 0; fi
        sleep 0.1
    done
    echo "rsyslogd did not start; its log:" >&2
    cat "$dir/rsyslogd.log" >&2 || true
    exit 5
    ;;
stop)
    [ -s "$pidfile" ] || exit 0
    pid="$(cat "$pidfile")"
    kill -TERM "$pid" 2>/dev/null || exit 0
    for _ in $(seq 1 50); do
        kill -0 "$pid" 2>/dev/null || exit 0
        sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
    ;;
*)
    usage
    ;;
esac
