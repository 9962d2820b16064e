#!/usr/bin/env python3
"""Holds helloscope-bench's allocation counts (run with malloc-count.so preloaded) to the
packet path's limits, issue #5: no heap allocation for a hello packet as `analyze` tracks it
(fingerprints off, or their hashing left to the writer), and among all other packets only the
few on which the flow table grows. The hashing on the packet path (`capture`) and the
writer's hashing may allocate once per hello they have not seen lately (SHA-256 contexts), so
they have no limit here. Prints each breach; exits 1 if any.
    allocation-limits.py helloscope-bench-output.txt"""
import re
import sys

# The flow table grows by doubling from 4096 slots to its cap's size (262 144 flows: 6 growths),
# and each growth sets aside the flows whose probe would wrap in a list, which may take a few
# allocations as it grows (how many depends on the random hash key). So the limit is on the
# packets that allocated, one per growth, not on the allocations.
OTHER_PACKETS_AT_MOST = 16

def passes(lines):
    """(mode, allocations on hello packets, other packets that allocated) for each tracker pass."""
    mode = None
    hello = None
    for line in lines:
        started = re.match(r"tracker \(fingerprints (.*)\):", line)
        if started:
            mode, hello = started.group(1), None
            continue
        counted = re.search(r"(packets completing a hello|all other packets):\s+\d+ packets, (\d+) allocations"
                            r".*, (\d+) packets allocated", line)
        if counted and mode is not None:
            if counted.group(1).startswith("packets completing"):
                hello = int(counted.group(2))
            else:
                yield mode, hello, int(counted.group(3))

def main(path):
    lines = open(path).read().splitlines()
    if not any(line == "allocation counter: on" for line in lines):
        sys.exit(f"{path}: the allocation counter was not loaded (LD_PRELOAD malloc-count.so)")
    found = list(passes(lines))
    if len(found) != 3:
        sys.exit(f"{path}: expected 3 tracker passes, found {len(found)}")
    breaches = []
    for mode, hello, others_allocating in found:
        if mode in ("off", "on, hashed by the writer as analyze does") and hello != 0:
            breaches.append(f"fingerprints {mode}: {hello} allocations on hello packets (limit 0)")
        if others_allocating > OTHER_PACKETS_AT_MOST:
            breaches.append(f"fingerprints {mode}: {others_allocating} other packets allocated (limit {OTHER_PACKETS_AT_MOST})")
    for breach in breaches:
        print(f"    LIMIT BROKEN: {breach}")
    if not breaches:
        print(f"    within limits: no allocation on hello packets as analyze tracks them, "
              f"at most {OTHER_PACKETS_AT_MOST} other packets that allocated")
    return 1 if breaches else 0

if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    sys.exit(main(sys.argv[1]))
