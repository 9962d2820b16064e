#!/usr/bin/env bash
# Installs what the tests need (libpcap, and the real tools the live and syslog tests
# drive) and runs the whole suite. Under CI (CI=true) nothing may be skipped silently.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(libpcap-dev pkg-config python3 tcpdump tshark openssl curl iproute2 rsyslog rsyslog-gnutls tcpreplay time chromium fonts-dejavu-core)
missing=()
for package in "${packages[@]}"; do
    dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "installing ${missing[*]} ..." >&2
    SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

swift build --build-tests
swift test --skip-build "$@"
# Opt-in: SANITIZE=address|thread|all adds scripts/sanitize.sh (its own builds; see README).
if [ -n "${SANITIZE:-}" ]; then scripts/sanitize.sh "$SANITIZE"; fi
