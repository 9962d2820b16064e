/* How far apart the host has put this machine's first two CPUs: the round trip of a cache
 * line between two threads bound to them, in nanoseconds (median of 9 rounds of 20 000).
 *
 * This virtual machine's two CPUs move between two placements every few seconds to minutes
 * (2026-12-07): 50 to 130 ns apart, or 300 to 560 ns, and then one of them streams memory up to
 * seven times slower. HelloScope's reader and tracker hand every packet across those two
 * CPUs; the bare libpcap loop runs on one. So a timing is only comparable with timings taken
 * in the same placement, and bench.sh and ab.sh take this before and after each run.
 * Prints 0 when the process may run on fewer than two CPUs. */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

enum { rounds = 9, trips = 20000 };

static _Atomic long baton __attribute__((aligned(64)));
static int cpus[2];

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

static int bind_to(int cpu) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    return pthread_setaffinity_np(pthread_self(), sizeof set, &set);
}

/* Hands the baton back each time it arrives: odd values are the first thread's, even ones
 * this thread's answers. */
static void *answer(void *unused) {
    (void)unused;
    if (bind_to(cpus[1]) != 0) return NULL;
    for (long trip = 0; trip < (long)rounds * trips; trip++) {
        while (atomic_load_explicit(&baton, memory_order_acquire) != 2 * trip + 1) {}
        atomic_store_explicit(&baton, 2 * trip + 2, memory_order_release);
    }
    return NULL;
}

static int by_value(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(void) {
    cpu_set_t allowed;
    if (sched_getaffinity(0, sizeof allowed, &allowed) != 0) { puts("0"); return 0; }
    int found = 0;
    for (int cpu = 0; cpu < CPU_SETSIZE && found < 2; cpu++)
        if (CPU_ISSET(cpu, &allowed)) cpus[found++] = cpu;
    if (found < 2 || bind_to(cpus[0]) != 0) { puts("0"); return 0; }
    pthread_t other;
    if (pthread_create(&other, NULL, answer, NULL) != 0) { puts("0"); return 0; }
    double nanoseconds[rounds];
    long trip = 0;
    for (int round = 0; round < rounds; round++) {
        double start = now();
        for (int i = 0; i < trips; i++, trip++) {
            atomic_store_explicit(&baton, 2 * trip + 1, memory_order_release);
            while (atomic_load_explicit(&baton, memory_order_acquire) != 2 * trip + 2) {}
        }
        nanoseconds[round] = (now() - start) / trips * 1e9;
    }
    pthread_join(other, NULL);
    qsort(nanoseconds, rounds, sizeof nanoseconds[0], by_value);
    printf("%.0f\n", nanoseconds[rounds / 2]);
    return 0;
}
