#!/usr/bin/env python3
"""Holds helloscope-bench's allocation counts (run with malloc-count.so preloaded) to the
packet path's limits, issue #5: no heap allocation for a hello packet as `analyze` tracks it
(fingerprints off, or their hashing left to the writer), and for every other packet only the
flow table's growths, a few per run. The hashing on the packet path (`capture`) and the
writer's hashing may allocate once per hello they have not seen lately (SHA-256 contexts), so
they have no limit here. Prints each breach; exits 1 if any.
    allocation-limits.py helloscope-bench-output.txt"""
import re
import sys

# The flow table grows by doubling from 4096 slots to at most its cap's size, and each growth
# sets aside the list of flows it moves: about a dozen growths whatever the traffic, never one
# per packet.
OTHER_PACKETS_AT_MOST = 32

def passes(lines):
    """(mode, hello allocations, other allocations) for each tracker pass."""
    mode = None
    hello = None
    for line in lines:
        started = re.match(r"tracker \(fingerprints (.*)\):", line)
        if started:
            mode, hello = started.group(1), None
            continue
        counted = re.search(r"(packets completing a hello|all other packets):\s+\d+ packets, (\d+) allocations", line)
        if counted and mode is not None:
            if counted.group(1).startswith("packets completing"):
                hello = int(counted.group(2))
            else:
                yield mode, hello, int(counted.group(2))

def main(path):
    lines = open(path).read().splitlines()
    if not any(line == "allocation counter: on" for line in lines):
        sys.exit(f"{path}: the allocation counter was not loaded (LD_PRELOAD malloc-count.so)")
    found = list(passes(lines))
    if len(found) != 3:
        sys.exit(f"{path}: expected 3 tracker passes, found {len(found)}")
    breaches = []
    for mode, hello, other in found:
        if mode in ("off", "on, hashed by the writer as analyze does") and hello != 0:
            breaches.append(f"fingerprints {mode}: {hello} allocations on hello packets (limit 0)")
        if other > OTHER_PACKETS_AT_MOST:
            breaches.append(f"fingerprints {mode}: {other} allocations on other packets (limit {OTHER_PACKETS_AT_MOST})")
    for breach in breaches:
        print(f"    LIMIT BROKEN: {breach}")
    if not breaches:
        print(f"    within limits: 0 on hello packets as analyze tracks them, at most {OTHER_PACKETS_AT_MOST} on all others")
    return 1 if breaches else 0

if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    sys.exit(main(sys.argv[1]))
