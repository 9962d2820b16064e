#!/usr/bin/env bash
# The release build every script measures and runs: `swift build -c release` with the Swift
# runtime and Foundation linked into the binary (--static-swift-stdlib) when the toolchain
# ships them static, as Swift.org's Linux toolchains do. A run then binds no Swift libraries
# at start (an empty capture: 21.3 ms dynamic, 11.2 ms static), and the binary runs where
# no Swift toolchain is installed. Without the static libraries it builds as before.
# The flag changes how every module is compiled: builds with and without it share nothing
# in .build/release, so every script builds through here, alike.
#   scripts/build-release.sh [swift build arguments, e.g. --product helloscope]
set -euo pipefail
cd "$(dirname "$0")/.."
resources=$(swiftc -print-target-info 2>/dev/null | sed -n 's/.*"runtimeResourcePath": "\(.*\)".*/\1/p') || resources=""
static=()
if [ -e "${resources%/swift}/swift_static/linux/static-stdlib-args.lnk" ]; then
    static=(--static-swift-stdlib)
fi
exec swift build -c release "${static[@]}" "$@"
