#!/usr/bin/env bash
# Renders the posture report of the bundled captures (Captures/*.pcap*) in a real browser:
# Debian's chromium, headless. Writes a screenshot, the DOM after the page's script ran, and
# the browser's log, and fails when the page logged anything to the console (it logs nothing
# when healthy) or its script did not finish.
#
#   scripts/render-report.sh                 # builds if needed, screenshot to docs/report.png
#   scripts/render-report.sh --out DIR       # report.html, report.png, dom.html, console.log in DIR
#   options: --binary PATH (helloscope to run), --no-install (fail instead of apt-get install chromium)
set -euo pipefail
cd "$(dirname "$0")/.."

binary=.build/debug/helloscope
out=""
install=1
while [ $# -gt 0 ]; do
    case "$1" in
        --binary) binary="$2"; shift 2 ;;
        --out) out="$2"; shift 2 ;;
        --no-install) install=0; shift ;;
        *) echo "usage: $0 [--out DIR] [--binary PATH] [--no-install]" >&2; exit 64 ;;
    esac
done

if ! command -v chromium >/dev/null 2>&1; then
    if [ "$install" -eq 0 ]; then echo "render-report: chromium is not installed" >&2; exit 3; fi
    echo "installing chromium ..." >&2
    SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium fonts-dejavu-core >/dev/null
fi
[ -x "$binary" ] || swift build --product helloscope

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
if [ -n "$out" ]; then mkdir -p "$out"; else out="$work"; fi
png="$out/report.png"
if [ "$out" = "$work" ]; then mkdir -p docs; png="$(pwd)/docs/report.png"; fi
out=$(cd "$out" && pwd)

"$binary" report --sessions Captures/*.pcap* -o "$out/report.html"

# --no-sandbox: the tests may run as root in a container, where Chromium's sandbox cannot start.
# A fresh profile per run keeps one run's state (and lock) out of the next.
flags=(--headless --no-sandbox --disable-gpu --hide-scrollbars --no-first-run --no-default-browser-check
       --user-data-dir="$work/profile" --enable-logging=stderr --v=0)
chromium "${flags[@]}" --screenshot="$png" --window-size=1200,1600 "file://$out/report.html" 2>"$out/console.log" >/dev/null
chromium "${flags[@]}" --dump-dom "file://$out/report.html" >"$out/dom.html" 2>>"$out/console.log"

status=0
# Page messages appear as "CONSOLE(line)" (or "Uncaught ..." for exceptions); the report logs none.
if grep -E 'Uncaught|console error|:CONSOLE' "$out/console.log" >&2; then
    echo "render-report: the page logged to the console (above)" >&2
    status=1
fi
if ! grep -q 'data-script="ready"' "$out/dom.html"; then
    echo "render-report: the page's script did not finish (no data-script=\"ready\" in the DOM)" >&2
    status=1
fi
[ -s "$png" ] || { echo "render-report: no screenshot written" >&2; status=1; }
echo "render-report: $png, $out/dom.html, $out/console.log" >&2
exit $status
