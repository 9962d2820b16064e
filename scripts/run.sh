#!/usr/bin/env bash
# The main job on a fresh Debian/Ubuntu machine with Swift: install libpcap if missing,
# build release, and analyze every capture in Captures/ in one run.
# Extra arguments go to `helloscope analyze` (e.g. --json sessions.jsonl --inventory inv.json).
set -euo pipefail
cd "$(dirname "$0")/.."

if ! pkg-config --exists libpcap 2>/dev/null && [ ! -e /usr/include/pcap/pcap.h ]; then
    echo "installing libpcap-dev ..." >&2
    SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq libpcap-dev pkg-config >/dev/null
fi

scripts/build-release.sh --product helloscope >&2
shopt -s nullglob
captures=(Captures/*.pcap Captures/*.pcapng)
exec .build/release/helloscope analyze "$@" "${captures[@]}"
