#!/usr/bin/env bash
# The packet path in pieces with ordo-one/benchmark (Benchmarks/, a package of its own so the
# main build and CI never build the framework): frame decoding, the ClientHello and ServerHello
# parsers, the flow table among 100 000 open flows, and the tracker over every packet in
# Captures/; each with throughput and heap allocations per operation (malloc interposer).
# The first build takes a few minutes. Extra arguments go to `swift package benchmark`:
#   scripts/bench-swift.sh                        all of them
#   scripts/bench-swift.sh --filter 'FlowTable.*'
set -euo pipefail
cd "$(dirname "$0")/../Benchmarks"
exec swift package --disable-sandbox benchmark "$@"
