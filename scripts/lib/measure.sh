# Timing helpers shared by scripts/bench.sh and scripts/concurrency.sh (sourced, not run).

# Runs a command, its output discarded; prints "seconds peak_kib cpu_seconds" (CPU: user +
# system, all threads).
measure() {
    /usr/bin/time -f "%e %M %U %S" "$@" 2>&1 >/dev/null | tail -1 | awk '{print $1, $2, $3 + $4}'
}

# The median of its arguments (the upper one of an even count).
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
